"""Carrying out the engine's ops inside one Teams turn, and answering a card click.

Card clicks use Universal Actions (`Action.Execute`, invoke `adaptiveCard/action`).
The answer to the invoke is the refreshed card, which Teams shows to the
clicker at once; the same card is also written to the message itself
(`updateActivity`), so everyone else - and the clicker's other devices - see
it too and no stale button is left anywhere.

- Say: a new message (in the thread of a remembered aiom message when asked);
  its id goes to `engine.track_prompt` / message_refs when the flow asks.
- ReplaceSource / Replace: update that message in place.
- Whisper: in a personal chat, a reply. A click's whisper is the invoke's
  message answer, which only the clicker sees. In a channel, Teams has no
  ephemeral messages, so it goes to the actor's 1:1 chat with aiom (a reply
  in the thread only if that chat cannot be opened).
- OpenForm: the form card (replacing the clicked card, or as a new message);
  FormErrors: the same form card, updated in place with the errors under each
  field and the typed values kept. An accepted form becomes a read-only copy.
- SendFile: the file-consent flow in the actor's personal chat (files.py).

A Say with `thread_of` in a channel goes into the thread of the message remembered for that purpose; when
there is none yet and the person clicked a top-level card (the use case's card in the channel), into that
card's reply chain, remembered for next time (as bot/slack/ops.py `thread_for`).

A reply, note or card update that still fails after the connector's retries goes to the outbox
(requeue.py), which sends it later; nothing the person should see is lost.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from botbuilder.core import TurnContext
from botbuilder.schema import ConversationReference

from bot.teams.activity import split_conversation, tenant_of
from bot.teams.render import render, render_form, render_submitted_form
from bot.teams.connector import call, conversation_path
from bot.teams.proactive import addressed, card_body, connector_of
from bot.teams.requeue import is_send_failure, requeue
from vocabulary.interaction import (
    FormErrors,
    Inbound,
    OpenForm,
    Outcome,
    Replace,
    ReplaceSource,
    Say,
    SendFile,
    Whisper,
)
from conversations.engine import FLOW_ACTION
from vocabulary.messages import Form, Message, plain, Text
from storage.repo import message_refs

if TYPE_CHECKING:  # pragma: no cover
    from bot.teams.runtime import TeamsRuntime

log = logging.getLogger(__name__)

PLATFORM = "teams"
CARD_RESPONSE = "application/vnd.microsoft.card.adaptive"
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"


def card_answer(card: dict) -> dict:
    return {"statusCode": 200, "type": CARD_RESPONSE, "value": card}


def message_answer(text: str) -> dict:
    return {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": text}


def _text_of(message: Message) -> str:
    parts = [plain(b.parts) for b in message.blocks if isinstance(b, Text)]
    return " ".join(parts) or message.fallback


class OpRunner:
    """Carries out one turn's ops in its conversation (as bot/slack/ops.py's OpRunner does for Slack)."""

    def __init__(self, rt: "TeamsRuntime", turn: TurnContext, inbound: Inbound, outcome: Outcome):
        self.rt = rt
        self.turn = turn
        self.inbound = inbound
        self.outcome = outcome
        a = turn.activity
        self.is_invoke = a.type == "invoke"
        self.source_id = a.reply_to_id or inbound.source_message_id
        self.conversation_id = a.conversation.id
        self.base, self.thread = split_conversation(self.conversation_id)
        self.card_response: dict | None = None
        self.whispers: list[Message] = []

    async def carry_out(self) -> dict | None:
        """Carry out every op in order; returns the invoke answer (None for a message turn)."""
        replaced = False
        for index, op in enumerate(self.outcome.ops):
            try:
                if isinstance(op, Say):
                    await self.say(op)
                elif isinstance(op, ReplaceSource):
                    replaced = await self.replace_source(render(op.message)) or replaced
                elif isinstance(op, Replace):
                    await self.update(op.message_id, render(op.message), op.message.fallback)
                elif isinstance(op, Whisper):
                    await self.whisper(op.message)
                elif isinstance(op, OpenForm):
                    await self.open_form(op.form)
                    replaced = replaced or bool(self.is_invoke and self.source_id and not self.opened_from_information())
                elif isinstance(op, FormErrors):
                    await self.form_errors(op)
                    replaced = True
                elif isinstance(op, SendFile):
                    await self.send_file(op)
            except Exception as e:
                if not (is_send_failure(e) and await requeue(self, op, index, e)):
                    log.exception("Teams: could not carry out %s in %s", type(op).__name__, self.base)
        if self.inbound.kind == "form" and not replaced and self.source_id \
                and any(isinstance(op, Say) for op in self.outcome.ops):
            try:
                await self.close_form()
            except Exception:  # the clicker still gets the read-only copy as the invoke's answer
                log.exception("Teams: could not turn the form in %s into its read-only copy", self.base)
        note = None
        if self.is_invoke and self.card_response is None and len(self.whispers) == 1:
            note = _text_of(self.whispers.pop())[:500]  # shown to the clicker only, on the card
        if self.is_invoke and note is None and self.whispers and self.inbound.where.kind != "personal":
            # Sent privately (Details on a channel card, say): tell the clicker where it went, as forms do.
            what = self.whispers[0].fallback or _text_of(self.whispers[0])
            note = f"I sent you “{what[:120]}” in our private chat."
        for n, message in enumerate(self.whispers):
            try:
                await self.deliver_whisper(message)
            except Exception as e:
                if not (is_send_failure(e) and await requeue(self, Whisper(message=message), 1000 + n, e)):
                    log.exception("Teams: could not deliver a private note in %s", self.base)
        if not self.is_invoke:
            return None
        if self.card_response is not None:
            return card_answer(self.card_response)
        return message_answer(note or "Done.")

    # -- sending -----------------------------------------------------------------------
    def _message(self, card: dict, summary: str, conversation_id: str, *, reply_to: str | None = None,
                 activity_id: str | None = None) -> dict:
        a = self.turn.activity
        return addressed(card_body(card, summary), conversation_id=conversation_id, service_url=a.service_url,
                         bot=a.recipient, user=a.from_property, tenant=tenant_of(a) or None, reply_to=reply_to,
                         activity_id=activity_id)

    async def send_here(self, card: dict, summary: str, conversation_id: str | None = None) -> str:
        """A new message in this conversation (or another thread of it); returns its id."""
        conv = conversation_id or self.conversation_id
        reply_to = self.turn.activity.id if conv == self.conversation_id else None
        body = self._message(card, summary, conv, reply_to=reply_to)
        response = await call(connector_of(self.turn), "POST", conversation_path(conv, reply_to), body)
        return response.get("id", "")

    async def thread_target(self, op: Say) -> str | None:
        """The reply chain a Say with `thread_of` goes to in a channel (None: this conversation as it is)."""
        if not op.thread_of or self.inbound.where.kind != "channel":
            return None
        async with self.rt.app.db.read() as s:
            root = await message_refs.find(s, PLATFORM, op.thread_of, self.base)
        if root is not None:
            return f"{self.base};messageid={root.thread_id or root.message_id}"
        clicked_top_level = (self.inbound.kind == "action" and bool(self.source_id)
                             and self.thread in ("", self.source_id))
        if not clicked_top_level:
            return None
        async with self.rt.app.db.write() as s:  # the card clicked is the use case's message here from now on
            await message_refs.remember(s, platform=PLATFORM, purpose=op.thread_of, channel=self.base,
                                        message_id=self.source_id)
        return f"{self.base};messageid={self.source_id}"

    async def say(self, op: Say) -> None:
        target = await self.thread_target(op)
        mid = await self.send_here(render(op.message), op.message.fallback, target)
        if op.track and self.outcome.state_id and mid:
            await self.rt.engine.track_prompt(self.outcome.state_id, mid)
        if op.remember_as and mid:
            async with self.rt.app.db.write() as s:
                await message_refs.remember(s, platform=PLATFORM, purpose=op.remember_as, channel=self.base,
                                            message_id=mid, thread_id=(target or self.conversation_id)
                                            .partition(";messageid=")[2])

    async def update(self, activity_id: str, card: dict, summary: str = "") -> None:
        body = self._message(card, summary, self.conversation_id, activity_id=activity_id)
        await call(connector_of(self.turn), "PUT", conversation_path(self.conversation_id, activity_id), body)

    async def replace_source(self, card: dict) -> bool:
        if not self.source_id:
            return False
        if self.is_invoke:
            self.card_response = card
        await self.update(self.source_id, card)
        return True

    async def whisper(self, message: Message) -> None:
        if self.is_invoke:
            self.whispers.append(message)  # decided once every op is done (see run)
            return
        await self.deliver_whisper(message)

    async def deliver_whisper(self, message: Message) -> None:
        card = render(message)
        if self.inbound.where.kind == "personal":
            await self.send_here(card, message.fallback)
            return
        try:
            ref = await self.personal_reference()
            await self.rt.proactive.send(ref, ref.conversation.id, card_body(card, message.fallback))
        except Exception as e:
            log.info("Teams: no 1:1 chat for a private note (%s); replying in the thread instead", e)
            await self.send_here(card, message.fallback)

    async def personal_reference(self) -> ConversationReference:
        a = self.turn.activity
        ref = await self.rt.proactive.open_personal(service_url=a.service_url, tenant=tenant_of(a),
                                                    user_id=a.from_property.id, bot=a.recipient)
        return ref

    # -- forms -------------------------------------------------------------------------------
    async def open_form(self, form: Form) -> None:
        card = render_form(form)
        if self.inbound.where.kind != "personal":
            # A card in a channel is everyone's: the form goes to the clicker's 1:1 chat instead of
            # replacing (or sitting under) the shared card.
            try:
                ref = await self.personal_reference()
                mid = await self.rt.proactive.send(ref, ref.conversation.id, card_body(card, form.title))
                await self.remember_form(mid, form, ref.conversation.id)
                if self.is_invoke:  # the clicker is told on the card they clicked
                    self.whispers.append(Message([Text([f"I sent you the form “{form.title}” in our private chat."])]))
                return
            except Exception as e:
                log.info("Teams: no 1:1 chat for a form (%s); posting it in the thread", e)
            mid = await self.send_here(card, form.title)
        elif self.is_invoke and self.source_id and self.opened_from_information():
            # Opened from an information card (a readiness summary, the owners' question): that card keeps what
            # it says, and the form comes as a new card below it.
            mid = await self.send_here(card, form.title)
            self.whispers.append(Message([Text([f"The form “{form.title}” is below; this card stays as it was."])]))
        elif self.is_invoke and self.source_id:  # a form that continues in the next one (“add more”)
            await self.replace_source(card)
            mid = self.source_id
        else:
            mid = await self.send_here(card, form.title)
        await self.remember_form(mid, form)

    def opened_from_information(self) -> bool:
        """A click on an information card (not a question of a conversation, not a form going on)."""
        return self.inbound.kind == "action" and self.inbound.action != FLOW_ACTION

    async def form_errors(self, op: FormErrors) -> None:
        card = render_form(op.form, values=self.inbound.values, errors=op.errors)
        if self.source_id:
            await self.replace_source(card)
            await self.remember_form(self.source_id, op.form)
        else:
            mid = await self.send_here(card, op.form.title)
            await self.remember_form(mid, op.form)

    async def remember_form(self, message_id: str, form: Form, conversation: str | None = None) -> None:
        """Keep the form's fields with its card, so the card can become a read-only copy once accepted."""
        if not message_id:
            return
        async with self.rt.app.db.write() as s:
            await message_refs.remember(s, platform=PLATFORM, purpose=f"form:{message_id}",
                                        channel=split_conversation(conversation or self.base)[0],
                                        message_id=message_id, extra={"form": dataclasses.asdict(form)})

    async def close_form(self) -> None:
        async with self.rt.app.db.read() as s:
            ref = await message_refs.find(s, PLATFORM, f"form:{self.source_id}", self.base)
        form = Form.from_dict(ref.extra.get("form")) if ref is not None else None
        if form is None:
            return
        await self.replace_source(render_submitted_form(form, self.inbound.values))

    # -- files ---------------------------------------------------------------------------------
    async def send_file(self, op: SendFile) -> None:
        if self.inbound.where.kind == "personal":
            ref = TurnContext.get_conversation_reference(self.turn.activity)
            ref.activity_id = None
        else:
            ref = await self.personal_reference()
        await self.rt.files.offer(ref, op)
