"""Deciding reviews through the neutral harness: approve, conditions, questions, escalation, stop, quorum."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from conversations.reviews.buttons import looks_like_decision
from vocabulary.interaction import FormErrors, OpenForm, Whisper
from vocabulary.messages import Button
from storage import audit
from storage.repo import use_cases
from storage.tables import Condition, InfoRequest, ReviewDecision, UseCase
from tests.support import factories
from tests.support.harness import Harness
from tests.support.reviewing import button, card, delivered, flat, make_ready, review_for, reviewer

OWNER, DELIVERY = "anna.owner@example.com", "bob.delivery@example.com"


async def gate_open(h: Harness, **kw) -> UseCase:
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock(), **kw)
        await make_ready(s, h.app.policy, uc, h.app.clock())
    seen = await h.person(OWNER).say(f"move UC-{uc.id}")
    assert "review requested" in flat(seen.text), seen.text
    return uc


async def fresh(h: Harness, uc_id: int) -> UseCase:
    async with h.app.db.read() as s:
        return await use_cases.get(s, uc_id)


async def actions(h: Harness, uc_id: int) -> list[str]:
    async with h.app.db.read() as s:
        return [e.action async for e in audit.entries(s, use_case_id=uc_id)]


async def test_one_approval_passes_a_low_tier_gate_and_moves_the_stage(harness: Harness, clock):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    pat = reviewer(harness, "pat.product@example.com", "product")
    clock.advance(hours=2)
    seen = await pat.press(button(await card(harness, rr.id), "Approve"))
    assert "Recorded: you approved" in flat(seen.text)
    now = await fresh(harness, uc.id)
    assert (now.stage, now.status) == ("pilot", "active")
    assert now.stage_entered_at == clock.now
    assert now.pilot_exit_date == (clock.now + timedelta(days=45)).date()  # target: within 3 months
    text = delivered(harness, "#product", f"UC-{uc.id}")
    assert "Approved by Pat.Product on 23 Nov 2026 11:00 UTC" in text
    assert "] Approve" not in text and "] Details" in text
    for email in (OWNER, DELIVERY, "zoe@example.com"):
        dms = harness.out.dms_to(email)
        assert any("approved the review" in t for t in dms), (email, dms)
        assert any("is now in Pilot" in t for t in dms), (email, dms)
    acts = await actions(harness, uc.id)
    assert ["review.decided", "gate.passed", "use_case.stage_changed"] == [
        a for a in acts if a in ("review.decided", "gate.passed", "use_case.stage_changed")]
    async with harness.app.db.read() as s:
        hist = await use_cases.stage_history(s, uc.id)
        assert [(h.kind, h.to_stage) for h in hist] == [("created", "exploration"), ("advance", "pilot")]


async def test_every_group_must_approve(harness: Harness):
    uc = await gate_open(harness, tier="medium")
    product, risk = await review_for(harness, uc.id, "product"), await review_for(harness, uc.id, "risk")
    await reviewer(harness, "pia.product@example.com", "product").press(
        button(await card(harness, product.id), "Approve"))
    assert (await fresh(harness, uc.id)).stage == "exploration"
    await reviewer(harness, "rob.risk@example.com", "risk").press(button(await card(harness, risk.id), "Approve"))
    assert (await fresh(harness, uc.id)).stage == "pilot"


async def test_approve_with_conditions_tracks_them_to_closure(harness: Harness, clock):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    pat = reviewer(harness, "pat.product@example.com", "product")
    seen = await pat.press(button(await card(harness, rr.id), "Approve with conditions"))
    form = seen.op(OpenForm).form
    assert form.form_id == "review.conditions" and form.payload == {"r": rr.id}
    seen = await pat.submit("review.conditions", form.payload, {
        "c1_text": "Run a privacy impact assessment", "c1_owner": DELIVERY, "c1_due": "2026-12-15",
        "c2_text": "Name the pilot users", "c2_owner": {"email": OWNER, "name": "Anna"}, "c2_due": "2026-12-20"})
    assert "with 2 conditions;" in flat(seen.text)
    now = await fresh(harness, uc.id)
    assert now.stage == "pilot"
    async with harness.app.db.read() as s:
        conds = (await s.execute(select(Condition).order_by(Condition.id))).scalars().all()
    assert [(c.text, c.status, c.due_date) for c in conds] == [
        ("Run a privacy impact assessment", "open", date(2026, 12, 15)), ("Name the pilot users", "open",
                                                                           date(2026, 12, 20))]
    assert any("Run a privacy impact assessment" in t for t in harness.out.dms_to(DELIVERY))
    assert "Approved with conditions by Pat.Product" in delivered(harness, "#product", f"UC-{uc.id}")

    # They block the next gate.
    async with harness.app.db.write() as s:
        await make_ready(s, harness.app.policy, await use_cases.get(s, uc.id), clock.now)
    anna = harness.person(OWNER)
    seen = await anna.say(f"move UC-{uc.id}")
    assert "2 conditions from earlier reviews are still open" in flat(seen.text)

    # Closing needs the right person and an evidence note.
    seen = await harness.person("zoe@example.com").say(f"close condition {conds[0].id} PIA done, ref 77")
    assert "Only the owner of condition" in flat(seen.text)
    seen = await harness.person(DELIVERY).say(f"close condition {conds[0].id}")
    assert "[form Close condition" in flat(seen.text)
    seen = await harness.person(DELIVERY).submit("condition.close", {"c": conds[0].id}, {"evidence": "short"})
    assert "[form errors]" in flat(seen.text)
    seen = await harness.person(DELIVERY).say(f"close condition {conds[0].id} PIA-2026-77 signed off by the DPO")
    assert "Closed condition" in flat(seen.text) and "1 open condition left" in flat(seen.text)
    seen = await anna.press(Button("Close condition", "condition.close", {"c": conds[1].id}))
    seen = await anna.submit("condition.close", {"c": conds[1].id}, {"evidence": "Pilot user list in the wiki"})
    assert "no open conditions now" in flat(seen.text)
    seen = await anna.say(f"close condition {conds[1].id} again with more words")
    assert "already closed" in flat(seen.text) or "not open" in flat(seen.text)
    seen = await anna.say(f"move UC-{uc.id}")
    assert "review requested for Controlled rollout" in flat(seen.text)
    acts = await actions(harness, uc.id)
    assert acts.count("condition.opened") == 2 and acts.count("condition.closed") == 2


async def test_more_than_three_conditions_use_add_another(harness: Harness):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    pat = reviewer(harness, "pat.product@example.com", "product")
    first = {f"c{i}_{k}": v for i in (1, 2, 3) for k, v in (("text", f"Gap number {i}"), ("owner", OWNER),
                                                            ("due", "2027-01-31"))}
    seen = await pat.submit("review.conditions", {"r": rr.id}, {**first, "more": "yes"})
    assert "[form Conditions for" in flat(seen.text)
    assert (await fresh(harness, uc.id)).stage == "exploration"  # nothing decided yet
    seen = await pat.submit("review.conditions", {"r": rr.id},
                            {"c1_text": "Gap number 4", "c1_owner": DELIVERY, "c1_due": "2027-02-28"})
    assert "with 4 conditions;" in flat(seen.text)
    async with harness.app.db.read() as s:
        assert [c.status for c in (await s.execute(select(Condition))).scalars().all()] == ["open"] * 4


async def test_condition_form_errors_are_specific(harness: Harness):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    pat = reviewer(harness, "pat.product@example.com", "product")
    seen = await pat.submit("review.conditions", {"r": rr.id}, {"c1_text": "Fix it", "c1_owner": "nobody",
                                                               "c1_due": "2020-01-01"})
    assert "c1_owner" in flat(seen.text) and "in the past" in flat(seen.text)
    seen = await pat.submit("review.conditions", {"r": rr.id}, {})
    assert "at least one condition" in flat(seen.text)


async def test_asking_for_information_pauses_the_clock(harness: Harness, clock):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    pat = reviewer(harness, "pat.product@example.com", "product")
    seen = await pat.press(button(await card(harness, rr.id), "Ask for more information"))
    assert "[form Question about" in flat(seen.text)
    seen = await pat.submit("review.info", {"r": rr.id}, {"question": "Which claim types are in scope?"})
    assert "clock is paused" in flat(seen.text)
    paused = await review_for(harness, uc.id, "product")
    assert paused.status == "info_requested" and paused.paused_at == clock.now and paused.next_reminder_at is None
    for email in (OWNER, DELIVERY, "zoe@example.com"):  # the owners and the proposer may answer: all are asked
        asked = [t for t in harness.out.dms_to(email) if "Which claim types are in scope?" in t]
        assert len(asked) == 1 and "] Answer" in asked[0], email

    clock.advance(days=2)
    async with harness.app.db.read() as s:
        info = (await s.execute(select(InfoRequest))).scalar_one()
    anna = harness.person(OWNER)
    seen = await anna.press(Button("Answer", "info.answer", {"i": info.id}))
    assert "[form Answer the reviewers]" in flat(seen.text)
    seen = await anna.submit("info.answer", {"i": info.id}, {"answer": "Motor claims only, under 5,000."})
    assert "review clock runs again" in flat(seen.text)
    after = await review_for(harness, uc.id, "product")
    assert after.status == "pending" and after.paused_at is None
    assert after.due_at == rr.due_at + timedelta(days=2) and after.next_reminder_at == after.due_at
    text = delivered(harness, "#product", f"UC-{uc.id}")
    assert "Which claim types are in scope?" in text and "Motor claims only" in text
    assert any("answered your question" in t for t in harness.out.dms_to("pat.product@example.com"))
    seen = await harness.person(DELIVERY).say(f"answer {info.id} too late")
    assert "already answered" in flat(seen.text)


async def test_a_proposer_who_is_also_an_owner_is_asked_once(harness: Harness):
    uc = await gate_open(harness, tier="low", proposer=OWNER)
    rr = await review_for(harness, uc.id, "product")
    await reviewer(harness, "pat.product@example.com", "product").submit(
        "review.info", {"r": rr.id}, {"question": "Which claim types are in scope?"})
    assert len([t for t in harness.out.dms_to(OWNER) if "Which claim types are in scope?" in t]) == 1
    assert len([t for t in harness.out.dms_to(DELIVERY) if "Which claim types are in scope?" in t]) == 1
    zoe = harness.person("zoe@example.com")  # not involved in this one
    assert not [t for t in harness.out.dms_to(zoe.email) if "Which claim types" in t]


async def test_escalation_moves_the_decision_up(harness: Harness):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    pat = reviewer(harness, "pat.product@example.com", "product")
    seen = await pat.press(button(await card(harness, rr.id), "Escalate"))
    assert "Executive sponsors / leadership" in seen.op(OpenForm).form.intro
    seen = await pat.submit("review.escalate", {"r": rr.id}, {"reason": "Budget beyond our remit"})
    assert "next level has the card" in flat(seen.text)
    lead = await review_for(harness, uc.id, "leadership")
    assert (lead.level, lead.escalated_from_id) == (1, rr.id)
    assert (await review_for(harness, uc.id, "product")).status == "escalated"
    posted = harness.out.posts_in("#leadership")[0]
    assert "Escalated to Executive sponsors / leadership from Product and delivery" in posted
    assert "Budget beyond our remit" in posted and "] Escalate" not in posted  # nowhere higher
    assert "Escalated to Executive sponsors / leadership" in delivered(harness, "#product", f"UC-{uc.id}")
    await reviewer(harness, "lena.lead@example.com", "leadership").press(
        button(await card(harness, lead.id), "Approve"))
    assert (await fresh(harness, uc.id)).stage == "pilot"


async def test_a_single_stop_stops_the_use_case_and_tells_everyone(harness: Harness):
    uc = await gate_open(harness, tier="high")
    sec = await review_for(harness, uc.id, "security")
    sam = reviewer(harness, "sam.security@example.com", "security")
    stop = button(await card(harness, sec.id), "Stop")
    assert stop.style == "danger" and stop.confirm is not None
    seen = await sam.press(stop)
    assert "[form Stop UC-" in flat(seen.text)
    seen = await sam.submit("review.stop", {"r": sec.id}, {"reason": "Special category data, no legal basis"})
    assert "confirm" in flat(seen.text)  # the confirmation is required
    seen = await sam.submit("review.stop", {"r": sec.id}, {"reason": "Special category data, no legal basis",
                                                           "confirm": "stop"})
    now = await fresh(harness, uc.id)
    assert (now.status, now.status_reason) == ("stopped", "Special category data, no legal basis")
    for email in (OWNER, DELIVERY, "zoe@example.com"):
        assert any("was stopped" in t and "no legal basis" in t for t in harness.out.dms_to(email))
    for ch in ("#product", "#risk", "#privacy"):
        assert "Cancelled on" in delivered(harness, ch, f"UC-{uc.id}")
    assert "Stopped by Sam.Security" in delivered(harness, "#security", f"UC-{uc.id}")
    rr = await review_for(harness, uc.id, "product")
    seen = await reviewer(harness, "pat.product@example.com", "product").press(
        button(await card(harness, rr.id), "Details"))
    assert "Reviews for Exploration → Pilot" in flat(seen.text)


async def test_quorum_needs_distinct_members(harness: Harness, db_url, policy, clock):
    from tests.support.harness import Harness as H

    data = policy.model_dump()
    for g in data["review"]["groups"]:
        if g["key"] == "product":
            g["quorum"] = 2
    from vocabulary.policy.models import Policy

    await harness.stop()
    h = await H.start(db_url, policy=Policy.model_validate(data), clock=clock)
    try:
        uc = await gate_open(h, tier="low")
        rr = await review_for(h, uc.id, "product")
        assert rr.quorum == 2
        pat = reviewer(h, "pat.product@example.com", "product")
        seen = await pat.press(button(await card(h, rr.id), "Approve"))
        assert "needs 2 approvals" in flat(seen.text)
        assert "1 of 2 approvals" in delivered(h, "#product", f"UC-{uc.id}")
        seen = await pat.press(button(await card(h, rr.id), "Approve"))
        assert "You already approved this review" in flat(seen.text)
        assert (await fresh(h, uc.id)).stage == "exploration"
        await reviewer(h, "pia.product@example.com", "product").press(button(await card(h, rr.id), "Approve"))
        assert (await fresh(h, uc.id)).stage == "pilot"
        async with h.app.db.read() as s:
            assert len((await s.execute(select(ReviewDecision))).all()) == 2
    finally:
        await h.stop()


async def test_typed_approval_in_the_card_thread_gets_a_nudge(harness: Harness):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    async with harness.app.db.read() as s:
        from storage.repo import message_refs
        ref = (await message_refs.all_for(s, f"review:{rr.id}"))[0]
    pat = harness.person("pat.product@example.com", conversation=ref.channel, thread=ref.message_id, kind="channel")
    for text in ("approved", "LGTM!", "ok to proceed from our side"):
        seen = await pat.say(text)
        assert "not recorded as a decision" in flat(seen.text), text
    for text in ("does anyone know who owns the data?", "ok, where is it hosted?"):
        seen = await pat.say(text)
        assert seen.text == "", text
    assert (await review_for(harness, uc.id, "product")).status == "pending"
    elsewhere = harness.person("pat.product@example.com", conversation="#random", thread="123", kind="channel")
    assert "not recorded" not in (await elsewhere.say("approved")).text


NUDGED = ["approved", "Approved.", "approve", "LGTM!", "lgtm", "looks good to me", "approve with conditions",
          "approved with conditions", "ok to proceed", "OK to go", "ok to proceed from our side", "+1", "👍",
          ":+1:", "approved :+1:", "good to go", "signed off", "rejected", "declined", "stop this", "Stop it!",
          "no go", "escalate", "we approve", "approved from security", "LGTM, approved", "approved, thanks!",
          "approved and signed off"]
NOT_NUDGED = ["ok, where is it hosted?", "ok", "ok thanks", "agree that the risk is high, but who owns it?",
              "agreed with Sam that we need the DPIA first, can someone share it?", "stop the press: who owns this?",
              "Stop by my desk later to talk it through", "is this approved?", "approved vendors list?",
              "looks good but where is the data stored?", "does anyone know who owns the data?",
              "+1 to Sam's question about hosting", "lgtm once the pen test is in, what date is it booked for?",
              "approved, but who owns the data", "thanks"]


@pytest.mark.parametrize("text", NUDGED)
def test_whole_short_decision_words_are_nudged(text):
    assert looks_like_decision(text), text


@pytest.mark.parametrize("text", NOT_NUDGED)
def test_questions_and_sentences_that_merely_open_with_ok_or_agree_are_not_nudged(text):
    assert not looks_like_decision(text), text


async def test_details_of_a_restricted_use_case_are_refused_politely_to_people_not_entitled(harness: Harness):
    uc = await gate_open(harness, tier="low", restricted=True, title="Secret HR screening")
    rr = await review_for(harness, uc.id, "product")
    details = button(await card(harness, rr.id), "Details")
    for email in ("nosy@example.com", "sam.security@example.com"):  # staff; a reviewer of another group
        seen = await harness.person(email, conversation="#product", kind="channel").press(details)
        assert isinstance(seen.outcome.ops[0], Whisper) and len(seen.outcome.ops) == 1
        assert "restricted to its owners, sponsor, reviewers and leadership" in flat(seen.text), email
        assert "Business owner" not in seen.text and "Reviews for" not in seen.text
    seen = await reviewer(harness, "pat.product@example.com", "product").press(details)
    assert "Business owner" in flat(seen.text) and "Reviews for Exploration → Pilot" in flat(seen.text)
    seen = await harness.person("lena.lead@example.com").press(details)
    assert "Reviews for Exploration → Pilot" in flat(seen.text)


async def test_escalating_without_a_reason_keeps_the_form_open_and_changes_nothing(harness: Harness):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    pat = reviewer(harness, "pat.product@example.com", "product")
    for reason in ("", "   ", "why"):
        seen = await pat.submit("review.escalate", {"r": rr.id}, {"reason": reason})
        errors = seen.op(FormErrors)
        assert errors is not None and errors.errors == {"reason": "Please give the reason for escalating."}
        assert errors.form.payload == {"r": rr.id}
    assert (await review_for(harness, uc.id, "product")).status == "pending"
    assert harness.out.posts_in("#leadership") == []
    assert "review.escalated" not in await actions(harness, uc.id)


async def test_tier_override_accepted_by_risk_reroutes_the_gate(harness: Harness):
    uc = await gate_open(harness, tier="low", tier_requested="high", tier_justification="Touches claim payouts",
                         tier_override_status="pending")
    assert [r for r in harness.out.posts_in("#risk") if "Tier change requested" in r]
    card_text = harness.out.posts_in("#product")[0]
    assert "Requested tier" in card_text and "Touches claim payouts" in card_text
    seen = await harness.person(OWNER).press(Button("Accept", "tier.decide", {"uc": uc.id, "c": "accept"}))
    assert "Only members of Risk" in flat(seen.text)
    rita = reviewer(harness, "rita.risk@example.com", "risk")
    seen = await rita.press(Button("Accept", "tier.decide", {"uc": uc.id, "c": "accept"}))
    assert "is accepted" in flat(seen.text)
    now = await fresh(harness, uc.id)
    assert (now.tier_override_status, now.effective_tier) == ("accepted", "high")
    groups = {(await review_for(harness, uc.id, g)).group_key for g in ("product", "risk", "security", "privacy")}
    assert groups == {"product", "risk", "security", "privacy"}
    seen = await rita.press(Button("Accept", "tier.decide", {"uc": uc.id, "c": "accept"}))
    assert "already decided" in flat(seen.text)
    assert "use_case.tier_override_decided" in await actions(harness, uc.id)


async def test_edits_show_as_changed_since_the_card_was_posted(harness: Harness):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    zoe = harness.person("zoe@example.com")
    seen = await zoe.say(f"edit UC-{uc.id}")
    assert "[form Edit UC-" in flat(seen.text)
    seen = await zoe.submit("uc.edit", {"uc": uc.id}, {"outcome": "Cut claims triage time by 40% with human "
                                                                  "review of every high-risk case"})
    assert "version 2" in flat(seen.text)
    text = delivered(harness, "#product", f"UC-{uc.id}")
    assert "Changed since this card was posted (on 23 Nov 2026 09:00 UTC): • Outcome " \
           "statement: “Cut claims triage time by 30%" in text and "by 40%" in text
    async with harness.app.db.read() as s:
        entry = [e async for e in audit.entries(s, use_case_id=uc.id) if e.action == "use_case.edited"][0]
    assert entry.data["changes"]["outcome"]["before"].startswith("Cut claims triage time by 30%")
    pat = reviewer(harness, "pat.product@example.com", "product")
    seen = await pat.press(button(await card(harness, rr.id), "Details"))
    assert "Changed since this card was posted (on 23 Nov 2026 09:00 UTC): • Outcome statement" in flat(seen.text)
    assert "Changed since this card was posted" in delivered(harness, "#product", f"UC-{uc.id}")  # for everyone
    seen = await pat.press(button(await card(harness, rr.id), "Details"))
    assert "Nothing has changed since you last looked" in flat(seen.text)
    seen = await harness.person("pat.product@example.com").say(f"edit UC-{uc.id}")
    assert "Only the owners or the proposer" in flat(seen.text)


async def test_withdraw_cancels_reviews(harness: Harness):
    uc = await gate_open(harness, tier="medium")
    seen = await harness.person(OWNER).say(f"withdraw UC-{uc.id} Budget moved to another programme")
    assert "Withdrew" in flat(seen.text)
    now = await fresh(harness, uc.id)
    assert (now.status, now.status_reason) == ("withdrawn", "Budget moved to another programme")
    assert "Cancelled on" in delivered(harness, "#risk", f"UC-{uc.id}")
    rr = await review_for(harness, uc.id, "risk")
    seen = await reviewer(harness, "rita.risk@example.com", "risk").press(Button("Approve", "review.approve",
                                                                                 {"r": rr.id}))
    assert "no longer takes decisions" in flat(seen.text) or "was withdrawn" in flat(seen.text)


async def test_status_view_shows_pending_reviews_and_open_conditions(harness: Harness):
    uc = await gate_open(harness, tier="medium")
    anna = harness.person(OWNER)
    seen = flat((await anna.say(f"status UC-{uc.id}")).text)
    assert "Pending reviews" in seen and "Risk" in seen and "Product and delivery" in seen
    product, risk = await review_for(harness, uc.id, "product"), await review_for(harness, uc.id, "risk")
    await reviewer(harness, "pat.product@example.com", "product").submit("review.conditions", {"r": product.id}, {
        "c1_text": "Publish the pilot rota", "c1_owner": DELIVERY, "c1_due": "2026-12-15"})
    await reviewer(harness, "rob.risk@example.com", "risk").press(button(await card(harness, risk.id), "Approve"))
    seen = flat((await anna.say(f"status UC-{uc.id}")).text)
    assert "Open conditions" in seen and "Publish the pilot rota" in seen and "Pending reviews" not in seen
    moved = [m for r, m in harness.out.dms if r.email == OWNER and "moved to Pilot" in m.fallback][-1]
    assert button(moved, "Request next stage").payload == {"uc": uc.id}
