"""The inbound journal: every accepted request is written before its ack, finished with the turn's effects, and
replayed when the process that took it never finished it (a crash, a lost database)."""
from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.repo import events
from storage.tables import InboundEntry
from tests.support import slack_signing as signing
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.support.teams_activities import message, teams, user  # noqa: F401 - fixture

ZOE = "U111"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    yield w
    await w.stop()


async def _entries(app) -> list[InboundEntry]:
    async with app.db.read() as s:
        return list((await s.execute(select(InboundEntry).order_by(InboundEntry.id))).scalars().all())


def _dm(world: SlackWorld, text: str, event_id: str) -> tuple[str, dict]:
    event = {"type": "message", "channel": dm_channel(ZOE), "user": ZOE, "text": text, "ts": "1700000000.000100",
             "channel_type": "im"}
    return signing.event_request(world.envelope(event, event_id))


def _dead_database() -> Database:
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    return Database(f"postgresql://postgres@127.0.0.1:{port}/nothing", connect_timeout=1)


async def test_an_accepted_dm_is_journaled_with_its_raw_body_and_finished_with_its_turn(world: SlackWorld):
    body, headers = _dm(world, "help", "EvJ1")
    r = await world.client.post("/slack/events", data=body.encode(), headers=headers)
    assert r.status == 200
    await world.settle()
    [entry] = await _entries(world.app)
    assert (entry.platform, entry.event_id, entry.body, entry.outcome) == ("slack", "EvJ1", body, "done")
    assert entry.done_at is not None
    assert world.calls("chat.postMessage")  # and Zoe was answered


async def test_channel_chatter_and_link_buttons_are_not_journaled_and_ignored_events_are_closed(world):
    chatter = {"type": "message", "channel": "CGENERAL", "user": ZOE, "text": "lunch?", "ts": "1700000000.2"}
    assert await world.event(chatter) == 200
    thread_reply = dict(chatter, thread_ts="1700000000.1", ts="1700000000.3")  # a thread aiom is not part of
    assert await world.event(thread_reply, event_id="EvThread") == 200
    entries = await _entries(world.app)
    assert [(e.event_id, e.outcome) for e in entries] == [("EvThread", "skipped")]


async def test_a_request_left_unfinished_by_a_dead_process_is_replayed_and_answered(world: SlackWorld, clock):
    """What a process killed after its ack leaves behind: the entry, no turn. Another process replays it once
    the lease has run out, and Zoe gets her answer."""
    body, _ = _dm(world, "propose", "EvCrash")
    async with world.app.db.write() as s:
        await events.record(s, "slack", "EvCrash", body=body, content_type="application/json",
                            lease=timedelta(seconds=30), now=clock() - timedelta(minutes=2))
    assert await world.app.replayer.run_once() == 1
    await world.settle()
    [entry] = await _entries(world.app)
    assert entry.outcome == "done" and entry.attempts == 2
    posted = world.calls("chat.postMessage")
    assert posted and {c.args["channel"] for c in posted} == {dm_channel(ZOE)}
    assert "What should we call this idea?" in posted[-1].args["text"]
    assert await world.app.replayer.run_once() == 0  # finished: never replayed again
    # and Slack's own retry of it, now, changes nothing
    body, headers = _dm(world, "propose", "EvCrash")
    r = await world.client.post("/slack/events", data=body.encode(), headers={**headers, "X-Slack-Retry-Num": "1"})
    assert r.status == 200
    await world.settle()
    assert len(world.calls("chat.postMessage")) == len(posted)


async def test_an_entry_still_leased_is_left_to_its_process(world: SlackWorld, clock):
    body, _ = _dm(world, "help", "EvBusy")
    async with world.app.db.write() as s:
        await events.record(s, "slack", "EvBusy", body=body, content_type="application/json",
                            lease=timedelta(seconds=30), now=clock())
    assert await world.app.replayer.run_once() == 0
    await world.settle()
    assert world.calls("chat.postMessage") == []


