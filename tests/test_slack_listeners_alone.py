"""Slack listeners are module-level callbacks (registered by `register(bolt, runtime)`), so each can be imported
and called on its own, with the runtime the real bolt app uses, against the fake Slack Web API."""
from __future__ import annotations

import pytest

from bot.slack.listeners.events.app_home_opened import on_home
from bot.slack.listeners.events.message import on_message
from tests.support.slack_driver import SlackWorld, dm_channel

PAT_U = "U444"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(PAT_U, "pat.product@example.com", "Pat Product", tz="UTC")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def test_the_home_callback_alone_publishes_the_home_tab(world: SlackWorld):
    await on_home(world.rt, {"type": "app_home_opened", "user": PAT_U, "tab": "messages"})
    assert world.calls("views.publish") == []  # the Messages tab: nothing to publish
    await on_home(world.rt, {"type": "app_home_opened", "user": PAT_U, "tab": "home"})
    published = world.calls("views.publish")
    assert [c.args["user_id"] for c in published] == [PAT_U]
    assert "Nothing here yet" in world.fake.seen_text(published)  # a new person: the welcome


async def test_the_message_callback_alone_answers_a_dm_and_ignores_a_bot(world: SlackWorld):
    channel = dm_channel(PAT_U)
    base = {"type": "message", "channel": channel, "channel_type": "im", "ts": "1700000000.000100"}
    await on_message(world.rt, {"team_id": "T1", "event_id": "Ev1"}, {**base, "bot_id": "B9", "text": "help"})
    await world.settle()
    assert world.seen_in(channel) == ""
    await on_message(world.rt, {"team_id": "T1", "event_id": "Ev2"}, {**base, "user": PAT_U, "text": "help"})
    await world.settle()
    assert "propose" in world.seen_in(channel).lower()  # the help answer
