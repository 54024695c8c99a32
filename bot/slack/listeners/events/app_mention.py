"""@aiom in a channel: the rest of the message is read like a DM, and answered in a thread."""
from __future__ import annotations

from bot.slack.inbound import message_turn
from bot.slack.listeners.common import guarded, run_turn
from bot.slack.runtime import SlackRuntime


async def on_mention(rt: SlackRuntime, body: dict, event: dict) -> None:
    if event.get("bot_id") or not event.get("user") or event.get("subtype"):
        return
    await guarded(rt, "app_mention", handle(rt, body, event), body)


async def handle(rt: SlackRuntime, body: dict, event: dict) -> None:
    await run_turn(rt, await message_turn(rt, body, event, mention=True))
