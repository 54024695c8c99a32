"""A KPI owner who talks to aiom in Slack answers the cadence prompt by typing the value in the DM: aiom keeps
each person's DM as their personal conversation, so the sweep knows where one typed reply records it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from notifications import kpi_prompts
from storage.repo import conversation_refs, kpis, people
from storage.tables import Kpi
from tests.support import factories
from tests.support.slack_driver import SlackWorld, dm_channel

BOB = "U333"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(BOB, "bob.delivery@example.com", "Bob Delivery")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def test_after_a_dm_the_kpi_prompt_is_answered_by_typing_the_value(world: SlackWorld, clock):
    await world.dm(BOB, "hello")  # Bob has talked to aiom in Slack: his DM is known
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), stage="controlled_rollout")
        bob = await people.by_email(s, "bob.delivery@example.com")
        kpi = await kpis.create(s, use_case_id=uc.id, layer="business_outcome", name="Claims cycle time", unit="min",
                                baseline=30, target=20, direction="lower", owner_id=bob.id, cadence="weekly",
                                next_due_at=clock() - timedelta(minutes=1), created_at=clock())
    async with world.app.db.read() as s:
        ref = await conversation_refs.personal_for(s, "slack", bob.id)
    assert ref is not None and ref.conversation_id == dm_channel(BOB)

    assert await kpi_prompts.sweep(world.app.notifications, clock()) == 1
    await world.settle()
    prompt = world.last(dm_channel(BOB))
    assert "Time for a KPI update" in prompt.all_text
    assert "reply with the current value of “Claims cycle time”" in prompt.all_text

    await world.dm(BOB, "25")
    assert "Recorded 25 min for “Claims cycle time”" in world.last(dm_channel(BOB)).all_text
    async with world.app.db.read() as s:
        stored = (await s.execute(select(Kpi).where(Kpi.id == kpi.id))).scalar_one()
    assert stored.last_value == 25