async def test_an_entry_that_keeps_failing_is_given_up_after_a_few_attempts(world: SlackWorld, clock):
    async with world.app.db.write() as s:
        await events.record(s, "slack", "EvBroken", body="{not json", content_type="application/json",
                            lease=timedelta(seconds=0), now=clock() - timedelta(minutes=5))
    for _ in range(8):
        async with world.app.db.write() as s:  # its lease ran out again
            await s.execute(InboundEntry.__table__.update().values(lease_until=clock() - timedelta(seconds=1)))
        await world.app.replayer.run_once()
    [entry] = await _entries(world.app)
    assert entry.outcome == "given_up" and entry.done_at is not None


async def test_without_a_database_the_request_is_not_acknowledged_so_slack_sends_it_again(world: SlackWorld):
    live = world.app.db
    world.app.db = _dead_database()
    try:
        body, headers = _dm(world, "help", "EvNoDb")
        r = await world.client.post("/slack/events", data=body.encode(), headers=headers)
        assert r.status == 503
    finally:
        await world.app.db.dispose()
        world.app.db = live
    r = await world.client.post("/slack/events", data=body.encode(), headers=headers)  # Slack's retry
    assert r.status == 200
    await world.settle()
    assert [e.outcome for e in await _entries(world.app)] == ["done"]


async def test_a_teams_message_left_unfinished_is_replayed_and_answered(teams, clock):
    amy = user("Amy", "amy@example.com")
    teams.fake.add_member(amy.user_id, name=amy.name, aad=amy.aad, email=amy.email, tenant=amy.tenant)
    act = message(amy, "help", service_url=teams.service_url)
    async with teams.app.db.write() as s:
        from bot.teams.listeners.common import event_key  # noqa: PLC0415
        from botbuilder.schema import Activity  # noqa: PLC0415

        key = event_key(Activity().deserialize(act))
        await events.record(s, "teams", key, body=json.dumps(act), content_type="application/json",
                            lease=timedelta(seconds=30), now=clock() - timedelta(minutes=2))
    assert teams.fake.sent == []
    assert await teams.app.replayer.run_once() == 1
    await teams.drain()
    assert len(teams.fake.sent) >= 1
    [entry] = await _entries(teams.app)
    assert entry.outcome == "done"
    # Teams' own retry of the activity now: answered, nothing runs twice
    n = len(teams.fake.sent)
    r = await teams.post(act)
    assert r.status == 200 and len(teams.fake.sent) == n


async def test_a_turn_committed_but_never_sent_is_sent_by_the_replay_once(world: SlackWorld, clock):
    """What a process killed between its turn's commit and the sends leaves: the entry finished, the reply kept,
    nothing posted. The replay sends the kept reply - once."""
    from bot.slack.inbound import message_turn  # noqa: PLC0415

    body, _ = _dm(world, "propose", "EvHalf")
    async with world.app.db.write() as s:
        await events.record(s, "slack", "EvHalf", body=body, content_type="application/json",
                            lease=timedelta(seconds=30), now=clock() - timedelta(minutes=2))
    envelope = json.loads(body)
    turn = await message_turn(world.rt, envelope, envelope["event"])
    outcome = await world.app.engine.handle(turn.inbound)  # the turn commits; the process dies here
    assert outcome.ops and world.calls("chat.postMessage") == []
    clock.advance(minutes=1)  # the dead process's lease runs out
    assert await world.app.replayer.run_once() == 1
    await world.settle()
    posted = world.calls("chat.postMessage")
    assert posted and "What should we call this idea?" in posted[-1].args["text"]
    [entry] = await _entries(world.app)
    assert entry.replied_at is not None
    clock.advance(minutes=5)
    assert await world.app.replayer.run_once() == 0
    await world.settle()
    assert len(world.calls("chat.postMessage")) == len(posted)
    # the flow goes on from the re-sent question
    await world.dm(ZOE, "Claims triage assistant")
    assert "problem" in world.calls("chat.postMessage")[-1].args["text"].lower()


