"""Channels: @aiom starts a conversation in a thread, the person's replies in that thread continue it without
mentioning aiom again, and other channel talk is left alone. And when Slack cannot say who someone is,
nothing is guessed."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.tables import ConversationState, Person
from tests.support.slack_driver import SlackWorld, dm_channel

ZOE, SAM = "U111", "U666"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    w.fake.add_user(SAM, "sam.security@example.com", "Sam Security")
    yield w
    assert w.fake.violations == []
    await w.stop()


def _channel_message(user: str, text: str, ts: str, thread_ts: str | None = None) -> dict:
    event = {"type": "message", "channel": "CGENERAL", "channel_type": "channel", "user": user, "text": text,
             "ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


async def test_a_mention_starts_a_thread_and_replies_there_continue_it(world: SlackWorld):
    await world.mention(ZOE, "CGENERAL", "propose")
    question = world.last("CGENERAL")
    mention_ts = question.thread_ts
    assert mention_ts and "What should we call this idea" in question.all_text

    posts = len(world.calls("chat.postMessage"))
    await world.event(_channel_message(ZOE, "Claims triage assistant", "1700000100.000001", mention_ts))
    assert len(world.calls("chat.postMessage")) == posts + 1
    assert world.last("CGENERAL").thread_ts == mention_ts
    assert "What problem does it solve" in world.last("CGENERAL").all_text

    # someone else chatting in that thread, and talk outside threads, are none of aiom's business
    await world.event(_channel_message(SAM, "Nice idea!", "1700000100.000002", mention_ts))
    await world.event(_channel_message(ZOE, "lunch?", "1700000100.000003"))
    assert len(world.calls("chat.postMessage")) == posts + 1
    assert world.calls("chat.postEphemeral") == []


async def test_when_slack_cannot_say_who_someone_is_nothing_is_guessed(world: SlackWorld):
    world.fake.fail_next("users.info", 3, status=500)  # more than the client's retries
    await world.dm(ZOE, "propose")
    sorry = world.last(dm_channel(ZOE))
    assert "could not reach Slack to check who you are" in sorry.text
    async with world.app.db.read() as s:
        assert (await s.execute(select(func.count()).select_from(Person))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(ConversationState))).scalar_one() == 0
    await world.dm(ZOE, "propose")  # Slack is back
    assert "What should we call this idea" in world.last(dm_channel(ZOE)).all_text
    async with world.app.db.read() as s:
        person = (await s.execute(select(Person))).scalar_one()
    assert person.email == "zoe@example.com"
