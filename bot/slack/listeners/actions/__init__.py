from __future__ import annotations

from functools import partial

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.actions import button
from bot.slack.runtime import SlackRuntime


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    bolt.action(button.ANY)(partial(button.on_click, rt))
