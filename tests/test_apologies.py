"""Apologies go out through the outbox like every other message: recorded before they are sent and stamped
after, one per request however often the request is replayed or retried."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.slack.listeners.common import SLACK_UNAVAILABLE
from conversations.engine import SORRY
from storage.tables import InboundEntry, Outbox
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.support.slack_more import SlowFakeSlack
from tests.support.teams_activities import message, teams, user  # noqa: F401 - fixture

ZOE = "U111"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    yield w
    assert w.fake.violations == []
    await w.stop()


def broken(engine) -> None:
    """A command whose turn fails every time (a bug, or a database that keeps refusing)."""
    @engine.command("broken")
    async def _broken(ctx, text):
        raise RuntimeError("the turn fails")


async def _rows(app) -> list[Outbox]:
    async with app.db.read() as s:
        return list((await s.execute(select(Outbox).order_by(Outbox.id))).scalars().all())


async def _expire_leases(app, clock) -> None:
    async with app.db.write() as s:
        await s.execute(InboundEntry.__table__.update().values(lease_until=clock() - timedelta(seconds=1)))


async def test_a_failed_slack_turn_apologises_once_through_the_outbox_however_often_it_is_replayed(
        world: SlackWorld, clock):
    broken(world.app.engine)
    assert await world.dm(ZOE, "broken please") == 200
    await world.settle()
    sorry = [c for c in world.calls("chat.postMessage") if SORRY[:40] in (c.args.get("text") or "")]
    assert len(sorry) == 1 and sorry[0].args["channel"] == dm_channel(ZOE)
    [row] = await _rows(world.app)  # recorded, and stamped with what Slack answered
    assert row.dedupe_key.startswith("slack:sorry:") and row.status == "sent"
    assert row.platform_message_id == sorry[0].result["ts"]
    for _ in range(2):  # the entry stays open and is replayed; it fails again
        await _expire_leases(world.app, clock)
        assert await world.app.replayer.run_once() == 1
        await world.settle()
    assert len([c for c in world.calls("chat.postMessage") if SORRY[:40] in (c.args.get("text") or "")]) == 1
    assert len(await _rows(world.app)) == 1


async def test_an_apology_slack_refuses_waits_in_the_outbox_and_goes_out_once(world: SlackWorld, clock):
    broken(world.app.engine)
    world.fake.fail_next("chat.postMessage", 3, status=500)  # the client's tries, all refused
    assert await world.dm(ZOE, "broken") == 200
    for _ in range(3):
        await world.rt.idle()
    [row] = await _rows(world.app)
    assert row.status == "pending" and "could not finish" in str(row.message)  # kept, not lost
    clock.advance(minutes=5)
    await world.settle()
    sorry = [c for c in world.calls("chat.postMessage") if SORRY[:40] in (c.args.get("text") or "")]
    assert len(sorry) == 1 and (await _rows(world.app))[0].status == "sent"


async def test_when_slack_cannot_say_who_someone_is_the_apology_is_queued_and_sent(db_url, policy, clock):
    fake = await SlowFakeSlack().start()
    fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    fake.fail_next("auth.test", 10_000, status=503)
    w = await SlackWorld.start(db_url, policy=policy, clock=clock, fake=fake)
    try:
        assert await w.dm(ZOE, "hello") == 200
        assert SLACK_UNAVAILABLE in w.last(dm_channel(ZOE)).text
        [row] = await _rows(w.app)
        assert row.dedupe_key.startswith("slack:sorry:") and row.status == "sent"
    finally:
        await w.stop()


async def test_a_failed_teams_turn_apologises_once_through_the_outbox(teams, clock):  # noqa: F811
    broken(teams.app.engine)
    zoe = teams.chat(user("Zoe", "zoe@example.com"))
    r = await zoe.say("broken")
    assert r.status == 200 and [s.text for s in r.sent] == [SORRY]
    [row] = await _rows(teams.app)
    assert row.dedupe_key.startswith("teams:sorry:") and row.status == "sent" and row.platform_message_id
    for _ in range(2):  # replayed, failing again: no second apology
        await _expire_leases(teams.app, clock)
        assert await teams.app.replayer.run_once() == 1
    await teams.drain()
    assert [s.text for s in teams.fake.sent_to(zoe.base)].count(SORRY) == 1
    assert len(await _rows(teams.app)) == 1
