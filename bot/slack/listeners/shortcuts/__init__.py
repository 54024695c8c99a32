from __future__ import annotations

from functools import partial

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.shortcuts import propose
from bot.slack.runtime import SlackRuntime


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    bolt.shortcut(propose.CALLBACK_ID)(partial(propose.on_shortcut, rt))
