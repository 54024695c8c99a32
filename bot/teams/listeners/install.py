"""installationUpdate and conversationUpdate: store the conversation reference; greet a personal install.

The greeting goes through the engine (which also creates the person), keyed on the conversation so a
repeated install event greets once.
"""
from __future__ import annotations

from botbuilder.core import TurnContext

from bot.teams.activity import channel_data, kind_of, tenant_of
from bot.teams.listeners.common import run_turn, where_of
from bot.teams.runtime import TeamsRuntime
from vocabulary.interaction import Inbound
from conversations.people.leavers import left_on_platform
from notifications import group_sync


async def on_installation_update(rt: TeamsRuntime, turn: TurnContext) -> None:
    await rt.refs.remember(turn.activity)
    action = (turn.activity.action or "").lower()
    if action.startswith("add") and kind_of(turn.activity) == "personal":
        await greet(rt, turn)


async def on_conversation_update(rt: TeamsRuntime, turn: TurnContext) -> None:
    a = turn.activity
    await rt.refs.remember(a)
    bot_id = a.recipient.id if a.recipient else None
    added_bot = any(m.id == bot_id for m in a.members_added or [])
    if added_bot and kind_of(a) == "personal":
        await greet(rt, turn)
    people_changed = [m for m in (a.members_added or []) + (a.members_removed or []) if m.id != bot_id]
    team = (channel_data(a).get("team") or {}).get("id")
    if people_changed and team:  # someone joined or left a team: review groups that follow it re-read its roster
        if rt.rosters is not None:
            rt.rosters.note(a)
        await group_sync.sync_source(rt.app.notifications, "teams", team, why="Teams team members changed")
    if kind_of(a) == "personal":  # the person removed from aiom's personal scope: they have left
        tenant = tenant_of(a)
        for m in a.members_removed or []:
            if m.id and m.id != bot_id:
                await left_on_platform(rt.app, "teams", tenant, m.aad_object_id or m.id, "teams")


async def greet(rt: TeamsRuntime, turn: TurnContext) -> None:
    actor = await rt.directory.actor(turn)
    a = turn.activity
    await run_turn(rt, turn, Inbound(actor=actor, where=where_of(turn), text="hello", opening=True,
                                     event_id=f"install:{a.conversation.id}"[:256],
                                     message_ref=f"teams:{a.conversation.id}/{a.id}"))
