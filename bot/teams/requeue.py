"""A send inside a turn that still fails after the connector's retries goes to the outbox, so it is not lost.

The connector pipeline (connector.py) already retried 429 / 412 / 502 / 504 with backoff. What is left is
written to the outbox for the same conversation, and the dispatcher sends it later (or records why it
could not: a permanent refusal such as 403 is marked failed with the reason):

- Say: a post in the same conversation and reply chain, remembered under the Say's purpose. A flow's
  question (`track`) carries `prompt:<state id>:<version>` as its purpose, so the dispatcher ties the
  message it finally posts to the flow (notifications/dispatcher.py), which can then replace it once
  answered;
- ReplaceSource / Replace: an update of the same message (remembered as `card:<message id>`);
- Whisper: in a personal chat a post there; in a channel a direct message to the person.

Form cards (OpenForm, FormErrors) and files are not neutral messages the outbox can carry; their failure
is logged, and the person can ask again.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

import aiohttp
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.teams.activity import split_conversation
from bot.teams.connector import ConnectorError
from bot.teams.deliverer import delivery_error
from vocabulary.interaction import Inbound, Outcome, Replace, ReplaceSource, Say, Whisper
from notifications.dispatcher import PROMPT_MARK
from notifications.dispatcher import apology as queue_apology
from storage.repo import message_refs, outbox, people, states

if TYPE_CHECKING:  # pragma: no cover
    from botbuilder.core import TurnContext

    from bot.teams.runtime import TeamsRuntime

log = logging.getLogger(__name__)

PLATFORM = "teams"
SEND_FAILURES = (ConnectorError, HttpOperationError, ClientRequestError, aiohttp.ClientError, asyncio.TimeoutError,
                 OSError)


class FailedTurn(Protocol):
    """The op runner (ops.py) of the turn whose send failed: where the turn happened and what it answered."""

    rt: "TeamsRuntime"
    turn: "TurnContext"
    inbound: Inbound
    outcome: Outcome
    source_id: str | None
    conversation_id: str
    base: str
    thread: str

    async def thread_target(self, op: Say) -> str | None: ...


def is_send_failure(e: Exception) -> bool:
    """Teams refused or could not be reached (as opposed to a bug in aiom, which is only logged)."""
    return isinstance(e, SEND_FAILURES)


def prompt_purpose(state_id: int, version: int) -> str:
    return f"{PROMPT_MARK}{state_id}:{version}"


async def requeue(t: FailedTurn, op, index: int, e: Exception) -> bool:
    """Write `op` to the outbox after its send failed with `e`; False when the outbox cannot carry it."""
    app = t.rt.app
    err = delivery_error(e, f"a {type(op).__name__} in {t.base}")
    now = app.clock()
    later = now + timedelta(seconds=err.retry_after) if err.retry_after else None
    key = f"teams:turn:{t.inbound.event_id or t.turn.activity.id}:{index}"
    if not await _enqueue(t, op, key, later):
        return False
    if app.dispatcher is not None:
        app.dispatcher.wake()
    log.warning("Teams: %s in %s failed (%s); queued in the outbox for another try", type(op).__name__, t.base, err)
    return True


async def apology(t: FailedTurn) -> bool:
    """A failed message turn's apology goes out through the outbox like any other message: recorded under the
    activity's key (a replay or a retry of the same activity adds no second one), sent at once, stamped. False
    when it cannot be recorded (the database is what failed): the turn then says it directly."""
    return await queue_apology(t.rt.app.dispatcher, t.outcome.ops,
                               f"teams:sorry:{t.inbound.event_id or t.turn.activity.id}",
                               lambda op, key: _enqueue(t, op, key, None))


async def _enqueue(t: FailedTurn, op, key: str, later) -> bool:
    if not isinstance(op, (Say, ReplaceSource, Replace, Whisper)):
        return False
    if isinstance(op, ReplaceSource) and not t.source_id:
        return False
    app = t.rt.app
    now = app.clock()
    target = await t.thread_target(op) if isinstance(op, Say) else None
    common = dict(dedupe_key=key, platform=PLATFORM, message=op.message.to_dict(), not_before=later, now=now)
    async with app.db.write() as s:
        if isinstance(op, Say):
            purpose = op.remember_as or ""
            if op.track and t.outcome.state_id:
                st = await states.get(s, t.outcome.state_id)
                purpose = prompt_purpose(st.id, st.version) if st is not None else purpose
            thread = split_conversation(target or t.conversation_id)[1]
            await outbox.enqueue(s, kind="post", target=t.base, thread_id=thread, ref_purpose=purpose,
                                 purpose="reply", **common)
        elif isinstance(op, (ReplaceSource, Replace)):
            mid = t.source_id if isinstance(op, ReplaceSource) else op.message_id
            purpose = f"card:{mid}"
            await message_refs.remember(s, platform=PLATFORM, purpose=purpose, channel=t.base, message_id=mid,
                                        thread_id=t.thread)
            await outbox.enqueue(s, kind="update", target=t.base, ref_purpose=purpose, purpose="update",
                                 **common)
        elif t.inbound.where.kind == "personal":
            await outbox.enqueue(s, kind="post", target=t.base, purpose="reply", **common)
        else:
            actor = t.inbound.actor
            ident = await people.identity(s, PLATFORM, actor.tenant, actor.external_id)
            if ident is None:
                return False
            await outbox.enqueue(s, kind="dm", target=str(ident.person_id), person_id=ident.person_id,
                                 purpose="reply", **common)
    return True
