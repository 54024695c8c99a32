"""When Slack is slow or failing: requests are acknowledged without calling Slack first, people are told when
their input could not be handled, replies Slack refused wait in the outbox (updates and private notes too),
users are looked up once, and posts to one channel are paced."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.slack.listeners.common import SLACK_UNAVAILABLE
from vocabulary.messages import Message, Text
from storage.tables import Outbox
from tests.support import factories
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.support.slack_more import SlowFakeSlack
from tests.test_slack_intake import ANSWERS

ZOE, ANNA, BOB, PAT = "U111", "U222", "U333", "U444"


def people(fake) -> None:
    fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    fake.add_user(BOB, "bob.delivery@example.com", "Bob Delivery")
    fake.add_user(PAT, "pat.product@example.com", "Pat Product")


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    people(w.fake)
    yield w
    assert w.fake.violations == []
    await w.stop()


async def outbox_rows(world: SlackWorld) -> list[Outbox]:
    async with world.app.db.read() as s:
        return list((await s.execute(select(Outbox).order_by(Outbox.id))).scalars())


# -- ack before anything slow ------------------------------------------------------------------------------
async def test_the_workspace_is_asked_once_not_on_every_request(world: SlackWorld):
    for text in ("hello", "help", "my"):
        assert await world.dm(ZOE, text) == 200
    assert len(world.fake.attempts("auth.test")) == 1  # at start-up only


async def test_requests_are_acknowledged_while_auth_test_fails_and_the_person_is_told(db_url, policy, clock):
    fake = await SlowFakeSlack().start()
    people(fake)
    fake.fail_next("auth.test", 10_000, status=503)  # Slack cannot say who the app is, for now
    world = await SlackWorld.start(db_url, policy=policy, clock=clock, fake=fake)
    try:
        assert await world.dm(ZOE, "hello") == 200  # acknowledged: Slack does not retry, nothing piles up
        assert SLACK_UNAVAILABLE in world.last(dm_channel(ZOE)).text  # and told, after the ack
        fake.failures.clear()  # Slack is back
        assert await world.dm(ZOE, "hello") == 200
        assert "Hello Zoe" in world.last(dm_channel(ZOE)).all_text
    finally:
        await world.stop()


async def test_a_modal_closed_by_a_slow_slack_gets_an_apology_in_the_dm(db_url, policy, clock):
    fake = await SlowFakeSlack(slow={"users.info": 1.0}).start()
    people(fake)
    world = await SlackWorld.start(db_url, policy=policy, clock=clock, fake=fake)
    try:
        await world.shortcut(ZOE)
        view = world.last_view()
        values = {"title": "Claims triage assistant", "problem": ANSWERS[1], "outcome": ANSWERS[2],
                  "value_stream": "Claims handling", "theme": "operational_excellence",
                  "affected_users": "Motor claims handlers", "data_used": "Claim forms", "vendor": "no",
                  "timeline": "within_3_months", "business_owner": ANNA, "delivery_owner": BOB}
        values.update({b["block_id"][2:]: b["element"]["options"][0]["value"] for b in view["blocks"]
                       if b["type"] == "input" and b["block_id"].startswith("f:risk:")})
        fake.fail_next("users.info", 3, status=500)  # slow and then failing: past the 2.5 s budget
        status, body = await world.submit(ZOE, view, values)
        assert status == 200 and body == {}  # the modal had to close
        sorry = world.last(dm_channel(ZOE))
        assert SLACK_UNAVAILABLE in sorry.text
    finally:
        await world.stop()


# -- a post that finally fails is recorded -----------------------------------------------------------------
async def test_an_update_slack_refused_is_retried_from_the_outbox_so_no_stale_buttons_remain(world: SlackWorld):
    dm = dm_channel(ZOE)
    await world.dm(ZOE, "propose")
    first = world.last(dm)
    assert first.buttons()
    world.fake.fail_next("chat.update", 3, status=500)  # the client's tries, all refused
    await world.dm(ZOE, ANSWERS[0])  # (the outbox is delivered after each request)
    assert [(r.kind, r.target, r.status) for r in await outbox_rows(world)] == [("update", dm, "sent")]
    assert [c.status for c in world.fake.attempts("chat.update")] == [500, 500, 500, 200]
    answered = world.screens[(dm, first.ts)]
    assert answered.buttons() == [] and "Claims triage assistant" in answered.all_text


async def test_a_question_posted_from_the_outbox_is_still_replaced_once_answered(world: SlackWorld):
    dm = dm_channel(ZOE)
    await world.dm(ZOE, "propose")
    world.fake.fail_next("chat.postMessage", 3, status=502)
    await world.dm(ZOE, ANSWERS[0])  # the next question could not be posted: the outbox posts it
    question = world.last(dm)
    assert "What problem does it solve" in question.all_text and question.buttons()
    assert (await outbox_rows(world))[0].status == "sent"
    await world.dm(ZOE, ANSWERS[1])
    answered = world.screens[(dm, question.ts)]
    assert answered.buttons() == [] and "two hours a day" in answered.all_text


async def test_a_private_note_slack_refused_in_a_channel_comes_by_dm(world: SlackWorld, clock):
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock())
    await world.mention(ANNA, "CPRODUCT", f"score UC-{uc.id} pilot")
    card = world.last("CPRODUCT", with_button="Pause")
    world.fake.fail_next("chat.postEphemeral", 3, status=503)
    three = next(b["text"]["text"] for b in card.buttons() if b["text"]["text"].startswith("3"))
    await world.click(PAT, three, card)
    note = world.last(dm_channel(PAT))
    assert "Only the business owner or delivery owner" in note.all_text
    assert [(r.kind, r.status) for r in await outbox_rows(world)] == [("dm", "sent")]


# -- users looked up once, posts paced -----------------------------------------------------------------------
async def test_a_user_is_looked_up_once_for_many_messages(world: SlackWorld):
    await world.dm(ZOE, "hello")
    await world.dm(ZOE, "help")
    assert len([c for c in world.fake.attempts("users.info") if c.get("user") == ZOE]) == 1


async def test_private_notes_to_one_channel_are_not_held_to_the_posting_pace(world: SlackWorld):
    """Slack's one-a-second-per-channel pace is chat.postMessage's; several reviewers deciding in their group's
    channel get their private confirmations at once, not one a second."""
    pacer = world.rt.api.pacer
    pacer.rate, pacer.burst = 0.001, 1.0  # a paced method would now wait ~1,000 s for its second call
    notes = [world.rt.api.call("chat.postEphemeral", channel="CPRODUCT", user=f"U{i}", text=f"Recorded {i}")
             for i in range(5)]
    await asyncio.wait_for(asyncio.gather(*notes), 10)
    assert len([c for c in world.calls("chat.postEphemeral") if c["channel"] == "CPRODUCT"]) == 5


async def test_posts_to_one_channel_are_paced(world: SlackWorld):
    pacer = world.rt.api.pacer
    pacer.rate, pacer.burst = 1.0, 3.0  # aiom's defaults: a short burst, then one a second per channel
    deliverer = world.app.deliverers["slack"]
    await asyncio.gather(*(deliverer.post("CLEADERSHIP", Message([Text([f"Note {i}"])])) for i in range(5)))
    await deliverer.post("CRISK", Message([Text(["Elsewhere"])]))
    at = [c.at for c in world.calls("chat.postMessage") if c["channel"] == "CLEADERSHIP"]
    assert len(at) == 5
    assert at[3] - at[0] >= 0.9 and at[4] - at[0] >= 1.9  # the 4th and 5th waited their turn
    assert len(world.calls("chat.postMessage")) == 6


async def test_a_post_slack_answers_too_late_is_not_posted_again_by_the_client():
    """Slack takes the post but answers after the client's timeout: the SDK must not post it a second time
    (an update, which changes nothing twice, may still be retried)."""
    from bot.slack.api import SlackApi  # noqa: PLC0415
    from notifications.delivery import DeliveryError  # noqa: PLC0415
    from tests.support.fake_slack import FakeSlack  # noqa: PLC0415

    fake = await FakeSlack(latency=1.5).start()
    api = SlackApi("xoxb-test-token", fake.base_url, timeout=1)
    try:
        with pytest.raises(DeliveryError):
            await api.call("chat.postMessage", channel="C1", text="Review card", blocks=[])
        await asyncio.sleep(1.6)  # the fake finishes what it was sent
        assert len(fake.calls_to("chat.postMessage")) == 1
        with pytest.raises(DeliveryError):
            await api.call("chat.update", channel="C1", ts="1.2", text="Review card", blocks=[])
        await asyncio.sleep(1.6)
        assert len(fake.calls_to("chat.update")) == 3  # idempotent: retried twice
    finally:
        await api.close()
        await fake.stop()