async def test_a_teams_retry_of_a_turn_whose_reply_was_lost_gets_the_reply(teams, clock):
    amy = user("Amy", "amy@example.com")
    teams.fake.add_member(amy.user_id, name=amy.name, aad=amy.aad, email=amy.email, tenant=amy.tenant)
    act = message(amy, "help", service_url=teams.service_url)
    first = await teams.post(act)
    assert first.status == 200 and len(first.sent) == 1
    # Same activity, but this time the process "dies" after the commit: run only the engine's turn.
    act2 = message(amy, "help", service_url=teams.service_url)
    from bot.teams.listeners.common import event_key  # noqa: PLC0415
    from botbuilder.schema import Activity  # noqa: PLC0415
    from vocabulary.interaction import Actor, Inbound, Where  # noqa: PLC0415

    key = event_key(Activity().deserialize(act2))
    async with teams.app.db.write() as s:
        await events.record(s, "teams", key, body=json.dumps(act2), content_type="application/json",
                            lease=timedelta(seconds=30), now=clock())
    async with teams.app.db.read() as s:
        from storage.repo import people  # noqa: PLC0415

        ident = await people.identity(s, "teams", amy.tenant, amy.aad)
    assert ident is not None
    actor = Actor(platform="teams", external_id=amy.aad, tenant=amy.tenant, name="Amy")
    where = Where(platform="teams", conversation_id=act2["conversation"]["id"], kind="personal", tenant=amy.tenant)
    outcome = await teams.app.engine.handle(Inbound(actor=actor, where=where, text="help", event_id=key))
    assert outcome.ops
    retry_too_soon = await teams.post(act2)  # still the (dead) first process's to send
    assert retry_too_soon.status == 200 and retry_too_soon.sent == []
    clock.advance(minutes=1)
    retry = await teams.post(act2)  # Bot Framework retries: the kept reply goes out
    assert retry.status == 200 and len(retry.sent) == 1
    assert retry.sent[0].text == first.sent[0].text
    again = await teams.post(act2)
    assert again.sent == []


async def test_a_process_only_takes_outbox_rows_for_platforms_it_serves(world: SlackWorld, clock):
    """A Slack-only process leaves a Teams notice to the process that serves Teams: untouched, not failed."""
    from vocabulary.messages import say  # noqa: PLC0415
    from storage.repo import outbox  # noqa: PLC0415
    from storage.tables import Outbox  # noqa: PLC0415

    async with world.app.db.write() as s:
        for platform, target in (("teams", "a:personal-x"), ("slack", dm_channel(ZOE))):
            await outbox.enqueue(s, dedupe_key=f"t:{platform}", platform=platform, kind="post", target=target,
                                 message=say("Hello").to_dict(), now=clock())
    await world.app.dispatcher.drain()
    async with world.app.db.read() as s:
        rows = {r.platform: r for r in (await s.execute(select(Outbox))).scalars().all()}
    assert rows["slack"].status == "sent"
    assert (rows["teams"].status, rows["teams"].attempts, rows["teams"].claimed_by) == ("pending", 0, None)


