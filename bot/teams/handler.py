"""The Teams activity handler: every activity becomes one neutral `Inbound` for the engine.

- message: typed text (the bot's own @mention removed in channels; other
  mentions resolved to people), or an `Action.Submit` card click;
- invoke `adaptiveCard/action`: an `Action.Execute` card click or form submission;
- invoke `fileConsent/invoke`: the user accepted or declined a file (files.py);
- installationUpdate / conversationUpdate: the conversation reference is stored
  (and a personal install is greeted, which also creates the person).

Every activity's conversation reference is stored (refs.py). The activity id is
the engine's `event_id`, so a repeated delivery changes nothing twice.
"""
from __future__ import annotations

import logging

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext

from bot.teams.activity import card_data, kind_of, split_conversation, tenant_of
from bot.teams.cards import read_values
from bot.teams.ops import TurnOps, message_answer
from bot.teams.runtime import TeamsRuntime
from conversations.interaction import Actor, Inbound, Where

log = logging.getLogger(__name__)

MAX_ACTION = 64


def where_of(turn: TurnContext) -> Where:
    a = turn.activity
    base, thread = split_conversation(a.conversation.id)
    return Where(platform="teams", conversation_id=base, thread_id=thread, kind=kind_of(a), tenant=tenant_of(a))


def click_inbound(actor: Actor, where: Where, data: dict, turn: TurnContext) -> Inbound:
    a = turn.activity
    payload = data.get("p") if isinstance(data.get("p"), dict) else {}
    common = dict(actor=actor, where=where, payload=payload, event_id=a.id, source_message_id=a.reply_to_id,
                  message_ref=f"teams:{where.conversation_id}/{a.reply_to_id or a.id}")
    if data.get("aiom") == "form":
        form_id = str(data.get("form") or "")[:MAX_ACTION]
        return Inbound(form_id=form_id or "?", values=read_values(data), **common)
    return Inbound(action=str(data.get("aiom") or "?")[:MAX_ACTION], **common)


class AiomTeamsBot(ActivityHandler):
    def __init__(self, rt: TeamsRuntime):
        self.rt = rt

    def _count(self, kind: str) -> None:
        if self.rt.metrics is not None:
            self.rt.metrics.inbound.labels("teams", kind).inc()

    async def handle(self, turn: TurnContext, inbound: Inbound) -> dict | None:
        outcome = await self.rt.engine.handle(inbound)
        self._count(inbound.kind)
        await self.rt.refs.remember(turn.activity, aad=inbound.actor.external_id)
        if outcome.duplicate:
            if self.rt.metrics is not None:
                self.rt.metrics.duplicates.labels("teams").inc()
            return message_answer("Already done.") if turn.activity.type == "invoke" else None
        return await TurnOps(self.rt, turn, inbound, outcome).run()

    # -- messages -----------------------------------------------------------------------
    async def on_message_activity(self, turn: TurnContext) -> None:
        actor = await self.rt.directory.actor(turn)
        where = where_of(turn)
        data = card_data(turn.activity)
        if data is not None:  # an Action.Submit click (older clients)
            await self.handle(turn, click_inbound(actor, where, data, turn))
            return
        text, mentions = await self.rt.directory.mentions(turn, turn.activity.text or "")
        a = turn.activity
        await self.handle(turn, Inbound(actor=actor, where=where, text=text, mentions=mentions, event_id=a.id,
                                        message_ref=f"teams:{where.conversation_id}/{a.id}"))

    # -- invokes ---------------------------------------------------------------------------
    async def on_invoke_activity(self, turn: TurnContext) -> InvokeResponse:
        name = turn.activity.name
        if name == "adaptiveCard/action":
            data = card_data(turn.activity)
            if data is None:
                return InvokeResponse(status=200, body=message_answer("I could not read that card."))
            actor = await self.rt.directory.actor(turn)
            body = await self.handle(turn, click_inbound(actor, where_of(turn), data, turn))
            return InvokeResponse(status=200, body=body)
        if name == "fileConsent/invoke":
            await self.rt.refs.remember(turn.activity)
            try:
                await self.rt.files.on_consent(turn)
            except Exception:
                log.exception("Teams: the file upload failed")
                await turn.send_activity("Sorry, I could not save that file. Please ask for it again.")
            return InvokeResponse(status=200)
        return InvokeResponse(status=501)

    # -- install and membership ---------------------------------------------------------------
    async def on_installation_update(self, turn: TurnContext) -> None:
        await self.rt.refs.remember(turn.activity)
        action = (turn.activity.action or "").lower()
        if action.startswith("add") and kind_of(turn.activity) == "personal":
            await self._greet(turn)

    async def on_conversation_update_activity(self, turn: TurnContext) -> None:
        a = turn.activity
        await self.rt.refs.remember(a)
        bot_id = a.recipient.id if a.recipient else None
        added_bot = any(m.id == bot_id for m in a.members_added or [])
        if added_bot and kind_of(a) == "personal":
            await self._greet(turn)

    async def _greet(self, turn: TurnContext) -> None:
        """A personal install: say hello through the engine (which also creates the person)."""
        actor = await self.rt.directory.actor(turn)
        a = turn.activity
        await self.handle(turn, Inbound(actor=actor, where=where_of(turn), text="hello",
                                        event_id=f"install:{a.conversation.id}",
                                        message_ref=f"teams:{a.conversation.id}/{a.id}"))
