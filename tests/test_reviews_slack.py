"""A gate review decided in Slack through the real bolt app: signed block_actions and view_submission
requests against the fake Web API — approve with conditions in a modal, the card updated in place,
the condition's owner told, and a typed "approved" in the card's thread nudged towards the buttons."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.repo import use_cases
from storage.tables import Condition
from tests.support import factories
from tests.support.reviewing import make_ready
from tests.support.slack_driver import SlackWorld, dm_channel

ANNA, BOB, PAT, SAM = "U222", "U333", "U444", "U555"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    w.fake.add_user(BOB, "bob.delivery@example.com", "Bob Delivery")
    w.fake.add_user(PAT, "pat.product@example.com", "Pat Product")
    w.fake.add_user(SAM, "sam.security@example.com", "Sam Security")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def review_card(world: SlackWorld, clock):
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), tier="low")
        await make_ready(s, world.app.policy, uc, clock())
    await world.dm(ANNA, f"move UC-{uc.id}")
    return uc, world.last("CPRODUCT", with_button="Approve with conditions")


async def test_approve_with_conditions_in_a_modal_updates_the_card(world: SlackWorld, clock):
    uc, card = await review_card(world, clock)
    await world.click(SAM, "Approve", card)  # not a product reviewer
    refusal = world.calls("chat.postEphemeral")[-1]
    assert refusal["user"] == SAM and "Only members of Product and delivery" in world.fake.seen_text([refusal])

    await world.click(PAT, "Approve with conditions", card)
    view = world.last_view()
    status, answer = await world.submit(PAT, view, {"c1_text": "Name the pilot users", "c1_owner": BOB,
                                                    "c1_due": "2026-11-01", "more": "no"})
    assert status == 200 and answer.get("response_action") == "errors"  # a date in the past, shown in the modal
    assert "past" in str(answer["errors"])
    status, answer = await world.submit(PAT, view, {"c1_text": "Name the pilot users", "c1_owner": BOB,
                                                    "c1_due": "2026-12-15", "more": "no"})
    assert status == 200 and answer.get("response_action") != "errors", answer

    async with world.app.db.read() as s:
        assert (await use_cases.get(s, uc.id)).stage == "pilot"
        [cond] = (await s.execute(select(Condition))).scalars().all()
    assert (cond.text, cond.status) == ("Name the pilot users", "open")
    now = world.screens[("CPRODUCT", card.ts)]
    assert "Approved with conditions by Pat Product" in now.all_text
    assert [b["text"]["text"] for b in now.buttons()] == ["Details"]
    assert "Name the pilot users" in world.seen_in(dm_channel(BOB))

    # A stale copy of the card: the click is answered privately with who decided and when.
    await world.click(PAT, "Approve", card)
    stale = world.calls("chat.postEphemeral")[-1]
    assert "already decided by Pat Product" in world.fake.seen_text([stale])


async def test_typing_approved_in_the_card_thread_gets_a_nudge(world: SlackWorld, clock):
    uc, card = await review_card(world, clock)
    await world.mention(PAT, "CPRODUCT", "approved :+1:", thread_ts=card.ts)
    nudge = world.calls("chat.postEphemeral")[-1]
    assert nudge["user"] == PAT and "not recorded as a decision" in world.fake.seen_text([nudge])
    async with world.app.db.read() as s:
        assert (await use_cases.get(s, uc.id)).stage == "exploration"
