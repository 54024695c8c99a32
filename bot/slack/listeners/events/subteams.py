"""A Slack user group changed (members added or removed, renamed, disabled): review groups that follow it
re-read its members (usergroups.users.list), so a person taken out can no longer decide."""
from __future__ import annotations

from bot.slack.listeners.common import guarded
from bot.slack.runtime import SlackRuntime
from notifications import group_sync


async def on_members_changed(rt: SlackRuntime, event: dict) -> None:
    sid = event.get("subteam_id")
    if sid:
        await guarded(rt, "subteam_members_changed",
                      group_sync.sync_source(rt.app.notifications, "slack", sid, why="Slack user group members changed"))


async def on_updated(rt: SlackRuntime, event: dict) -> None:
    sid = (event.get("subteam") or {}).get("id")
    if sid:
        await guarded(rt, "subteam_updated",
                      group_sync.sync_source(rt.app.notifications, "slack", sid, why="Slack user group updated"))
