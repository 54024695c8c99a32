"""App Home: my ideas, reviews waiting for me, scorecards I still owe (published on every open)."""
from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack import home
from bot.slack.listeners.common import guarded
from bot.slack.runtime import SlackRuntime


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    @bolt.event("app_home_opened")
    async def on_home(event: dict) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        await guarded(rt, "app_home_opened", home.publish(rt, event["user"]))