async def test_a_reply_posted_just_before_the_process_died_is_found_and_not_posted_again(world: SlackWorld,
                                                                                         clock):
    """The duplicate window on Slack: the reply went out, the process died before stamping it sent. The replay
    looks for the reply (by the key in its metadata) among the channel's latest messages and posts nothing."""
    from bot.slack.inbound import message_turn  # noqa: PLC0415

    body, _ = _dm(world, "help", "EvPosted")
    async with world.app.db.write() as s:
        await events.record(s, "slack", "EvPosted", body=body, content_type="application/json",
                            lease=timedelta(seconds=30), now=clock())
    envelope = json.loads(body)
    turn = await message_turn(world.rt, envelope, envelope["event"])
    outcome = await world.app.engine.handle(turn.inbound)
    await world.rt.ops.carry_out(outcome, turn)  # posted... and the process dies before the stamp
    posted = world.calls("chat.postMessage")
    assert len(posted) == 1 and posted[0].args["metadata"]["event_payload"]["k"] == "EvPosted:0"
    clock.advance(minutes=1)
    assert await world.app.replayer.run_once() == 1
    await world.settle()
    assert len(world.calls("chat.postMessage")) == 1  # found, not posted again
    assert world.calls("conversations.history")
    [entry] = await _entries(world.app)
    assert entry.replied_at is not None


async def test_on_sqlite_a_journal_write_goes_before_the_turns_waiting_for_the_lock(db_url):
    """The ack waits for the transaction in progress, not for every turn queued behind it."""
    db = Database(db_url)
    if not db.is_sqlite:
        await db.dispose()
        pytest.skip("SQLite's single writer only; on Postgres journal writes use a small pool of their own")
    order: list[str] = []
    try:
        import asyncio  # noqa: PLC0415

        holding = asyncio.Event()
        go_on = asyncio.Event()

        async def turn(name: str, hold: bool = False):
            async with db.write():
                order.append(name)
                if hold:
                    holding.set()
                    await go_on.wait()

        async def journal():
            async with db.write(priority=True):
                order.append("journal")

        first = asyncio.ensure_future(turn("turn-0", hold=True))
        await holding.wait()
        queued = [asyncio.ensure_future(turn(f"turn-{n}")) for n in range(1, 6)]
        await asyncio.sleep(0)
        ack = asyncio.ensure_future(journal())
        await asyncio.sleep(0)
        go_on.set()
        await asyncio.gather(first, ack, *queued)
        assert order == ["turn-0", "journal", "turn-1", "turn-2", "turn-3", "turn-4", "turn-5"]
    finally:
        await db.dispose()


async def test_a_reply_whose_stamp_failed_is_stamped_when_the_database_is_back_and_not_sent_again(
        world: SlackWorld, clock):
    """The database goes away between a reply's send and its stamp (the process lives on): the process keeps
    trying the stamp and its replayer leaves the entry alone meanwhile, so the reply is not sent a second time."""
    import asyncio  # noqa: PLC0415

    from bot import journal  # noqa: PLC0415
    from bot.slack.inbound import message_turn  # noqa: PLC0415

    body, _ = _dm(world, "help", "EvStamp")
    async with world.app.db.write() as s:
        await events.record(s, "slack", "EvStamp", body=body, content_type="application/json",
                            lease=timedelta(seconds=30), now=clock())
    envelope = json.loads(body)
    turn = await message_turn(world.rt, envelope, envelope["event"])
    token = journal.begin("slack", "EvStamp")
    try:
        outcome = await world.app.engine.handle(turn.inbound)
        await world.rt.ops.carry_out(outcome, turn)  # the reply goes out
        live = world.app.db
        world.app.db = _dead_database()  # and the database is away when it is stamped
        try:
            await journal.replied(world.app)
        finally:
            await world.app.db.dispose()
            world.app.db = live
    finally:
        journal.release(journal.current.get())
        journal.current.reset(token)
    posted = len(world.calls("chat.postMessage"))
    clock.advance(minutes=1)  # its lease has run out: without the stamp, a replay would send it again
    assert await world.app.replayer.run_once() == 0
    for _ in range(100):  # the database is back: the stamp goes through
        [entry] = await _entries(world.app)
        if entry.replied_at is not None:
            break
        await asyncio.sleep(0.05)
    assert entry.replied_at is not None
    clock.advance(minutes=1)
    assert await world.app.replayer.run_once() == 0
    await world.settle()
    assert len(world.calls("chat.postMessage")) == posted
