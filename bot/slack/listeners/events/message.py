"""Messages: every DM to the bot, and replies in a channel thread where the person has a conversation with
aiom going (a scorecard in a thread). Bots, edits, deletions and the bot's own messages are ignored."""
from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.inbound import message_actor, message_turn, thread_of_message
from bot.slack.listeners.common import guarded, run_turn
from bot.slack.runtime import SlackRuntime
from conversations.people import user_key
from storage.repo import states

HANDLED_SUBTYPES = {None, "file_share", "thread_broadcast"}


def wanted(event: dict) -> bool:
    if event.get("subtype") not in HANDLED_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile") or not event.get("user"):
        return False
    if event.get("channel_type") == "im":
        return True
    return bool(event.get("thread_ts"))  # channel chatter outside threads is none of aiom's business


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    @bolt.event("message")
    async def on_message(body: dict, event: dict) -> None:  # events are acknowledged before this runs
        if wanted(event):
            await guarded(rt, "message", handle(rt, body, event), body)


async def handle(rt: SlackRuntime, body: dict, event: dict) -> None:
    ws = await rt.directory.workspace()
    if event.get("user") == ws.bot_user_id:
        return
    if event.get("channel_type") != "im":
        if f"<@{ws.bot_user_id}" in (event.get("text") or ""):
            return  # the app_mention event carries it
        actor = await message_actor(rt, event)
        async with rt.app.db.read() as s:
            state = await states.find(s, "slack", event.get("channel", ""), thread_of_message(event), user_key(actor))
        if state is None or state.status != "active":
            return
        await run_turn(rt, await message_turn(rt, body, event, actor=actor))
        return
    await run_turn(rt, await message_turn(rt, body, event))
