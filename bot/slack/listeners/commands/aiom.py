"""`/aiom propose | status [id] | my | portfolio | help` (bare `/aiom` is help): the same commands as typed text.

In the bot's DM they are answered there. Anywhere else, what only shows something (status, my, portfolio,
help) is answered in place, seen by the person alone (the command's response_url); what starts a conversation
(propose ...) goes on in the bot's DM, and the person gets a private pointer to it where they typed it.
"""
from __future__ import annotations

from bot.slack.inbound import command_turn
from bot.slack.listeners.common import guarded, run_turn
from bot.slack.runtime import SlackRuntime

COMMAND = "/aiom"


async def on_command(rt: SlackRuntime, ack, body: dict) -> None:
    await ack()
    await guarded(rt, "slash command", handle(rt, body), body)


async def handle(rt: SlackRuntime, body: dict) -> None:
    await run_turn(rt, await command_turn(rt, body))
