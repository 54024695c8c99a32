from __future__ import annotations

from functools import partial

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.commands import aiom
from bot.slack.runtime import SlackRuntime


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    bolt.command(aiom.COMMAND)(partial(aiom.on_command, rt))
