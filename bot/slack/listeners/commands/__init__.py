from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.commands import aiom
from bot.slack.runtime import SlackRuntime


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    aiom.register(bolt, rt)
