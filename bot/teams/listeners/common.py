"""What the Teams listeners share: where an activity came from, its dedupe key, and running one engine turn.

Every turn stores the conversation reference (refs.py). The engine's `event_id` is the activity's
dedupe key: Teams message ids are epoch-millisecond strings unique only within one conversation, so
two chats can carry the same id; the key is therefore the conversation and the activity id together.
"""
from __future__ import annotations

import hashlib

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot import journal

from bot.teams.activity import kind_of, split_conversation, tenant_of
from bot.teams.render import read_values
from bot.teams.ops import OpRunner, message_answer
from bot.teams.requeue import apology
from bot.teams.runtime import TeamsRuntime
from vocabulary.interaction import Actor, Inbound, Where

MAX_ACTION = 64
MAX_KEY = 256  # the length the processed-events table keeps


def where_of(turn: TurnContext) -> Where:
    a = turn.activity
    base, thread = split_conversation(a.conversation.id)
    return Where(platform="teams", conversation_id=base, thread_id=thread, kind=kind_of(a), tenant=tenant_of(a))


def event_key(activity: Activity) -> str | None:
    """The activity's dedupe key: its conversation (a channel's threads share the channel) and its id."""
    if not activity.id:
        return None
    base = split_conversation(activity.conversation.id if activity.conversation else "")[0]
    key = f"{base}|{activity.id}"
    if len(key) > MAX_KEY:  # a very long conversation id: keep the key whole and unique by hashing it
        key = f"{hashlib.sha256(base.encode('utf-8')).hexdigest()}|{activity.id}"[:MAX_KEY]
    return key


def click_inbound(actor: Actor, where: Where, data: dict, turn: TurnContext) -> Inbound:
    a = turn.activity
    payload = data.get("p") if isinstance(data.get("p"), dict) else {}
    common = dict(actor=actor, where=where, payload=payload, event_id=event_key(a), source_message_id=a.reply_to_id,
                  message_ref=f"teams:{where.conversation_id}/{a.reply_to_id or a.id}")
    if data.get("aiom") == "form":
        form_id = str(data.get("form") or "")[:MAX_ACTION]
        return Inbound(form_id=form_id or "?", values=read_values(data), **common)
    return Inbound(action=str(data.get("aiom") or "?")[:MAX_ACTION], **common)


def text_inbound(actor: Actor, where: Where, text: str, mentions: dict, turn: TurnContext) -> Inbound:
    a = turn.activity
    return Inbound(actor=actor, where=where, text=text, mentions=mentions, event_id=event_key(a),
                   message_ref=f"teams:{where.conversation_id}/{a.id}")


def count(rt: TeamsRuntime, kind: str) -> None:
    if rt.metrics is not None:
        rt.metrics.inbound.labels("teams", kind).inc()


async def run_turn(rt: TeamsRuntime, turn: TurnContext, inbound: Inbound) -> dict | None:
    """One engine turn, then its ops; returns the invoke answer (None for a message turn)."""
    outcome = await rt.engine.handle(inbound)
    if outcome.failed:
        journal.turn_failed()
    count(rt, inbound.kind)
    await rt.refs.remember(turn.activity, aad=inbound.actor.external_id)
    if outcome.duplicate:
        if rt.metrics is not None:
            rt.metrics.duplicates.labels("teams").inc()
        return message_answer("Already done.") if turn.activity.type == "invoke" else None
    ops = OpRunner(rt, turn, inbound, outcome)
    if outcome.failed and not ops.is_invoke and await apology(ops):
        return None  # the apology went out through the outbox (once per activity)
    answer = await ops.carry_out()  # a click's apology is the invoke's answer, on the card
    if outcome.ops and not outcome.failed:  # a reply was kept with the entry: it is sent now
        await journal.replied(rt.app)
    return answer
