"""The risk register: add (every invalid typed answer re-asked), update, list, mark reviewed; audited; rights."""
from __future__ import annotations

from sqlalchemy import select

from conversations.stages import gate_facts
from vocabulary.interaction import Say
from vocabulary.messages import Button
from storage.repo import use_cases
from storage.tables import AuditEntry, RiskEntry, UseCase
from tests.support import factories
from tests.support.harness import Harness

ANNA, BOB, ZOE = "anna.owner@example.com", "bob.delivery@example.com", "zoe@example.com"


def flat(seen) -> str:
    """What the person saw, with the terminal's line wrapping undone."""
    return " ".join(seen.text.split())


async def make(h: Harness, **kw) -> int:
    async with h.app.db.write() as s:
        return (await factories.use_case(s, **kw)).id


async def risks(h: Harness) -> list[RiskEntry]:
    async with h.app.db.read() as s:
        return list((await s.execute(select(RiskEntry).order_by(RiskEntry.id))).scalars().all())


async def audits(h: Harness, action: str) -> list[AuditEntry]:
    async with h.app.db.read() as s:
        q = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list((await s.execute(q)).scalars().all())


async def add_risk(person, uc: int, area="1", description="Claim forms hold health details of third parties.",
                   likelihood="high", impact="high", owner="priya.privacy@example.com",
                   control="Only approved environments; privacy review before go-live.", status="Open"):
    await person.say(f"risk UC-{uc}")
    for answer in (area, description, likelihood, impact, owner, control, status):
        await person.say(answer)
    return await person.click("Add the risk")


async def test_add_a_risk_with_every_invalid_answer_reasked(harness: Harness):
    uc = await make(harness)
    anna = harness.person(ANNA)
    seen = await anna.say(f"risk UC-{uc}")
    assert "Which risk area" in flat(seen)
    labels = [b.label for b in seen.buttons]
    assert "Data privacy (Security/Privacy)" in labels and "Ownership ambiguity (Executive sponsor)" in labels
    assert len([b for b in seen.buttons if b.label != "Cancel"]) == 12

    seen = await anna.say("13")  # there are 12 areas
    assert "pick one of the options" in flat(seen) and "Which risk area" in flat(seen)
    seen = await anna.say("weather")
    assert "pick one of the options" in flat(seen)
    seen = await anna.say("Data privacy")
    assert "Describe the risk" in flat(seen) and "sensitive information" in flat(seen).lower()

    seen = await anna.say("leak")  # too short
    assert "too short" in flat(seen) and "Describe the risk" in flat(seen)
    seen = await anna.say("x" * 1001)
    assert "under 1,000" in flat(seen)
    seen = await anna.say("Claim forms hold health details of third parties.")
    assert "How likely" in flat(seen)

    seen = await anna.say("very")
    assert "pick one of the options" in flat(seen) and "How likely" in flat(seen)
    seen = await anna.say("3")
    assert "how big would the impact" in flat(seen)
    seen = await anna.say("enormous")
    assert "pick one of the options" in flat(seen)
    seen = await anna.say("medium")
    assert "Who owns this risk?" in flat(seen) and "Security/Privacy" in flat(seen)

    seen = await anna.say("the privacy team")
    assert "I need a person" in flat(seen)
    seen = await anna.say("priya.privacy@example.com")
    assert "Which control" in flat(seen) and "privacy review before going live" in flat(seen)

    seen = await anna.say("no")
    assert "too short" in flat(seen)
    seen = await anna.say("Approved environment only; privacy review first.")
    assert "Where does it stand" in flat(seen)
    seen = await anna.say("9")
    assert "pick one of the options" in flat(seen)
    seen = await anna.say("mitigation")
    assert "please check" in flat(seen) and "Mitigation under way" in flat(seen)

    seen = await anna.click("Add the risk")
    assert f"Added to UC-{uc}'s risk register (1 risk now)" in flat(seen)
    (r,) = await risks(harness)
    assert (r.area_key, r.likelihood, r.impact, r.status) == ("data_privacy", "high", "medium", "mitigating")
    assert r.description.startswith("Claim forms") and r.control.startswith("Approved environment")
    (entry,) = await audits(harness, "risk.added")
    assert entry.use_case_id == uc and entry.data["area"] == "data_privacy"
    # the named owner is told
    assert any(f"owner of a risk on UC-{uc}" in t for t in harness.out.dms_to("priya.privacy@example.com"))
    async with harness.app.db.read() as s:
        uc_row = await use_cases.get(s, uc)
        _gate, check = await gate_facts.next_gate_check(s, harness.app.policy, uc_row)
    assert "risk_register_started" not in check.keys


async def test_back_and_cancel_in_the_risk_flow(harness: Harness):
    uc = await make(harness)
    anna = harness.person(ANNA)
    await anna.say(f"risk UC-{uc}")
    await anna.say("2")
    seen = await anna.say("back")
    assert "Which risk area" in flat(seen)
    await anna.say("3")
    seen = await anna.say("cancel")
    assert "Cancelled" in flat(seen)
    assert await risks(harness) == []


