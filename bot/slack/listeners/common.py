"""The path every listener takes after `ack()`: the engine, then the ops."""
from __future__ import annotations

import logging

from bot import journal
from bot.slack.directory import SlackUnavailable
from bot.slack.requeue import SORRY_KEY
from bot.slack.runtime import SlackRuntime
from bot.slack.turn import Turn
from vocabulary.interaction import Outcome
from vocabulary.messages import Message, Text
from notifications.delivery import DeliveryError
from storage.repo import outbox

log = logging.getLogger(__name__)

MOVED = "I have opened our direct messages for this: look for aiom under Apps in your sidebar."


async def run_turn(rt: SlackRuntime, turn: Turn) -> Outcome | None:
    outcome = await rt.engine.handle(turn.inbound)
    if outcome.failed:
        journal.turn_failed()
    if outcome.duplicate:  # a retry of something already answered: nothing is sent again
        return outcome
    await moved_pointer(rt, turn)
    if outcome.failed and await rt.ops.recovery.apology(outcome, turn):
        pass  # the apology went out through the outbox (once per request)
    else:
        await rt.ops.carry_out(outcome, turn)
        if outcome.ops and not outcome.failed:  # a reply was kept with the entry: it is sent now
            await journal.replied(rt.app)
    if turn.personal:
        try:
            await rt.dm_refs.remember(turn.channel, turn.user_id, turn.tenant)
        except Exception:  # bookkeeping: never at the cost of the person's answer
            log.exception("could not store the Slack DM reference for %s", turn.user_id)
    return outcome


async def moved_pointer(rt: SlackRuntime, turn: Turn) -> None:
    """Where the person acted (a channel), privately: the answer is in the bot's DM."""
    if not turn.moved_from:
        return
    ws = await rt.directory.workspace()
    text = MOVED
    if ws.url:
        text = f"{MOVED} <{ws.url.rstrip('/')}/archives/{turn.channel}|Open it>"
    try:
        if turn.response_url:
            await rt.api.respond(turn.response_url, {"response_type": "ephemeral", "replace_original": False,
                                                     "text": text})
        else:
            await rt.api.call("chat.postEphemeral", channel=turn.moved_from, user=turn.user_id, text=text)
    except DeliveryError as e:  # the answer itself is in the DM
        log.warning("could not point %s to the DM: %s", turn.user_id, e)


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
    await journal.settle(rt.app)  # a turn that failed on the database leaves its entry open for a replay


async def apologise(rt: SlackRuntime, body: dict) -> None:
    """Tell the person their input was not handled (best effort: Slack may still be unreachable)."""
    try:
        if body.get("response_url"):
            await rt.api.respond(body["response_url"], {"response_type": "ephemeral", "replace_original": False,
                                                        "text": SLACK_UNAVAILABLE})
            return
        event = body.get("event") or {}
        channel, user = event.get("channel", ""), event.get("user", "")
        if not event and (body.get("user") or {}).get("id"):
            # A modal or a shortcut: nowhere to answer in place, so in the DM.
            channel = await rt.directory.dm_channel(body["user"]["id"])
        if channel.startswith("D"):
            if await apology_queued(rt, channel, event.get("thread_ts") or ""):
                return
            await rt.api.call("chat.postMessage", channel=channel, text=SLACK_UNAVAILABLE,
                              thread_ts=event.get("thread_ts"))
        elif channel and user:
            await rt.api.call("chat.postEphemeral", channel=channel, user=user, text=SLACK_UNAVAILABLE,
                              thread_ts=event.get("thread_ts") or event.get("ts"))
    except DeliveryError as e:
        log.warning("could not tell the person either: %s", e)


async def apology_queued(rt: SlackRuntime, channel: str, thread: str) -> bool:
    """The apology for the current request, into the outbox (kept until Slack takes it, once per request) and
    sent at once; False when there is no request to key it by or the database cannot take it."""
    entry = journal.current.get()
    if entry is None:
        return False
    key = f"{SORRY_KEY}{entry.key}:unavailable"
    try:
        async with rt.app.db.write() as s:
            await outbox.enqueue(s, dedupe_key=key, platform="slack", kind="post", target=channel, thread_id=thread,
                                 message=Message([Text([SLACK_UNAVAILABLE])]).to_dict(), purpose="reply",
                                 now=rt.app.clock())
    except Exception as e:  # noqa: BLE001 - said directly instead
        log.warning("could not queue an apology in the outbox: %s", type(e).__name__)
        return False
    if rt.app.dispatcher is not None:
        await rt.app.dispatcher.send_now([key])
    return True
