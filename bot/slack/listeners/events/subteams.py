"""A Slack user group changed (members added or removed, renamed, disabled): review groups that follow it
re-read its members (usergroups.users.list), so a person taken out can no longer decide."""
from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.common import guarded
from bot.slack.runtime import SlackRuntime
from notifications import group_sync


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    @bolt.event("subteam_members_changed")
    async def on_members_changed(event: dict) -> None:
        sid = event.get("subteam_id")
        if sid:
            await guarded(rt, "subteam_members_changed",
                          group_sync.sync_source(rt.app.notifications, "slack", sid,
                                                 why="Slack user group members changed"))

    @bolt.event("subteam_updated")
    async def on_updated(event: dict) -> None:
        sid = (event.get("subteam") or {}).get("id")
        if sid:
            await guarded(rt, "subteam_updated",
                          group_sync.sync_source(rt.app.notifications, "slack", sid, why="Slack user group updated"))
