"""A process restart in the middle of a flow resumes it: a new engine and app over the same database file,
the old buttons still working and typed words carrying on where the person was."""
from __future__ import annotations

from sqlalchemy import select

from storage.tables import RiskEntry, Scorecard, ScorecardAnswer
from tests.support import factories
from tests.support.harness import Harness

ANNA, BOB = "anna.owner@example.com", "bob.delivery@example.com"


def flat(seen) -> str:
    return " ".join(seen.text.split())


async def make(h: Harness, **kw) -> int:
    async with h.app.db.write() as s:
        return (await factories.use_case(s, **kw)).id


async def answers(h: Harness) -> dict[str, int]:
    async with h.app.db.read() as s:
        return {a.item_key: a.value for a in (await s.execute(select(ScorecardAnswer))).scalars()}


async def restart(h: Harness, db_url, policy, clock) -> Harness:
    await h.stop()
    return await Harness.start(db_url, policy=policy, clock=clock)


async def test_pilot_selection_resumes_after_a_restart(db_url, policy, clock):
    h = await Harness.start(db_url, policy=policy, clock=clock)
    uc = await make(h)
    anna = h.person(ANNA)
    await anna.say(f"score UC-{uc} pilot")
    for _ in range(5):
        seen = await anna.click("3 ·")
    pending = list(seen.buttons)
    h = await restart(h, db_url, policy, clock)
    try:
        anna = h.person(ANNA)
        seen = await anna.press(next(b for b in pending if b.label.startswith("2 ·")))  # a button from before
        assert "Pilot selection 6/12" in seen.text and "area 7 of 12" in seen.text
        seen = await anna.say("back")  # typed words still reach the scorecard opened before the restart
        assert "area 6 of 12" in seen.text and "Current answer: 2" in seen.text
        bob = h.person(BOB)
        seen = await bob.say(f"score UC-{uc}")  # the other owner continues the same answers
        assert "Pilot selection 6/12" in seen.text and "area 7 of 12" in seen.text
        for _ in range(6):
            seen = await bob.click("3 ·")
        assert "35 of 36" in flat(seen) and "Strong candidate" in seen.text
        assert len(await answers(h)) == 12
    finally:
        await h.stop()


async def test_rollout_checklist_resumes_after_a_restart(db_url, policy, clock):
    h = await Harness.start(db_url, policy=policy, clock=clock)
    uc = await make(h, stage="controlled_rollout")
    bob = h.person(BOB)
    await bob.say(f"score UC-{uc} rollout")
    for _ in range(4):
        seen = await bob.click("Ready")
    pending = list(seen.buttons)
    h = await restart(h, db_url, policy, clock)
    try:
        bob = h.person(BOB)
        seen = await bob.press(next(b for b in pending if b.label == "Not ready"))
        assert "Rollout checklist 5/14" in seen.text and "checkpoint 6 of 14" in seen.text
        seen = await bob.say(f"score UC-{uc} rollout")
        assert "Rollout checklist 5/14" in seen.text
        for _ in range(9):
            seen = await bob.click("Ready")
        assert "13 of 14" in flat(seen) and "Not ready: Security review." in flat(seen)
        async with h.app.db.read() as s:
            (sc,) = (await s.execute(select(Scorecard))).scalars().all()
        assert (sc.status, sc.answered) == ("complete", 14)
    finally:
        await h.stop()


async def test_vendor_checklist_resumes_after_a_restart(db_url, policy, clock):
    h = await Harness.start(db_url, policy=policy, clock=clock)
    uc = await make(h, stage="controlled_rollout", vendor=True)
    anna = h.person(ANNA)
    await anna.say(f"score UC-{uc} vendor")
    for _ in range(7):
        await anna.click("Ready")
    h = await restart(h, db_url, policy, clock)
    try:
        anna = h.person(ANNA)
        seen = await anna.say(f"score UC-{uc} vendor")
        assert "Vendor checklist 7/12" in seen.text and "checkpoint 8 of 12" in seen.text
        seen = await anna.say("help")
        assert "Click Ready or Not ready" in flat(seen)
        for _ in range(5):
            seen = await anna.click("Ready")
        assert "Vendor checklist complete" in seen.text and "12 of 12" in flat(seen)
    finally:
        await h.stop()


async def test_a_risk_update_resumes_after_a_restart(db_url, policy, clock):
    h = await Harness.start(db_url, policy=policy, clock=clock)
    uc = await make(h)
    async with h.app.db.write() as s:
        owner = await factories.person(s, "rita.risk@example.com")
        s.add(RiskEntry(use_case_id=uc, area_key="cost_creep", description="Model calls cost more than planned.",
                        likelihood="medium", impact="medium", owner_id=owner.id, control="Budget alerts",
                        status="open", created_at=clock.now, updated_at=clock.now))
    anna = h.person(ANNA)
    await anna.say(f"risks UC-{uc}")
    await anna.click("Update R1")
    seen = await anna.say("Control")
    assert "What is the control now?" in seen.text
    h = await restart(h, db_url, policy, clock)
    try:
        anna = h.person(ANNA)
        seen = await anna.say("Monthly budget alerts to the delivery owner, with a hard cap.")
        assert "please check" in seen.text and "Monthly budget alerts" in seen.text
        seen = await anna.click("Save the change")
        assert f"the risk's control on UC-{uc} is updated" in flat(seen)
        async with h.app.db.read() as s:
            (r,) = (await s.execute(select(RiskEntry))).scalars().all()
        assert r.control.startswith("Monthly budget alerts")
    finally:
        await h.stop()
