"""Concurrent clicks on Postgres: several engines (as several aiom processes would) on one database.

Every click runs in its own engine with its own connection pool, all at once; the database decides.
"""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from vocabulary.messages import Button
from storage.tables import AuditEntry, ReviewDecision, ReviewRequest, StageChange
from tests.support import factories
from tests.support.harness import Harness
from tests.support.reviewing import make_ready, reviewer

pytestmark = pytest.mark.postgres_only


async def gate_open(h: Harness, tier: str) -> int:
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock(), tier=tier)
        await make_ready(s, h.app.policy, uc, h.app.clock())
    seen = await h.person("anna.owner@example.com").say(f"move UC-{uc.id}")
    assert "review requested" in seen.text
    return uc.id


async def review_id(h: Harness, uc_id: int, group: str) -> int:
    async with h.app.db.read() as s:
        return (await s.execute(select(ReviewRequest.id).where(ReviewRequest.use_case_id == uc_id,
                                                               ReviewRequest.group_key == group))).scalar_one()


async def clicks_at_once(db_url, policy, clock, clicks: list[tuple[str, str, int]]) -> list[str]:
    """(email, group, review id) each clicked Approve in its own engine, concurrently. Returns what each saw."""
    harnesses = [await Harness.start(db_url, policy=policy, clock=clock) for _ in clicks]
    # People are known before the race (a first contact racing itself is the engine's concern, not a review's).
    async with harnesses[0].app.db.write() as s:
        for email, _, _ in clicks:
            await factories.person(s, email)
    try:
        start = asyncio.Event()

        async def one(h: Harness, email: str, group: str, rid: int) -> str:
            await start.wait()
            seen = await reviewer(h, email, group).press(Button("Approve", "review.approve", {"r": rid}))
            return seen.text

        tasks = [asyncio.create_task(one(h, *c)) for h, c in zip(harnesses, clicks)]
        await asyncio.sleep(0.05)
        start.set()
        return list(await asyncio.gather(*tasks))
    finally:
        for h in harnesses:
            await h.stop()


async def counts(h: Harness, uc_id: int) -> tuple[int, int, int]:
    async with h.app.db.read() as s:
        decisions = (await s.execute(select(func.count()).select_from(ReviewDecision))).scalar_one()
        advances = (await s.execute(select(func.count()).select_from(StageChange).where(
            StageChange.use_case_id == uc_id, StageChange.kind == "advance"))).scalar_one()
        passed = (await s.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "gate.passed"))).scalar_one()
    return decisions, advances, passed


async def test_two_members_where_one_suffices_make_one_decision(harness: Harness, db_url, policy, clock):
    uc_id = await gate_open(harness, "low")
    rid = await review_id(harness, uc_id, "product")
    seen = await clicks_at_once(db_url, policy, clock, [("pat.product@example.com", "product", rid),
                                                        ("pia.product@example.com", "product", rid)] * 3)
    assert await counts(harness, uc_id) == (1, 1, 1)
    winners = [t for t in seen if "Recorded: you approved" in t]
    assert len(winners) == 1, seen
    assert all("already decided by" in " ".join(t.split()) for t in seen if t not in winners), seen


async def test_the_same_person_double_clicking_counts_once(harness: Harness, db_url, policy, clock):
    uc_id = await gate_open(harness, "low")
    rid = await review_id(harness, uc_id, "product")
    seen = await clicks_at_once(db_url, policy, clock, [("pat.product@example.com", "product", rid)] * 4)
    assert await counts(harness, uc_id) == (1, 1, 1)
    assert sum("Recorded" in t for t in seen) == 1


async def test_the_last_two_groups_approving_at_once_pass_the_gate_once(harness: Harness, db_url, policy, clock):
    uc_id = await gate_open(harness, "medium")
    product, risk = await review_id(harness, uc_id, "product"), await review_id(harness, uc_id, "risk")
    await clicks_at_once(db_url, policy, clock, [("pat.product@example.com", "product", product),
                                                 ("rita.risk@example.com", "risk", risk),
                                                 ("rob.risk@example.com", "risk", risk)])
    assert await counts(harness, uc_id) == (2, 1, 1)


async def test_a_quorum_of_two_closes_once(harness: Harness, db_url, policy, clock):
    data = policy.model_dump()
    for g in data["review"]["groups"]:
        if g["key"] == "product":
            g["quorum"] = 2
    from vocabulary.policy.models import Policy

    strict = Policy.model_validate(data)
    await harness.stop()
    h = await Harness.start(db_url, policy=strict, clock=clock)
    try:
        uc_id = await gate_open(h, "low")
        rid = await review_id(h, uc_id, "product")
        await clicks_at_once(db_url, strict, clock, [("pat.product@example.com", "product", rid),
                                                     ("pia.product@example.com", "product", rid)] * 3)
        assert await counts(h, uc_id) == (2, 1, 1)
    finally:
        await h.stop()