async def test_restart_in_the_middle_of_adding_a_risk_resumes(db_url, policy, clock):
    h = await Harness.start(db_url, policy=policy, clock=clock)
    uc = await make(h)
    anna = h.person(ANNA)
    await anna.say(f"risk UC-{uc}")
    await anna.say("Output reliability")
    await h.stop()
    h2 = await Harness.start(db_url, policy=policy, clock=clock)
    seen = await h2.person(ANNA).say("Summaries can miss a deadline mentioned deep in a claim.")
    assert "How likely" in flat(seen)
    await h2.stop()


async def test_update_a_risk_field_is_audited(harness: Harness):
    uc = await make(harness)
    anna = harness.person(ANNA)
    await add_risk(anna, uc)
    seen = await anna.say(f"risks UC-{uc}")
    assert "R1 · Data privacy" in flat(seen) and "likelihood high, impact high" in flat(seen)
    seen = await anna.click("Update R1")
    assert "Which part of R1 (Data privacy)" in flat(seen)
    seen = await anna.say("likelihood")
    assert "How likely is it now" in flat(seen)
    seen = await anna.say("sometimes")
    assert "pick one of the options" in flat(seen)
    await anna.say("low")
    seen = await anna.click("Save the change")
    assert "likelihood on UC-1 is updated" in flat(seen)
    (r,) = await risks(harness)
    assert r.likelihood == "low"
    (entry,) = await audits(harness, "risk.updated")
    assert entry.data == {"field": "likelihood", "from": "high", "to": "low"}


async def test_changing_the_risk_owner_tells_the_new_owner(harness: Harness):
    uc = await make(harness)
    anna = harness.person(ANNA)
    await add_risk(anna, uc)
    await anna.say(f"risks UC-{uc}")
    await anna.click("Update R1")
    await anna.say("Risk owner")
    await anna.say("rita.risk@example.com")
    await anna.click("Save the change")
    assert any("owner of a risk" in t for t in harness.out.dms_to("rita.risk@example.com"))
    # the risk's own owner may update that risk
    rita = harness.person("rita.risk@example.com")
    seen = await rita.press(Button("Update R1", "risk.update", {"r": (await risks(harness))[0].id}))
    assert "Which part" in flat(seen)


async def test_mark_register_reviewed_owners_only_and_never_empty(harness: Harness, clock):
    uc = await make(harness)
    anna, zoe = harness.person(ANNA), harness.person(ZOE)
    seen = await anna.press(Button("Mark register reviewed", "risk.reviewed", {"uc": uc}))
    assert "register is empty" in flat(seen)
    await add_risk(anna, uc)
    seen = await zoe.press(Button("Mark register reviewed", "risk.reviewed", {"uc": uc}))
    assert f"Only the business owner or delivery owner of UC-{uc}" in flat(seen)
    seen = await anna.say(f"risks UC-{uc}")
    assert "never marked reviewed" in flat(seen)
    clock.advance(days=1)
    seen = await anna.click("Mark register reviewed")
    assert "Marked reviewed by Anna.Owner" in flat(seen) and "last marked reviewed 24 Nov 2026" in flat(seen)
    async with harness.app.db.read() as s:
        row = (await s.execute(select(UseCase))).scalar_one()
        assert row.risk_reviewed_at == clock.now
        (r,) = (await s.execute(select(RiskEntry))).scalars().all()
        assert r.last_reviewed_at == clock.now
    (entry,) = await audits(harness, "risk_register.reviewed")
    assert entry.data == {"entries": 1}


async def test_who_may_change_the_register(harness: Harness):
    uc = await make(harness)
    stranger = harness.person("sam.security@example.com")
    seen = await stranger.say(f"risk UC-{uc}")
    assert "can change its risk register" in flat(seen)
    rita = harness.person("rita.risk@example.com")  # the risk group may
    seen = await rita.say(f"risk UC-{uc}")
    assert "Which risk area" in flat(seen)
    zoe = harness.person(ZOE)  # so may the proposer
    seen = await zoe.press(Button("Add a risk", "risk.add", {"uc": uc}))
    assert "Which risk area" in flat(seen)
    seen = await zoe.press(Button("Add a risk", "risk.add", {"uc": "UC-1"}))
    assert "could not read that button" in flat(seen)


async def test_the_list_shows_the_top_ten_by_likelihood_times_impact_and_how_many_more(harness: Harness, clock):
    uc = await make(harness)
    async with harness.app.db.write() as s:
        owner = await factories.person(s, "rita.risk@example.com")
        levels = ["low", "medium", "high"]
        for i in range(14):
            s.add(RiskEntry(use_case_id=uc, area_key="cost_creep", description=f"Risk number {i}",
                            likelihood=levels[i % 3], impact=levels[(i // 3) % 3], owner_id=owner.id,
                            control="Budget alerts", status="closed" if i == 13 else "open",
                            created_at=clock.now, updated_at=clock.now))
    seen = await harness.person(ANNA).say(f"risks UC-{uc}")
    assert "14 risks, 13 not closed" in flat(seen)
    assert "and 3 more" in flat(seen) and "1 closed" in flat(seen)
    lines = [ln for ln in seen.text.splitlines() if ln.startswith("R")]
    assert len(lines) == 10
    assert "likelihood high, impact high" in lines[0]
    msg = seen.op(Say).message
    assert len(msg.blocks) < 45
