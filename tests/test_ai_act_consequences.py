"""Consequences of the EU AI Act classification: a prohibited practice cannot move; a high-risk deployer's later
gate waits for its obligations (closed by their owners with evidence) and its reviews include the groups the
policy adds; only the risk group changes a classification, with a reason, audited."""
from __future__ import annotations

from sqlalchemy import select, update

from storage.tables import AuditEntry, UseCase
from tests.support.harness import Harness, as_text
from tests.support.reviewing import card, make_ready, open_reviews
from tests.test_ai_act_intake import PATHS, obligations, propose, the_use_case

ANNA, BOB, RITA, LEE = ("anna.owner@example.com", "bob.delivery@example.com", "rita.risk@example.com",
                        "lee.legal@example.com")


def flat(seen) -> str:
    return " ".join(seen.text.split())


async def at_stage(h: Harness, stage: str) -> UseCase:
    async with h.app.db.write() as s:
        await s.execute(update(UseCase).values(stage=stage, stage_entered_at=h.app.clock()))
        uc = (await s.execute(select(UseCase))).scalar_one()
        await make_ready(s, h.app.policy, uc, h.app.clock())
        return uc


async def test_a_prohibited_use_case_cannot_move_and_legal_has_it(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await propose(zoe, *PATHS["prohibited"])
    await at_stage(harness, "exploration")
    seen = await harness.person(ANNA).say("move UC-1")
    assert "UC-1 is not ready for Pilot yet" in seen.text
    assert "classified as a prohibited practice under the EU AI Act, so it cannot move on" in flat(seen)
    assert await open_reviews(harness, 1) == []
    assert any("Prohibited AI practice: UC-1" in t for t in harness.out.posts_in("#legal"))
    status = await harness.person(ANNA).say("status UC-1")
    assert "Prohibited practice" in status.text


async def test_high_risk_deployer_later_gate_waits_for_its_obligations(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await propose(zoe, *PATHS["high_risk"])
    # the first gate does not wait for obligations due later, and brings the groups a high-risk use adds
    await at_stage(harness, "exploration")
    anna, bob = harness.person(ANNA), harness.person(BOB)
    seen = await anna.say("move UC-1")
    assert "review requested for Pilot" in seen.text
    rows = await open_reviews(harness, 1)
    assert {"legal", "risk", "privacy"} <= {r.group_key for r in rows}
    legal_card = as_text(await card(harness, next(r.id for r in rows if r.group_key == "legal")))
    assert "EU AI Act" in legal_card and "High-risk · deployer · Art. 6(2), Annex III point 4" in \
        " ".join(legal_card.split())
    async with harness.app.db.write() as s:  # that review is not what this test is about: close it
        from storage.tables import GateRequest, ReviewRequest
        await s.execute(update(ReviewRequest).values(status="cancelled"))
        await s.execute(update(GateRequest).values(status="stopped"))
    await at_stage(harness, "pilot")
    seen = await anna.say("move UC-1")
    assert "UC-1 is not ready for Controlled rollout yet" in seen.text
    text = flat(seen)
    assert "EU AI Act obligations are still open" in text
    assert "Name the people who oversee it" in text and "Art. 26(2)" in text
    assert "Keep the logs" not in text  # due before leaving controlled rollout, not yet
    # the owners close theirs with evidence; a stranger cannot
    listing = await anna.say("obligations UC-1")
    assert "0 of 8 obligations closed" in flat(listing)
    seen = await harness.person("zed@example.com").say("obligation UC-1 2 done the overseers are named")
    assert "I could not find UC-1" in seen.text or "Only the obligation's owner" in seen.text
    seen = await anna.say("obligation UC-1 2 done")
    assert "Please add a short note of the evidence" in seen.text
    rows = await obligations(harness)
    due = [i for i, r in enumerate(rows, 1) if r.before_leaving == "pilot"]
    for i in due:
        owner = anna if rows[i - 1].owner_id == (await the_use_case(harness)).business_owner_id else bob
        seen = await owner.say(f"obligation UC-1 {i} done: recorded in the oversight plan v2, section {i}")
        assert "Closed:" in seen.text
    seen = await anna.say("obligation UC-1 2 done again")
    assert "already closed" in seen.text
    seen = await anna.say("move UC-1")
    assert "review requested for Controlled rollout" in seen.text, seen.text
    async with harness.app.db.read() as s:
        closed = (await s.execute(select(AuditEntry).where(AuditEntry.action == "ai_act.obligation_closed"))).all()
    assert len(closed) == len(due)


async def test_only_the_risk_group_changes_a_classification_with_a_reason(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await propose(zoe, *PATHS["minimal"])
    seen = await harness.person(ANNA).say("classify UC-1 high-risk deployer because it ranks applicants")
    assert "You are the business owner of this use case" in seen.text or "not listed" in seen.text
    seen = await harness.person(LEE).say("classify UC-1 high-risk deployer because it ranks applicants")
    assert "Only members of Risk" in seen.text
    rita = harness.person(RITA)
    seen = await rita.say("classify UC-1 high-risk deployer")
    assert "with a reason" in seen.text
    seen = await rita.say("classify UC-1 sort of risky because reasons")
    assert "Please say the use case, the classification and the reason" in seen.text
    seen = await rita.say("classify UC-1 high-risk deployer because it ranks job applicants for interviews")
    assert "changed the EU AI Act classification of UC-1" in flat(seen)
    uc = await the_use_case(harness)
    assert (uc.ai_act_class, uc.ai_act_role) == ("high_risk", "deployer")
    assert uc.ai_act["change_reason"] == "it ranks job applicants for interviews"
    keys = [o.key for o in await obligations(harness) if o.status == "open"]
    assert "deployer_oversight" in keys and "deployer_fria" not in keys  # the intake answered: no Annex III area
    assert any("changed the EU AI Act classification" in t for t in harness.out.dms_to(ANNA))
    # back to minimal: the obligations are withdrawn, not deleted
    await rita.say("classify UC-1 minimal because the ranking was dropped from the scope")
    rows = await obligations(harness)
    assert rows and all(r.status == "withdrawn" for r in rows)
    async with harness.app.db.read() as s:
        changes = (await s.execute(select(AuditEntry).where(AuditEntry.action == "use_case.ai_act_changed")
                                   .order_by(AuditEntry.seq))).scalars().all()
    assert [(c.data["from"], c.data["to"], c.actor_label) for c in changes] == [
        ("minimal", "high_risk", RITA), ("high_risk", "minimal", RITA)]
    # prohibited: legal is told at once
    await rita.say("classify UC-1 prohibited because it scores staff on their social behaviour")
    assert any("Prohibited AI practice: UC-1" in t for t in harness.out.posts_in("#legal"))
    status = await harness.person(ANNA).say("status UC-1")
    assert "changed by the risk reviewers" in status.text


async def test_status_frameworks_shows_coverage_and_evidence(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await propose(zoe, *PATHS["high_risk"])
    anna = harness.person(ANNA)
    seen = await anna.say("status UC-1 frameworks")
    text = flat(seen)
    assert "EU AI Act: High-risk · deployer · 0 of 8 obligations closed" in text
    assert "NIST AI Risk Management Framework 1.0 (nist-ai-rmf):" in text and "ISO/IEC 42001" in text
    assert "does not replace legal advice" in text
    seen = await anna.say("status UC-1 frameworks nist-ai-rmf")
    text = flat(seen)
    assert "GOVERN 2 Accountability is assigned to named people: partly met" in text
    assert "Business owner Anna" in text and "audit #" in text
    assert "MAP 2 The system is categorised: met" in text
    seen = await anna.say("status UC-1 frameworks eu-ai-act")
    text = flat(seen)
    assert "Art. 26(2) Competent people oversee it: missing" in text
    assert "Art. 50(1)" not in text  # the chatbot duty does not apply to this use case


async def test_a_classification_set_by_hand_tracks_duties_the_intake_never_asked_about(harness: Harness):
    await propose(harness.person("zoe@example.com"), *PATHS["minimal"])  # staff only: no transparency question
    rita = harness.person(RITA)
    seen = await rita.say("classify UC-1 transparency because candidates will chat with it on the careers page")
    assert "Please say the role too" in seen.text
    await rita.say("classify UC-1 transparency deployer because candidates will chat with it on the careers page")
    keys = [o.key for o in await obligations(harness) if o.status == "open"]
    # which Art. 50 duty fits was never asked: each deployer duty is tracked, to be closed or explained
    assert keys == ["tell_people_ai", "inform_exposed", "disclose_deep_fakes"]
    status = await harness.person(ANNA).say("status UC-1")
    assert "changed by the risk reviewers: candidates will chat with it" in " ".join(status.text.split())


async def test_a_review_under_way_stops_when_the_use_case_is_found_prohibited(harness: Harness):
    await propose(harness.person("zoe@example.com"), *PATHS["high_risk"])
    await at_stage(harness, "exploration")
    anna = harness.person(ANNA)
    assert "review requested for Pilot" in (await anna.say("move UC-1")).text
    assert await open_reviews(harness, 1)
    seen = await harness.person(RITA).say("classify UC-1 prohibited because it scores applicants on their "
                                          "social media behaviour")
    assert "a review under way was stopped" in flat(seen)
    assert await open_reviews(harness, 1) == []
    async with harness.app.db.read() as s:
        from storage.tables import GateRequest
        gate = (await s.execute(select(GateRequest))).scalar_one()
        halted = (await s.execute(select(AuditEntry).where(AuditEntry.action == "gate.halted"))).scalar_one()
    assert gate.status == "stopped" and halted.data["why"].startswith("classified as a prohibited practice")
    assert (await the_use_case(harness)).stage == "exploration"
    assert "cannot move on" in flat(await anna.say("move UC-1"))
