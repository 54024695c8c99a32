"""What happens to a reply Slack finally refused (after the client's own retries): it goes to the outbox, so
the dispatcher tries again later and nothing the person should see is lost.

- a post (Say, a private reply in the DM, form errors) is queued as a post to the same conversation;
- an in-place update (ReplaceSource, Replace: an answered prompt losing its buttons) is queued as an update of
  that very message (a message_ref `slack:msg:<ts>` names it for the dispatcher);
- something only the person should see in a channel (an ephemeral) is queued as a DM to them instead;
- a form Slack would not open becomes an "Open the form" message;
- a file becomes a short note asking to try again (the outbox carries messages, not files).

A tracked prompt (a question whose answer later replaces it) that went through the outbox is still tracked:
its row's ref_purpose `prompt:<state>:<version>` has the dispatcher record the posted message's id on the flow
state (notifications/dispatcher.py), as `engine.track_prompt` does for a prompt posted at once.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from vocabulary.interaction import FormErrors, OpenForm, Outcome, Replace, ReplaceSource, Say, SendFile, Whisper
from vocabulary.messages import Form, Message, Text
from notifications.delivery import DeliveryError
from notifications.dispatcher import apology as queue_apology
from storage.repo import message_refs, outbox, people, states

if TYPE_CHECKING:  # pragma: no cover
    from bot.slack.runtime import SlackRuntime
    from bot.slack.turn import Turn

log = logging.getLogger(__name__)

PROMPT_MARK = "prompt:"  # notifications/dispatcher.py: set the flow state's prompt_ref once posted
MESSAGE_REF = "slack:msg:"
SORRY_KEY = "slack:sorry:"  # the outbox key of a request's apology: one per request
FILE_FAILED = ("Sorry, Slack would not take the file just now, so I could not send it. Please ask for it again "
               "in a few minutes.")


class FormMessages(Protocol):
    """What a failed form needs from the op runner (ops.py): the form, or its errors, as a message."""

    async def form_offer(self, form: Form, turn: "Turn") -> Message: ...

    async def errors_message(self, op: FormErrors, turn: "Turn") -> Message: ...


class Recovery:
    def __init__(self, rt: "SlackRuntime", ops: FormMessages):
        self.rt = rt
        self.ops = ops

    async def failed(self, op, turn: "Turn", outcome: Outcome, e: DeliveryError, index: int) -> None:
        key = f"slack:reply:{turn.event_key}:{index}"
        later = self.rt.app.clock() + timedelta(seconds=e.retry_after) if e.retry_after else None
        try:
            queued = await self._queue(op, turn, outcome, key, later)
        except Exception:  # the database too: nothing more can be done here
            log.exception("Slack %s failed (%s) and could not be queued", type(op).__name__, e)
            return
        if queued:
            if self.rt.app.dispatcher is not None:
                self.rt.app.dispatcher.wake()
            log.warning("Slack %s failed (%s); queued in the outbox for another try", type(op).__name__, e)
        else:
            log.warning("Slack %s failed: %s", type(op).__name__, e)

    async def apology(self, outcome: Outcome, turn: "Turn") -> bool:
        """A failed turn's apology goes out through the outbox like any other message: recorded under the
        request's key (a replay or a platform retry of the same request adds no second one), sent at once,
        stamped. False when it cannot be recorded (the database is what failed): the caller then says it."""
        return await queue_apology(self.rt.app.dispatcher, outcome.ops, f"{SORRY_KEY}{turn.event_key}",
                                   lambda op, key: self._queue(op, turn, outcome, key, None))

    async def _queue(self, op, turn: "Turn", outcome: Outcome, key: str, later) -> bool:
        private = turn.personal and not turn.ephemeral
        if isinstance(op, Say) and not turn.ephemeral:
            purpose = op.remember_as or ""
            if op.track and outcome.state_id:
                purpose = await self._prompt_purpose(outcome.state_id) or purpose
            thread = f"ref:{op.thread_of}" if op.thread_of else turn.thread_ts
            return await self._post(key, turn.channel, op.message, thread, later, ref_purpose=purpose)
        if isinstance(op, (Say, Whisper)):
            if private:
                return await self._post(key, turn.channel, op.message, turn.thread_ts, later)
            return await self._dm(key, turn, op.message, later)  # an ephemeral in a channel: the DM instead
        if isinstance(op, ReplaceSource):
            if turn.source_ephemeral or not (turn.source_ts and turn.source_channel):
                return False  # an ephemeral can only be replaced through its response_url, now gone
            return await self._update(key, turn.source_channel, turn.source_ts, op.message, later)
        if isinstance(op, Replace):
            return await self._update(key, turn.channel, op.message_id, op.message, later)
        if isinstance(op, OpenForm):
            offer = await self.ops.form_offer(op.form, turn)
            return await self._private(key, turn, offer, later)
        if isinstance(op, FormErrors):
            return await self._private(key, turn, await self.ops.errors_message(op, turn), later)
        if isinstance(op, SendFile):
            return await self._private(key, turn, Message([Text([FILE_FAILED])]), later)
        return False

    async def _prompt_purpose(self, state_id: int) -> str:
        """`prompt:<state>:<version>` of the flow state as this turn left it (a later answer moves the version
        on, and a question posted after that is no longer the one to replace)."""
        async with self.rt.app.db.read() as s:
            st = await states.get(s, state_id)
        return f"{PROMPT_MARK}{state_id}:{st.version}" if st is not None else ""

    async def _private(self, key: str, turn: "Turn", message: Message, later) -> bool:
        if turn.personal and not turn.ephemeral:
            return await self._post(key, turn.channel, message, turn.thread_ts, later)
        return await self._dm(key, turn, message, later)

    async def _post(self, key: str, channel: str, message: Message, thread: str, later, *,
                    ref_purpose: str = "") -> bool:
        async with self.rt.app.db.write() as s:
            await outbox.enqueue(s, dedupe_key=key, platform="slack", kind="post", target=channel, thread_id=thread,
                                 ref_purpose=ref_purpose, message=message.to_dict(), purpose="reply",
                                 not_before=later, now=self.rt.app.clock())
        return True

    async def _update(self, key: str, channel: str, ts: str, message: Message, later) -> bool:
        purpose = MESSAGE_REF + ts
        async with self.rt.app.db.write() as s:
            await message_refs.remember(s, platform="slack", purpose=purpose, channel=channel, message_id=ts)
            await outbox.enqueue(s, dedupe_key=key, platform="slack", kind="update", target=channel,
                                 ref_purpose=purpose, message=message.to_dict(), purpose="reply", not_before=later,
                                 now=self.rt.app.clock())
        return True

    async def _dm(self, key: str, turn: "Turn", message: Message, later) -> bool:
        async with self.rt.app.db.write() as s:
            ident = await people.identity(s, "slack", turn.tenant, turn.user_id)
            if ident is None:
                return False
            await outbox.enqueue(s, dedupe_key=key, platform="slack", kind="dm", target=str(ident.person_id),
                                 message=message.to_dict(), purpose="reply", person_id=ident.person_id,
                                 not_before=later, now=self.rt.app.clock())
        return True
