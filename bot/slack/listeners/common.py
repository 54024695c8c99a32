"""The path every listener takes after `ack()`: the engine, then the ops."""
from __future__ import annotations

import logging

from bot.slack.directory import SlackUnavailable
from bot.slack.runtime import SlackRuntime
from bot.slack.turn import Turn
from conversations.interaction import Outcome
from notifications.delivery import DeliveryError

log = logging.getLogger(__name__)


async def run_turn(rt: SlackRuntime, turn: Turn) -> Outcome | None:
    outcome = await rt.engine.handle(turn.inbound)
    if outcome.duplicate:
        return outcome
    await rt.ops.carry_out(outcome, turn)
    return outcome


SLACK_UNAVAILABLE = ("Sorry, I could not reach Slack to check who you are, so I did nothing with that. "
                     "Please try again in a minute.")


async def guarded(rt: SlackRuntime, what: str, coro, body: dict | None = None) -> None:
    """Run a listener's work after ack, logging (never raising) so bolt's error path stays quiet."""
    rt.begin()
    try:
        await coro
    except SlackUnavailable as e:
        log.warning("Slack %s not handled: %s", what, e)
        if body is not None:
            await apologise(rt, body)
    except Exception:
        log.exception("Slack %s failed", what)


async def apologise(rt: SlackRuntime, body: dict) -> None:
    """Tell the person their input was not handled (best effort: Slack may still be unreachable)."""
    try:
        if body.get("response_url"):
            await rt.api.respond(body["response_url"], {"response_type": "ephemeral", "replace_original": False,
                                                        "text": SLACK_UNAVAILABLE})
            return
        event = body.get("event") or {}
        channel, user = event.get("channel", ""), event.get("user", "")
        if channel.startswith("D"):
            await rt.api.call("chat.postMessage", channel=channel, text=SLACK_UNAVAILABLE,
                              thread_ts=event.get("thread_ts"))
        elif channel and user:
            await rt.api.call("chat.postEphemeral", channel=channel, user=user, text=SLACK_UNAVAILABLE,
                              thread_ts=event.get("thread_ts") or event.get("ts"))
    except DeliveryError as e:
        log.warning("could not tell the person either: %s", e)
