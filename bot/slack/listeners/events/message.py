"""Messages: every DM to the bot; replies in a channel thread where the person has a conversation with aiom
going (a scorecard in a thread); and replies in a review card's thread that read like a decision ("approved",
"LGTM"), so the reviewer gets a private nudge to use the buttons. Other channel talk is left to the people.
Bots, edits, deletions and the bot's own messages are ignored."""
from __future__ import annotations

from bot.slack.inbound import message_actor, message_turn, thread_of_message
from bot.slack.keys import wanted_message
from bot.slack.listeners.common import guarded, run_turn
from bot.slack.runtime import SlackRuntime
from conversations.people.lookup import user_key
from conversations.reviews.reply_reading import is_decision_reply
from storage.repo import states
from vocabulary.states import FlowStatus


async def on_message(rt: SlackRuntime, body: dict, event: dict) -> None:  # events are acknowledged before this runs
    if wanted_message(event):
        await guarded(rt, "message", handle(rt, body, event), body)


async def handle(rt: SlackRuntime, body: dict, event: dict) -> None:
    ws = await rt.directory.workspace()
    if event.get("user") == ws.bot_user_id:
        return
    if event.get("channel_type") != "im":
        if f"<@{ws.bot_user_id}" in (event.get("text") or ""):
            return  # the app_mention event carries it
        channel, thread = event.get("channel", ""), thread_of_message(event)
        actor = await message_actor(rt, event)
        async with rt.app.db.read() as s:
            state = await states.find(s, "slack", channel, thread, user_key(actor))
        in_conversation = state is not None and state.status == FlowStatus.ACTIVE
        if not in_conversation and not await is_decision_reply(rt.app.db, "slack", channel, thread,
                                                               event.get("text")):
            return
        await run_turn(rt, await message_turn(rt, body, event, actor=actor))
        return
    await run_turn(rt, await message_turn(rt, body, event))
