"""Carry out the engine's ops in Slack, in order: post, update, ephemeral, modal, file.

A reply that cannot be posted after the client's retries is put in the
outbox (the dispatcher retries it later), so nothing the person should see
is lost.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.slack.api import error_code
from bot.slack.render import forms, mention_ids, render
from conversations.interaction import (
    FormErrors,
    OpenForm,
    Outcome,
    Replace,
    ReplaceSource,
    Say,
    SendFile,
    Whisper,
)
from conversations.messages import Button, Buttons, Context, Form, Message, Text
from notifications.delivery import DeliveryError
from storage.repo import message_refs, outbox, states

if TYPE_CHECKING:  # pragma: no cover
    from bot.slack.runtime import SlackRuntime
    from bot.slack.turn import Turn

log = logging.getLogger(__name__)

OPEN_FORM_ACTION = "slack.open_form"
NOT_THERE = {"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived"}


class OpRunner:
    def __init__(self, rt: "SlackRuntime"):
        self.rt = rt

    @property
    def api(self):
        return self.rt.api

    async def carry_out(self, outcome: Outcome, turn: "Turn") -> None:
        messages = [op.message for op in outcome.ops if hasattr(op, "message")]
        ids = await self.rt.slack_ids.of(set().union(*(mention_ids(m) for m in messages))) if messages else {}
        for i, op in enumerate(outcome.ops):
            try:
                await self.one(op, turn, outcome, ids)
            except DeliveryError as e:
                await self.failed(op, turn, e, i)
            except Exception:  # a bug must not stop the remaining ops
                log.exception("carrying out %s failed", type(op).__name__)

    async def one(self, op, turn: "Turn", outcome: Outcome, ids: dict[int, str]) -> None:
        if isinstance(op, Say):
            await self.say(op, turn, outcome, ids)
        elif isinstance(op, ReplaceSource):
            await self.replace_source(op.message, turn, ids)
        elif isinstance(op, Replace):
            await self.update(turn.channel, op.message_id, op.message, ids)
        elif isinstance(op, Whisper):
            await self.whisper(op.message, turn, ids)
        elif isinstance(op, OpenForm):
            await self.open_form(op.form, turn)
        elif isinstance(op, FormErrors):
            await self.form_errors_message(op, turn, ids)
        elif isinstance(op, SendFile):
            await self.api.upload(channel=turn.channel, filename=op.filename, content=op.content, title=op.title,
                                  thread_ts=turn.thread_ts or None)

    # -- each op ------------------------------------------------------------------------
    async def post(self, channel: str, message: Message, ids: dict[int, str], thread_ts: str = "") -> str:
        r = render(message, ids)
        d = await self.api.call("chat.postMessage", channel=channel, thread_ts=thread_ts or None,
                                unfurl_links=False, unfurl_media=False, **r.kwargs())
        return str(d.get("ts") or "")

    async def update(self, channel: str, ts: str, message: Message, ids: dict[int, str]) -> None:
        r = render(message, ids)
        await self.api.call("chat.update", channel=channel, ts=ts, **r.kwargs())

    async def say(self, op: Say, turn: "Turn", outcome: Outcome, ids: dict[int, str]) -> None:
        thread = turn.thread_ts
        if op.thread_of:
            thread = await self.thread_for(op.thread_of, turn)
        ts = await self.post(turn.channel, op.message, ids, thread)
        if op.remember_as and ts:
            async with self.rt.app.db.write() as s:
                await message_refs.remember(s, platform="slack", purpose=op.remember_as, channel=turn.channel,
                                            message_id=ts, thread_id=thread)
        if op.track and outcome.state_id and ts:
            await self.rt.engine.track_prompt(outcome.state_id, ts)

    async def thread_for(self, purpose: str, turn: "Turn") -> str:
        """The thread of the message remembered for `purpose` in this conversation. When there is none yet and
        the person clicked a top-level message here (the use case's card they were looking at), thread under
        that message and remember it for next time."""
        async with self.rt.app.db.read() as s:
            ref = await message_refs.find(s, "slack", purpose, turn.channel)
        if ref is not None:
            return ref.thread_id or ref.message_id
        clicked_top_level = (turn.source_ts and turn.source_channel == turn.channel and not turn.source_ephemeral
                             and turn.thread_ts in ("", turn.source_ts))
        if not clicked_top_level:
            return turn.thread_ts
        async with self.rt.app.db.write() as s:
            await message_refs.remember(s, platform="slack", purpose=purpose, channel=turn.channel,
                                        message_id=turn.source_ts)
        return turn.source_ts

    async def replace_source(self, message: Message, turn: "Turn", ids: dict[int, str]) -> None:
        if turn.source_ephemeral and turn.response_url:
            r = render(message, ids)
            await self.api.respond(turn.response_url, {"replace_original": True, **r.kwargs()})
        elif turn.source_ts and turn.source_channel:
            await self.update(turn.source_channel, turn.source_ts, message, ids)

    async def whisper(self, message: Message, turn: "Turn", ids: dict[int, str]) -> None:
        if turn.personal:
            await self.post(turn.channel, message, ids, turn.thread_ts)
            return
        r = render(message, ids)
        try:
            await self.api.call("chat.postEphemeral", channel=turn.channel, user=turn.user_id,
                                thread_ts=turn.thread_ts or None, **r.kwargs())
            return
        except DeliveryError as e:
            if error_code(e) not in NOT_THERE:
                raise
        # The bot is not in that channel: answer through the interaction, or in the DM.
        if turn.response_url:
            await self.api.respond(turn.response_url, {"response_type": "ephemeral", "replace_original": False,
                                                       **r.kwargs()})
        else:
            dm = await self.rt.directory.dm_channel(turn.user_id)
            await self.post(dm, message, ids)

    async def open_form(self, form: Form, turn: "Turn") -> None:
        try:
            view = forms.modal(form, channel=turn.channel, thread=turn.thread_ts)
        except forms.MetadataTooLong:
            log.error("form %r not opened: its payload is too big for a modal (ids only, please)", form.form_id)
            await self.whisper(Message([Text(["Sorry, I could not open that form. Please try again, or type "
                                              "your answers instead."])]), turn, {})
            return
        if turn.trigger_id and not turn.trigger_used:
            turn.trigger_used = True
            try:
                await self.api.call("views.open", trigger_id=turn.trigger_id, view=view)
                return
            except DeliveryError as e:
                if error_code(e) not in ("expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"):
                    raise
        # No trigger (the person typed "form"): a modal needs a click, so offer one.
        button = await self.open_form_button(form, turn)
        msg = Message([Text([f"{form.title}: click the button to open the form."]),
                       Buttons([button]), Context("Slack opens forms only from a click.")],
                      fallback=f"{form.title}: open the form")
        await self.post(turn.channel, msg, {}, turn.thread_ts)

    async def open_form_button(self, form: Form, turn: "Turn") -> Button:
        state_id = form.payload.get("s") if form.form_id == "flow" else None
        if isinstance(state_id, int):
            async with self.rt.app.db.read() as s:
                st = await states.get(s, state_id)
            if st is not None:
                # The flow's own "form" control, so the click works from any process, even after a restart.
                return Button("Open the form", "flow", {"s": st.id, "v": st.version, "c": "!form"}, style="primary")
        key = self.rt.forms.put(turn.user_id, form)
        return Button("Open the form", OPEN_FORM_ACTION, {"k": key}, style="primary")

    async def form_errors_message(self, op: FormErrors, turn: "Turn", ids: dict[int, str]) -> None:
        labels = {f.name: f.label for f in op.form.fields}
        lines = "\n".join(f"• {labels.get(k, k)}: {v}" for k, v in op.errors.items())
        button = await self.open_form_button(op.form, turn)
        msg = Message([Text([f"Some answers need another look:\n{lines}"]), Buttons([button])],
                      fallback="Some answers in the form need another look")
        await self.post(turn.channel, msg, ids, turn.thread_ts)

    # -- failures ---------------------------------------------------------------------------
    async def failed(self, op, turn: "Turn", e: DeliveryError, index: int) -> None:
        """A reply that could not be sent goes to the outbox, which retries it; anything else is logged."""
        if isinstance(op, Say) or (isinstance(op, Whisper) and turn.personal):
            thread = f"ref:{op.thread_of}" if isinstance(op, Say) and op.thread_of else turn.thread_ts
            remember = op.remember_as if isinstance(op, Say) else ""
            later = self.rt.app.clock() + timedelta(seconds=e.retry_after) if e.retry_after else None
            async with self.rt.app.db.write() as s:
                await outbox.enqueue(s, dedupe_key=f"slack:reply:{turn.event_key}:{index}", platform="slack",
                                     kind="post", target=turn.channel, thread_id=thread, ref_purpose=remember or "",
                                     message=op.message.to_dict(), purpose="reply", not_before=later,
                                     now=self.rt.app.clock())
            if self.rt.app.dispatcher is not None:
                self.rt.app.dispatcher.wake()
            log.warning("Slack reply failed (%s); queued in the outbox for another try", e)
            return
        log.warning("Slack %s failed: %s", type(op).__name__, e)
