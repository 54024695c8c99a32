"""Getting messages out to Slack: 429s and server errors retried as Slack asks, failed replies kept in the
outbox, outbox DMs by email, files, oversized and hostile text handled without an API error."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.slack.retry import RateLimitHandler
from vocabulary.messages import Buttons, Button, Facts, Header, Message, Text
from notifications.delivery import DeliveryError, Recipient
from storage.tables import Outbox, UseCase
from tests.support import factories
from tests.support.block_kit import mrkdwn_strings
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.support.slack_more import plain_texts
from tests.test_slack_intake import ANSWERS

ZOE, ANNA, BOB, LENA = "U111", "U222", "U333", "U555"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    w.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    w.fake.add_user(BOB, "bob.delivery@example.com", "Bob Delivery")
    w.fake.add_user(LENA, "lena.lead@example.com", "Lena Lead")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def test_a_429_is_retried_after_retry_after_and_the_post_lands_once(world: SlackWorld):
    world.fake.fail_next("chat.postMessage", 1, retry_after=1)
    await world.dm(ZOE, "hello")
    attempts = world.fake.attempts("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0  # Slack's Retry-After was honoured
    assert "Hello Zoe" in world.last(dm_channel(ZOE)).all_text
    async with world.app.db.read() as s:
        assert (await s.execute(select(Outbox))).scalars().all() == []  # nothing needed the outbox


async def test_a_long_rate_limit_leaves_the_reply_in_the_outbox_for_later(world: SlackWorld, clock):
    for h in world.rt.api.client.retry_handlers:
        if isinstance(h, RateLimitHandler):
            h.max_wait = 0.5  # Retry-After 1 is "too long to wait" here
    world.fake.fail_next("chat.postMessage", 1, retry_after=1)
    await world.dm(ZOE, "hello")
    async with world.app.db.read() as s:
        row = (await s.execute(select(Outbox))).scalar_one()
    assert (row.status, row.purpose, row.target) == ("pending", "reply", dm_channel(ZOE))
    assert row.not_before >= clock() + timedelta(seconds=1)  # not before Slack's Retry-After
    clock.advance(seconds=2)
    await world.settle()
    async with world.app.db.read() as s:
        row = (await s.execute(select(Outbox))).scalar_one()
    assert row.status == "sent" and row.platform_message_id
    assert len(world.calls("chat.postMessage")) == 1 and "Hello Zoe" in world.last(dm_channel(ZOE)).all_text


async def test_server_errors_are_retried_with_backoff(world: SlackWorld):
    world.fake.fail_next("chat.postMessage", 2, status=503)
    await world.dm(ZOE, "hello")
    assert [c.status for c in world.fake.attempts("chat.postMessage")] == [503, 503, 200]


async def test_outbox_dms_find_people_by_email_and_unknown_people_fail_for_good(world: SlackWorld):
    deliverer = world.app.deliverers["slack"]
    channel, ts = await deliverer.dm(Recipient(1, "bob.delivery@example.com", "Bob"), Message([Text(["Hi Bob"])]))
    assert channel == dm_channel(BOB) and ts
    assert world.calls("users.lookupByEmail")[-1]["email"] == "bob.delivery@example.com"
    with pytest.raises(DeliveryError) as e:
        await deliverer.dm(Recipient(2, "nobody@example.com", "Nobody"), Message([Text(["Hi"])]))
    assert e.value.retry is False


async def test_a_huge_message_is_cut_to_fit_and_says_what_was_left_out(world: SlackWorld):
    deliverer = world.app.deliverers["slack"]
    huge = Message([Header("Portfolio " * 40)] + [Text([f"Row {i}: " + "x" * 4000]) for i in range(40)]
                   + [Facts([(f"Area {i}", "y" * 2500) for i in range(18)])]
                   + [Buttons([Button(f"Open UC-{i} with a very long button label indeed", "status.show", {"uc": i})
                               for i in range(40)])])
    ts = await deliverer.post("CLEADERSHIP", huge)
    assert ts
    sent = world.calls("chat.postMessage")[-1]
    assert len(sent["blocks"]) == 50 and "left out" in world.fake.seen_text([sent])
    assert sum(len(b["elements"]) for b in sent["blocks"] if b["type"] == "actions") == 40


async def test_an_oversized_answer_is_handled_without_an_api_error(world: SlackWorld):
    await world.dm(ZOE, "propose")
    await world.dm(ZOE, ANSWERS[0])
    status = await world.dm(ZOE, "All day long " * 800)  # 10,400 characters
    assert status == 200
    assert "characters long" in world.last(dm_channel(ZOE)).all_text  # asked again, kindly
    await world.dm(ZOE, ANSWERS[1])
    assert "what will be better, measured how" in world.last(dm_channel(ZOE)).all_text


async def test_hostile_text_arrives_escaped_in_every_outgoing_block(world: SlackWorld):
    # What Slack sends when someone literally types <!channel> <@U123> <http://x|y> (entities), and when
    # they really use @channel and a link (tokens).
    typed = "Plan &lt;!channel&gt; &lt;@U123&gt; &lt;http://x|y&gt; &amp; <!channel> <http://evil.example|y>"
    await world.dm(ZOE, "propose")
    await world.dm(ZOE, typed)
    for answer in ANSWERS[1:]:
        await world.dm(ZOE, answer)
    for _ in range(6):
        prompt = world.last(dm_channel(ZOE))
        await world.click(ZOE, prompt.buttons()[0]["text"]["text"], prompt)
    await world.click(ZOE, "That tier is right")
    await world.click(ZOE, "Submit the idea")
    async with world.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
    assert uc.title == "Plan <!channel> <@U123> <http://x|y> & @channel y (http://evil.example)"
    parsed = [t for c in world.fake.messages() for t in mrkdwn_strings(c.args)]
    assert any("Plan &lt;!channel&gt; &lt;@U123&gt; &lt;http://x|y&gt; &amp;" in t for t in parsed)
    for t in parsed:
        for raw in ("<!channel>", "<@U123>", "<http://x|y>", "<http://evil.example"):
            assert raw not in t
    assert len([c for c in world.calls("chat.postMessage") if c["channel"] == dm_channel(ANNA)]) == 1


async def test_a_leader_gets_the_export_as_a_file_in_the_dm(world: SlackWorld, clock):
    async with world.app.db.write() as s:
        await factories.use_case(s, now=clock(), stage="pilot")
    await world.dm(LENA, "export")
    done = world.calls("files.completeUploadExternal")
    assert len(done) == 1 and done[0]["channel_id"] == dm_channel(LENA)
    upload = world.calls("upload")
    assert upload and upload[0]["bytes"] > 1000
    assert world.calls("files.getUploadURLExternal")[0]["filename"].endswith(".xlsx")


async def test_typed_formatting_shows_as_typed_in_slack(world: SlackWorld):
    typed = "*bold* _it_ ~s~ `code`"
    await world.dm(ZOE, "propose")
    first = world.last(dm_channel(ZOE))
    await world.dm(ZOE, typed)
    answered = world.screens[(dm_channel(ZOE), first.ts)]  # the question, replaced by its answer
    assert any(typed in t for t in plain_texts(answered.blocks))  # plain_text: shown as typed, parsed never
    for c in world.fake.messages():
        for t in mrkdwn_strings(c.args):
            for run in ("*bold*", "_it_", "~s~", "`code`"):
                assert run not in t


async def test_a_button_too_big_for_slack_is_kept_and_works(world: SlackWorld, clock):
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock())
    deliverer = world.app.deliverers["slack"]
    padded = Button("Status of the idea", "status.show", {"uc": uc.id, "note": "x" * 2500})  # not ids only
    long_action = Button("Help", "help.show" + "." * 300)  # an action id over 255 characters
    await deliverer.post(dm_channel(ZOE), Message([Text(["Two odd buttons"]), Buttons([padded, long_action])]))
    await world.settle()
    card = world.last(dm_channel(ZOE))
    assert [b["text"]["text"] for b in card.buttons()] == ["Status of the idea", "Help"]  # none dropped
    await world.click(ZOE, "Status of the idea", card)
    assert f"UC-{uc.id} · Claims triage assistant" in world.last(dm_channel(ZOE)).all_text
    await world.click(ZOE, "Help", card)  # reaches the engine under its real (unknown) name: a polite answer
    assert "not one I recognise" in world.last(dm_channel(ZOE)).all_text


async def test_an_outbox_post_whose_process_stopped_before_the_stamp_is_not_posted_twice(world: SlackWorld, clock):
    """A process claims an outbox row and posts it; Slack takes the post, but the process is gone (its task stops
    while Slack's answer is on its way) before the row is stamped. Once the claim runs out, the next process
    finds the post in the channel by the key in its metadata and stamps the row instead of posting it again."""
    import asyncio  # noqa: PLC0415

    from notifications.dispatcher import Dispatcher  # noqa: PLC0415
    from storage.repo import outbox  # noqa: PLC0415

    channel = dm_channel(ZOE)
    async with world.app.db.write() as s:
        row_id = await outbox.enqueue(s, dedupe_key="notice:due:1", platform="slack", kind="post", target=channel,
                                      message=Message([Text(["The review of Chatbot is due today."])]).to_dict(),
                                      now=clock())
    world.fake.latency = 1.5  # Slack takes the post, and answers after the process has stopped
    gone = Dispatcher(world.app.db, world.app.deliverers, worker="gone", clock=clock, lease_seconds=60)
    sending = asyncio.create_task(gone.run_once())
    await asyncio.sleep(0.6)
    sending.cancel()  # the process stops between the post and the stamp
    with pytest.raises(asyncio.CancelledError):
        await sending
    for _ in range(100):
        if world.fake.calls_to("chat.postMessage"):
            break
        await asyncio.sleep(0.05)
    [first] = world.fake.calls_to("chat.postMessage")  # it did land in Slack
    async with world.app.db.read() as s:
        assert (await s.get(Outbox, row_id)).status == "sending"  # but was never stamped
    world.fake.latency = 0
    clock.advance(seconds=121)  # the claim runs out; the next process claims the row again
    await world.settle()
    assert len(world.fake.calls_to("chat.postMessage")) == 1  # looked for, found: not posted twice
    assert world.fake.calls_to("conversations.history")
    async with world.app.db.read() as s:
        row = await s.get(Outbox, row_id, populate_existing=True)
    assert (row.status, row.platform_message_id, row.attempts) == ("sent", first.result["ts"], 2)


async def test_a_reply_queued_after_its_post_failed_is_looked_for_before_it_is_posted(world: SlackWorld, clock):
    """A turn's reply whose post failed goes to the outbox; the outbox looks for it by the turn's own key first,
    so a post Slack took but answered too late (or with an error) is not posted a second time."""
    for h in world.rt.api.client.retry_handlers:
        if isinstance(h, RateLimitHandler):
            h.max_wait = 0.5
    world.fake.fail_next("chat.postMessage", 1, retry_after=1)
    await world.dm(ZOE, "hello")
    clock.advance(seconds=2)
    await world.settle()
    assert world.fake.calls_to("conversations.history")  # looked for first, not there, posted once
    posts = [c for c in world.fake.calls_to("chat.postMessage") if c.args.get("channel") == dm_channel(ZOE)]
    assert len(posts) == 1 and "Hello Zoe" in world.last(dm_channel(ZOE)).all_text
    assert posts[0].args["metadata"]["event_payload"]["k"].endswith(":0")  # the turn's own key
