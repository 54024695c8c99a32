"""Asking to move a use case on: preconditions listed exactly, tier-dependent routing, due dates, one gate at a time."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage import audit
from storage.tables import GateRequest, ReviewRequest
from tests.support import factories
from tests.support.harness import Harness
from tests.support.reviewing import make_ready

OWNER = "anna.owner@example.com"


async def _uc(h: Harness, **kw):
    async with h.app.db.write() as s:
        return await factories.use_case(s, now=h.app.clock(), **kw)


async def _ready(h: Harness, uc_id: int, **kw):
    async with h.app.db.write() as s:
        from storage.repo import use_cases
        await make_ready(s, h.app.policy, await use_cases.get(s, uc_id), h.app.clock(), **kw)


async def _reviews(h: Harness, uc_id: int) -> list[ReviewRequest]:
    async with h.app.db.read() as s:
        q = select(ReviewRequest).where(ReviewRequest.use_case_id == uc_id).order_by(ReviewRequest.id)
        return list((await s.execute(q)).scalars().all())


async def test_missing_preconditions_are_listed_with_how_to_supply_each(harness: Harness):
    uc = await _uc(harness)
    seen = await harness.person(OWNER).say(f"move UC-{uc.id}")
    assert f"UC-{uc.id} is not ready for Pilot yet" in seen.text
    assert "2 things must be in place" in seen.text
    assert "pilot selection criteria are not fully scored (0 of 12)" in seen.text
    assert "risk register has no entries" in seen.text
    assert f"score UC-{uc.id} pilot" in seen.text and f"risk UC-{uc.id}" in seen.text
    assert await _reviews(harness, uc.id) == []


async def test_only_the_owners_may_ask(harness: Harness):
    uc = await _uc(harness)
    await _ready(harness, uc.id)
    for email in ("zoe@example.com", "pat.product@example.com"):
        seen = await harness.person(email).say(f"move UC-{uc.id}")
        assert "Only the business owner or the delivery owner" in seen.text
    seen = await harness.person(OWNER).say("move UC-999")
    assert "There is no UC-999" in seen.text
    seen = await harness.person(OWNER).say("move")
    assert "Which use case?" in seen.text


async def test_low_tier_goes_to_the_light_path_with_its_deadline(harness: Harness, clock):
    uc = await _uc(harness, tier="low")
    await _ready(harness, uc.id)
    seen = await harness.person(OWNER).say(f"move UC-{uc.id}")
    assert "review requested for Pilot" in seen.text and "needs 1 group" in seen.text
    rows = await _reviews(harness, uc.id)
    assert [r.group_key for r in rows] == ["product"]
    assert rows[0].due_at == clock.now + timedelta(days=3) and rows[0].next_reminder_at == rows[0].due_at
    assert harness.out.posts_in("#product") and not harness.out.posts_in("#security")
    card = harness.out.posts_in("#product")[0]
    for label in ("Approve", "Approve with conditions", "Ask for more information", "Escalate", "Stop",
                  "Details"):
        assert f"] {label}" in card
    assert "Cut claims triage time by 30%" in card and "Low risk" in card
    assert "Pilot selection criteria" in card and "36 of 36" in card
    assert "Data privacy" in card  # top risk


async def test_high_tier_reaches_the_full_group(harness: Harness, clock):
    uc = await _uc(harness, tier="high")
    await _ready(harness, uc.id)
    await harness.person(OWNER).say(f"move UC-{uc.id}")
    rows = await _reviews(harness, uc.id)
    assert [r.group_key for r in rows] == ["product", "risk", "security", "privacy"]
    assert all(r.due_at == clock.now + timedelta(days=10) for r in rows)
    for ch in ("#product", "#risk", "#security", "#privacy"):
        assert len(harness.out.posts_in(ch)) == 1
    assert not harness.out.posts_in("#legal")


async def test_a_vendor_adds_procurement_at_the_rollout_gate(harness: Harness):
    uc = await _uc(harness, tier="medium", vendor=True, stage="pilot")
    await _ready(harness, uc.id)
    await harness.person(OWNER).say(f"move UC-{uc.id}")
    assert [r.group_key for r in await _reviews(harness, uc.id)] == ["product", "security", "privacy",
                                                                     "procurement"]


async def test_one_gate_at_a_time_and_none_after_the_last_stage(harness: Harness):
    uc = await _uc(harness)
    await _ready(harness, uc.id)
    anna = harness.person(OWNER)
    await anna.say(f"move UC-{uc.id}")
    seen = await anna.say(f"next UC-{uc.id}")
    assert "already has a review under way" in seen.text and "Product and delivery" in seen.text
    async with harness.app.db.read() as s:
        assert len((await s.execute(select(GateRequest))).all()) == 1
        actions = [e.action async for e in audit.entries(s, use_case_id=uc.id)]
    assert "gate.requested" in actions and actions.count("review.requested") == 1
    last = await _uc(harness, title="Done already", stage="ongoing_operation")
    seen = await anna.say(f"move UC-{last.id}")
    assert "the last stage" in seen.text


async def test_request_button_works_like_the_command(harness: Harness):
    from vocabulary.messages import Button

    uc = await _uc(harness)
    await _ready(harness, uc.id)
    seen = await harness.person(OWNER).press(Button("Request next stage", "gate.request", {"uc": uc.id}))
    assert "review requested for Pilot" in seen.text
