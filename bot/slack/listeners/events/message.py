"""Messages: every DM to the bot; replies in a channel thread where the person has a conversation with aiom
going (a scorecard in a thread); and replies in a review card's thread that read like a decision ("approved",
"LGTM"), so the reviewer gets a private nudge to use the buttons. Other channel talk is left to the people.
Bots, edits, deletions and the bot's own messages are ignored."""
from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.inbound import message_actor, message_turn, thread_of_message
from bot.slack.listeners.common import guarded, run_turn
from bot.slack.runtime import SlackRuntime
from conversations.reviews.buttons import looks_like_decision
from conversations.people.lookup import user_key
from storage.repo import reviews, states
from vocabulary.states import FlowStatus

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
        channel, thread = event.get("channel", ""), thread_of_message(event)
        decision_like = looks_like_decision(event.get("text"))
        actor = await message_actor(rt, event)
        async with rt.app.db.read() as s:
            state = await states.find(s, "slack", channel, thread, user_key(actor))
            in_conversation = state is not None and state.status == FlowStatus.ACTIVE
            if not in_conversation and not (decision_like and await reviews.review_for_thread(s, "slack", channel,
                                                                                              thread)):
                return
        await run_turn(rt, await message_turn(rt, body, event, actor=actor))
        return
    await run_turn(rt, await message_turn(rt, body, event))
