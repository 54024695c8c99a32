"""`user_change` with `deleted: true`: a Slack account was deactivated, so its person is recorded as having
left (conversations/people/leavers.py) and leadership gets the handover list. Only accounts aiom already knows with a
verified email count; a reactivation or any other profile change is left alone."""
from __future__ import annotations

from bot.slack.listeners.common import guarded
from bot.slack.runtime import SlackRuntime
from conversations.people.leavers import left_on_platform


async def on_user_change(rt: SlackRuntime, body: dict, event: dict) -> None:
    user = event.get("user") or {}
    if not isinstance(user, dict) or user.get("deleted") is not True or not user.get("id"):
        return
    if user.get("is_bot"):
        return
    team = body.get("team_id") or user.get("team_id") or ""
    await guarded(rt, "user_change", left_on_platform(rt.app, "slack", team, user["id"], "slack"))
