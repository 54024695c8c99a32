"""Gate reviews in Slack through the real bolt app: signed block_actions and view_submission requests against
the fake Web API. The card lands in the group's channel through the outbox; "Approve with conditions" opens a
modal whose person and date fields come back as people and dates; field errors stay in the modal; the card
updates in place and the condition's owner is told; a refused or stale click is answered privately; and a
decision typed in the card's thread (with or without @aiom) gets a private nudge towards the buttons."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.repo import people, use_cases
from storage.tables import Condition, ReviewRequest
from tests.support import factories
from tests.support.life import slack_thread_reply
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


async def review_status(world: SlackWorld) -> str:
    async with world.app.db.read() as s:
        return (await s.execute(select(ReviewRequest))).scalar_one().status


async def test_approve_with_conditions_in_a_modal_updates_the_card(world: SlackWorld, clock):
    uc, card = await review_card(world, clock)
    assert world.last("CPRODUCT", with_button="Approve").ts == card.ts  # the card came through the outbox
    await world.click(SAM, "Approve", card)  # not a product reviewer
    refusal = world.calls("chat.postEphemeral")[-1]
    assert refusal["user"] == SAM and "Only members of Product and delivery" in world.fake.seen_text([refusal])

    await world.click(PAT, "Approve with conditions", card)
    view = world.last_view()
    kinds = {b["block_id"]: b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert kinds["f:c1_owner"] == "users_select" and kinds["f:c1_due"] == "datepicker"
    assert kinds["f:more"] == "static_select"
    values = {"c1_text": "Name the pilot users", "c1_owner": BOB, "c1_due": "2026-11-01", "more": "no"}
    status, answer = await world.submit(PAT, view, values)
    assert status == 200 and answer.get("response_action") == "errors"  # a date in the past, shown in the modal
    assert "f:c1_due" in answer["errors"] and "past" in str(answer["errors"])
    status, answer = await world.submit(PAT, view, {**values, "c1_due": "2026-01-01"})
    assert status == 200 and answer["response_action"] == "errors" and "f:c1_due" in answer["errors"]
    assert await review_status(world) == "pending"  # nothing recorded while the modal shows errors
    status, answer = await world.submit(PAT, view, {**values, "c1_due": "2026-12-15"})
    assert status == 200 and answer == {}, answer

    async with world.app.db.read() as s:
        assert (await use_cases.get(s, uc.id)).stage == "pilot"
        [cond] = (await s.execute(select(Condition))).scalars().all()
        owner = await people.get(s, cond.owner_id)
    assert (cond.text, cond.status, str(cond.due_date)) == ("Name the pilot users", "open", "2026-12-15")
    assert owner.email == "bob.delivery@example.com"
    assert await review_status(world) != "pending"
    now = world.screens[("CPRODUCT", card.ts)]  # the same message, updated in place
    assert "Approved with conditions by Pat Product" in now.all_text and "Name the pilot users" in now.all_text
    assert [b["text"]["text"] for b in now.buttons()] == ["Details"]
    assert "Name the pilot users" in world.seen_in(dm_channel(BOB))

    # A stale copy of the card: the click is answered privately with who decided and when.
    await world.click(PAT, "Approve", card)
    stale = world.calls("chat.postEphemeral")[-1]
    assert "already decided by Pat Product" in world.fake.seen_text([stale])


@pytest.mark.parametrize("typed", ["approved", "approved :+1:"])
async def test_a_decision_typed_to_aiom_in_the_card_thread_gets_a_private_nudge(world: SlackWorld, clock, typed):
    uc, card = await review_card(world, clock)
    posts = len(world.calls("chat.postMessage"))
    await world.mention(PAT, "CPRODUCT", typed, thread_ts=card.ts)
    nudge = world.calls("chat.postEphemeral")[-1]
    assert nudge["user"] == PAT and nudge["channel"] == "CPRODUCT" and nudge["thread_ts"] == card.ts
    text = world.fake.seen_text([nudge])
    assert "not recorded as a decision" in text and "use the buttons" in text
    assert len(world.calls("chat.postMessage")) == posts  # nothing said in the channel
    assert await review_status(world) == "pending"
    async with world.app.db.read() as s:
        assert (await use_cases.get(s, uc.id)).stage == "exploration"


async def test_a_plain_approved_reply_in_the_card_thread_gets_a_private_nudge(world: SlackWorld, clock):
    """Reviewers reply in the thread without @aiom; the app subscribes message.channels, so aiom sees it."""
    _uc, card = await review_card(world, clock)
    posts, whispers = len(world.calls("chat.postMessage")), len(world.calls("chat.postEphemeral"))
    assert await slack_thread_reply(world, PAT, "CPRODUCT", "does anyone know who owns the data?", card.ts) == 200
    assert len(world.calls("chat.postEphemeral")) == whispers  # discussion is left to the people
    assert await slack_thread_reply(world, PAT, "CPRODUCT", "LGTM, approved", card.ts) == 200
    nudge = world.calls("chat.postEphemeral")[-1]
    assert nudge["user"] == PAT and nudge["channel"] == "CPRODUCT" and nudge["thread_ts"] == card.ts
    assert "not recorded as a decision" in world.fake.seen_text([nudge])
    assert len(world.calls("chat.postMessage")) == posts
    assert await review_status(world) == "pending"
