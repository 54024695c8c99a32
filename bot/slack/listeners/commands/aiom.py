"""`/aiom propose | status [id] | my | portfolio | help`: the same commands as typed text, answered in the
bot's DM with the person (a flow needs a conversation of its own)."""
from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.inbound import command_turn
from bot.slack.listeners.common import guarded, run_turn
from bot.slack.runtime import SlackRuntime

COMMAND = "/aiom"


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    @bolt.command(COMMAND)
    async def on_command(ack, body: dict) -> None:
        await ack()
        await guarded(rt, "slash command", handle(rt, body), body)


async def handle(rt: SlackRuntime, body: dict) -> None:
    turn = await command_turn(rt, body)
    if body.get("channel_id") != turn.channel and turn.response_url:
        await rt.api.respond(turn.response_url, {
            "response_type": "ephemeral",
            "text": "I have answered in our direct messages (aiom in your sidebar under Apps).",
        })
    await run_turn(rt, turn)
