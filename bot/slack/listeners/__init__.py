"""Bolt listeners, registered once at start-up; one small handler per file."""
from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners import actions, commands, events, shortcuts, views
from bot.slack.runtime import SlackRuntime


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    commands.register(bolt, rt)
    shortcuts.register(bolt, rt)
    views.register(bolt, rt)
    actions.register(bolt, rt)
    events.register(bolt, rt)  # last: it ends with a catch-all for events aiom does not use
