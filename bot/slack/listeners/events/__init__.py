from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.events import app_home_opened, app_mention, message, subteams, user_change
from bot.slack.runtime import SlackRuntime


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    message.register(bolt, rt)
    app_mention.register(bolt, rt)
    app_home_opened.register(bolt, rt)
    subteams.register(bolt, rt)
    user_change.register(bolt, rt)

    @bolt.event(re.compile(r".*"))
    async def other_events() -> None:
        """Events Slack sends unasked (app_uninstalled, tokens_revoked ...): acknowledged, nothing to do."""
