"""The global shortcut "Propose an AI idea": the intake as a modal (the engine's `propose.form`)."""
from __future__ import annotations

from bot.slack.inbound import shortcut_turn
from bot.slack.listeners.common import guarded, run_turn
from bot.slack.runtime import SlackRuntime

CALLBACK_ID = "aiom_propose"


async def on_shortcut(rt: SlackRuntime, ack, body: dict) -> None:
    await ack()
    await guarded(rt, "shortcut", handle(rt, body))


async def handle(rt: SlackRuntime, body: dict) -> None:
    await run_turn(rt, await shortcut_turn(rt, body, "propose.form"))
