from __future__ import annotations

import re
from functools import partial

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.events import app_home_opened, app_mention, message, subteams, user_change
from bot.slack.runtime import SlackRuntime


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    bolt.event("message")(partial(message.on_message, rt))
    bolt.event("app_mention")(partial(app_mention.on_mention, rt))
    bolt.event("app_home_opened")(partial(app_home_opened.on_home, rt))
    bolt.event("subteam_members_changed")(partial(subteams.on_members_changed, rt))
    bolt.event("subteam_updated")(partial(subteams.on_updated, rt))
    bolt.event("user_change")(partial(user_change.on_user_change, rt))
    bolt.event(re.compile(r".*"))(other_events)  # last: a catch-all for events aiom does not use


async def other_events() -> None:
    """Events Slack sends unasked (app_uninstalled, tokens_revoked ...): acknowledged, nothing to do."""
