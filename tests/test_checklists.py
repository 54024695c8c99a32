"""The rollout checklist (14, ready / not ready) and the vendor checklist (12, only where a vendor is involved)."""
from __future__ import annotations

from sqlalchemy import select

from conversations.stages import gate_facts
from storage.repo import use_cases
from storage.tables import Scorecard, ScorecardAnswer
from tests.support import factories
from tests.support.harness import Harness

ANNA, BOB = "anna.owner@example.com", "bob.delivery@example.com"


async def make(h: Harness, **kw) -> int:
    async with h.app.db.write() as s:
        return (await factories.use_case(s, **kw)).id


async def gate_keys(h: Harness, uc_id: int) -> list[str]:
    async with h.app.db.read() as s:
        uc = await use_cases.get(s, uc_id)
        _gate, check = await gate_facts.next_gate_check(s, h.app.policy, uc)
        return check.keys


async def test_rollout_checklist_ready_not_ready_summary_and_gate(harness: Harness):
    uc = await make(harness, stage="controlled_rollout")
    bob = harness.person(BOB)
    seen = await bob.say(f"score UC-{uc}")  # controlled rollout: the next gate needs the rollout checklist
    assert "Rollout checklist 0/14" in seen.text and "checkpoint 1 of 14" in seen.text
    assert "problem definition" in seen.text.lower() and "Not ready looks like:" in seen.text
    assert [b.label for b in seen.buttons[:2]] == ["Ready", "Not ready"]
    for i in range(14):
        seen = await bob.click("Not ready" if i in (9, 11) else "Ready")
    assert "Rollout checklist complete" in seen.text
    assert "12 of 14" in seen.text and "Not ready: Monitoring, Rollback readiness." in seen.text
    assert "rollout_checklist_ready" in await gate_keys(harness, uc)

    seen = await bob.click("Review answers")
    assert "10. Monitoring: Not ready" in seen.text and "1. Problem definition: Ready" in seen.text
    seen = await bob.click("Monitoring")
    assert "Current answer: Not ready" in seen.text
    seen = await bob.click("Ready")  # a complete checklist goes back to its summary after a change
    assert "13 of 14" in seen.text
    await bob.click("Review answers")
    await bob.click("Rollback readiness")
    seen = await bob.click("Ready")
    assert "14 of 14" in seen.text and "Every checkpoint is ready." in seen.text
    assert "rollout_checklist_ready" not in await gate_keys(harness, uc)
    async with harness.app.db.read() as s:
        values = {a.item_key: a.value for a in (await s.execute(select(ScorecardAnswer))).scalars()}
    assert set(values.values()) == {1} and len(values) == 14


async def test_vendor_checklist_twelve_items_where_a_vendor_is_involved(harness: Harness):
    uc = await make(harness, stage="controlled_rollout", vendor=True)
    anna = harness.person(ANNA)
    assert "vendor_checklist_done" in await gate_keys(harness, uc)
    seen = await anna.say(f"score UC-{uc} vendor")
    assert "Vendor checklist 0/12" in seen.text and "use-case fit" in seen.text.lower()
    for _ in range(12):
        seen = await anna.click("Ready")
    assert "Vendor checklist complete" in seen.text and "12 of 12" in seen.text
    assert "vendor_checklist_done" not in await gate_keys(harness, uc)


async def test_without_a_vendor_the_vendor_checklist_is_refused_and_not_required(harness: Harness):
    uc = await make(harness, stage="controlled_rollout")
    seen = await harness.person(ANNA).say(f"score UC-{uc} vendor")
    assert f"UC-{uc} has no vendor involved" in seen.text
    assert "vendor_checklist_done" not in await gate_keys(harness, uc)
    async with harness.app.db.read() as s:
        assert (await s.execute(select(Scorecard))).first() is None


async def test_checklist_buttons_reject_scores(harness: Harness):
    from vocabulary.messages import Button

    uc = await make(harness, stage="controlled_rollout")
    anna = harness.person(ANNA)
    seen = await anna.say(f"score UC-{uc} rollout")
    sc = seen.buttons[0].payload["sc"]
    seen = await anna.press(Button("x", "scorecard.answer", {"sc": sc, "k": "ownership", "v": 3}))
    assert "could not read that button" in seen.text
    async with harness.app.db.read() as s:
        assert (await s.execute(select(ScorecardAnswer))).first() is None
