"""App Home: my ideas, reviews waiting for me, scorecards I still owe (published on every open)."""
from __future__ import annotations

from bot.slack import home
from bot.slack.listeners.common import guarded
from bot.slack.runtime import SlackRuntime


async def on_home(rt: SlackRuntime, event: dict) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    await guarded(rt, "app_home_opened", home.publish(rt, event["user"]))
