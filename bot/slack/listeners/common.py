"""The path every listener takes after `ack()`: the engine, then the ops."""
from __future__ import annotations

import logging

from bot.slack.runtime import SlackRuntime
from bot.slack.turn import Turn
from conversations.interaction import Outcome

log = logging.getLogger(__name__)


async def run_turn(rt: SlackRuntime, turn: Turn) -> Outcome | None:
    outcome = await rt.engine.handle(turn.inbound)
    if outcome.duplicate:
        return outcome
    await rt.ops.carry_out(outcome, turn)
    return outcome


async def guarded(rt: SlackRuntime, what: str, coro) -> None:
    """Run a listener's work after ack, logging (never raising) so bolt's error path stays quiet."""
    rt.begin()
    try:
        await coro
    except Exception:
        log.exception("Slack %s failed", what)
