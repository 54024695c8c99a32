"""Carry out the engine's ops in Slack, in order: post, update, ephemeral, modal, file.

A reply that cannot be sent after the client's retries goes to the outbox (bot/slack/requeue.py), so nothing
the person should see is lost.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.slack import pictures
from bot.slack.api import error_code
from bot.slack.reconcile import metadata, posted as find_posted
from bot.slack.requeue import Recovery
from bot.slack.render import forms, mention_ids
from bot.slack.stash import render_saved
from conversations import access
from vocabulary.interaction import (
    FormErrors,
    OpenForm,
    Outcome,
    Replace,
    ReplaceSource,
    Say,
    SendFile,
    Whisper,
)
from vocabulary.messages import Button, Buttons, Context, Form, Message, Text
from notifications.delivery import DeliveryError
from storage.repo import message_refs, states

if TYPE_CHECKING:  # pragma: no cover
    from bot.slack.render import Rendered
    from bot.slack.runtime import SlackRuntime
    from bot.slack.turn import Turn

log = logging.getLogger(__name__)

OPEN_FORM_ACTION = "slack.open_form"
NOT_THERE = {"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived"}
FORM_TOO_BIG = "Sorry, I could not open that form. Please try again, or type your answers instead."



def reply_key(turn: "Turn", index: int) -> str:
    """The `index`-th op of the turn for inbound `event_id`: what its posted message carries in its metadata."""
    return f"{turn.inbound.event_id}:{index}"[:200] if turn.inbound.event_id else ""


class OpRunner:
    def __init__(self, rt: "SlackRuntime"):
        self.rt = rt
        self.recovery = Recovery(rt, self)

    @property
    def api(self):
        return self.rt.api

    async def carry_out(self, outcome: Outcome, turn: "Turn") -> None:
        messages = [op.message for op in outcome.ops if hasattr(op, "message")]
        ids = await self.rt.slack_ids.of(set().union(*(mention_ids(m) for m in messages))) if messages else {}
        for i, op in enumerate(outcome.ops):
            try:
                await self.one(op, turn, outcome, ids, reply_key(turn, i))
            except DeliveryError as e:
                await self.recovery.failed(op, turn, outcome, e, i)
            except Exception:  # a bug must not stop the remaining ops
                log.exception("carrying out %s failed", type(op).__name__)

    async def one(self, op, turn: "Turn", outcome: Outcome, ids: dict[int, str], key: str = "") -> None:
        if isinstance(op, Say):
            await self.say(op, turn, outcome, ids, key)
        elif isinstance(op, ReplaceSource):
            await self.replace_source(op.message, turn, ids)
        elif isinstance(op, Replace):
            await self.update(turn.channel, op.message_id, op.message, ids, turn)
        elif isinstance(op, Whisper):
            await self.whisper(op.message, turn, ids, key, outcome.resent)
        elif isinstance(op, OpenForm):
            await self.open_form(op.form, turn)
        elif isinstance(op, FormErrors):
            await self.post(turn.channel, await self.errors_message(op, turn), ids, turn.thread_ts, turn)
        elif isinstance(op, SendFile):
            await self.api.upload(channel=turn.channel, filename=op.filename, content=op.content, title=op.title,
                                  thread_ts=turn.thread_ts or None)

    # -- rendering for this person -------------------------------------------------------
    def can_export(self, turn: "Turn") -> bool:
        actor = turn.inbound.actor
        policy = self.rt.app.policy
        return bool(actor.email and not actor.guest and access.in_groups(policy, actor.email, policy.export_groups))

    async def rendered(self, message: Message, ids: dict[int, str], turn: "Turn | None",
                       private: bool = False) -> "Rendered":
        """Block Kit for `message`. Its "see the rest" line suits the reader: the person when only they see it
        (a DM, an ephemeral), anyone when it goes to a channel."""
        private = private or (turn is not None and (turn.personal or turn.ephemeral))
        can_export = self.can_export(turn) if (turn is not None and private) else None
        return await render_saved(self.rt.app.db, message, ids, can_export=can_export)

    # -- each op ------------------------------------------------------------------------
    async def post(self, channel: str, message: Message, ids: dict[int, str], thread_ts: str = "",
                   turn: "Turn | None" = None, private: bool = False, key: str = "", reconcile: bool = False) -> str:
        """Post; a turn's reply carries its key in the message metadata. When the reply is being sent again
        (its first sending may have landed before the process stopped), look for it first and post only if
        it is not there (docs/durable-intake.md)."""
        if key and reconcile:
            found = await self.posted(channel, thread_ts, key)
            if found:
                log.info("reply %s was already posted (%s): not posted again", key[:80], found)
                return found
        sent = await pictures.post(self.rt, channel, message, thread_ts,
                                   lambda more: self.post(channel, more, ids, thread_ts, turn, private, key, reconcile))
        if sent is not None:  # pictures drawn by aiom: uploaded to the conversation as files
            return sent
        r = await self.rendered(message, ids, turn, private)
        extra = metadata(key)
        d = await self.api.call("chat.postMessage", channel=channel, thread_ts=thread_ts or None,
                                unfurl_links=False, unfurl_media=False, **r.kwargs(), **extra)
        return str(d.get("ts") or "")

    async def posted(self, channel: str, thread_ts: str, key: str) -> str:
        """The ts of aiom's message carrying reply key `key` in the channel (or thread); "" when there is none."""
        return await find_posted(self.api, channel, thread_ts, key)

    async def update(self, channel: str, ts: str, message: Message, ids: dict[int, str],
                     turn: "Turn | None" = None) -> None:
        r = await self.rendered(message, ids, turn)
        await self.api.call("chat.update", channel=channel, ts=ts, **r.kwargs())

    async def say(self, op: Say, turn: "Turn", outcome: Outcome, ids: dict[int, str], key: str = "") -> None:
        if turn.ephemeral:
            await self.ephemeral(op.message, turn, ids)
            return
        thread = turn.thread_ts
        if op.thread_of:
            thread = await self.thread_for(op.thread_of, turn)
        ts = await self.post(turn.channel, op.message, ids, thread, turn, key=key, reconcile=outcome.resent)
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
            r = await self.rendered(message, ids, turn, private=True)
            await self.api.respond(turn.response_url, {"replace_original": True, **r.kwargs()})
        elif turn.source_ts and turn.source_channel:
            await self.update(turn.source_channel, turn.source_ts, message, ids, turn)

    async def ephemeral(self, message: Message, turn: "Turn", ids: dict[int, str]) -> None:
        """Only the person sees it, where they are: through the interaction's response_url when there is one
        (it works even where the bot is not a member), else chat.postEphemeral."""
        message = pictures.without(message)  # a file cannot be shown to one person only
        if message is None:
            return
        r = await self.rendered(message, ids, turn, private=True)
        if turn.response_url:
            await self.api.respond(turn.response_url, {"response_type": "ephemeral", "replace_original": False,
                                                       **r.kwargs()})
            return
        await self.api.call("chat.postEphemeral", channel=turn.channel, user=turn.user_id,
                            thread_ts=turn.thread_ts or None, **r.kwargs())

    async def whisper(self, message: Message, turn: "Turn", ids: dict[int, str], key: str = "",
                      reconcile: bool = False) -> None:
        if turn.personal:
            await self.post(turn.channel, message, ids, turn.thread_ts, turn, key=key, reconcile=reconcile)
            return
        if turn.ephemeral:
            await self.ephemeral(message, turn, ids)
            return
        r = await self.rendered(message, ids, turn, private=True)
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
            await self.post(dm, message, ids, turn=turn, private=True)

    async def open_form(self, form: Form, turn: "Turn") -> None:
        try:
            view = forms.modal(form, channel=turn.channel, thread=turn.thread_ts)
        except forms.MetadataTooLong:
            log.error("form %r not opened: its payload is too big for a modal (ids only, please)", form.form_id)
            await self.whisper(Message([Text([FORM_TOO_BIG])]), turn, {})
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
        await self.post(turn.channel, await self.form_offer(form, turn), {}, turn.thread_ts, turn)

    async def form_offer(self, form: Form, turn: "Turn") -> Message:
        button = await self.open_form_button(form, turn)
        return Message([Text([f"{form.title}: click the button to open the form."]),
                        Buttons([button]), Context("Slack opens forms only from a click.")],
                       fallback=f"{form.title}: open the form")

    async def open_form_button(self, form: Form, turn: "Turn") -> Button:
        state_id = form.payload.get("s") if form.form_id == "flow" else None
        if isinstance(state_id, int):
            async with self.rt.app.db.read() as s:
                st = await states.get(s, state_id)
            if st is not None:
                # The flow's own "form" control, so the click works from any process, even after a restart.
                return Button("Open the form", "flow", {"s": st.id, "v": st.version, "c": "!form"}, style="primary")
        key = await self.rt.forms.put(turn.user_id, form)
        return Button("Open the form", OPEN_FORM_ACTION, {"k": key}, style="primary")

    async def errors_message(self, op: FormErrors, turn: "Turn") -> Message:
        labels = {f.name: f.label for f in op.form.fields}
        lines = "\n".join(f"• {labels.get(k, k)}: {v}" for k, v in op.errors.items())
        button = await self.open_form_button(op.form, turn)
        return Message([Text([f"Some answers need another look:\n{lines}"]), Buttons([button])],
                       fallback="Some answers in the form need another look")
