"""The flow engine: one entry point for every platform.

`Engine.handle(inbound)` runs in one database transaction: it drops repeats of
an event already processed, maps the platform user to an aiom person, routes
the input (a button, a form, an answer to the flow the person is in, or a
command), saves the flow state, and returns the ops for the adapter to carry
out. Anything unexpected is logged and answered with a polite message; the
transaction is rolled back so nothing half-done is kept, and the person's
earlier answers (saved by earlier transactions) are untouched.
"""
from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from dataclasses import replace
from datetime import timedelta
from typing import Awaitable, Callable, Iterable, Protocol

from conversations import clean, limits, replies
from conversations.context import Ctx, Refusal
from conversations.groups.effective import effective_policy
from vocabulary.interaction import Inbound, Outcome, Say, Whisper
from vocabulary.messages import say
from conversations.people.lookup import person_for_actor, user_key
from vocabulary.platforms import Platforms, as_platforms
from vocabulary.policy import Policy
from storage.db import Database
from storage.repo import events, people, states
from storage.tables import ConversationState
from storage.types import utcnow
from vocabulary.states import FlowStatus

log = logging.getLogger(__name__)

CommandHandler = Callable[[Ctx, str], Awaitable[None]]
ActionHandler = Callable[[Ctx, dict], Awaitable[None]]
FormHandler = Callable[[Ctx, dict], Awaitable[None]]

FLOW_ACTION = "flow"
CONTROL_WORDS = {"back", "skip", "cancel", "help", "stop", "quit", "?"}
MAX_TEXT = 8000  # anything longer is cut before it reaches a flow (the flows set tighter limits)

SORRY = ("Sorry, something went wrong on my side and I could not finish that. Nothing you answered "
         "before was lost; please try again in a moment.")


class Flow(Protocol):
    name: str

    async def start(self, ctx: Ctx, data: dict) -> None: ...

    async def on_text(self, ctx: Ctx, text: str) -> None: ...

    async def on_choice(self, ctx: Ctx, choice: str) -> None: ...

    async def on_form(self, ctx: Ctx, values: dict) -> None: ...


def _clean(inbound: Inbound) -> None:
    """Control characters (NUL first: Postgres refuses it in text) out of everything a person typed or sent."""
    if inbound.text is not None:
        inbound.text = clean.text(inbound.text)
    if inbound.values:
        inbound.values = clean.deep(inbound.values)
    if inbound.payload:
        inbound.payload = clean.deep(inbound.payload)
    a = inbound.actor
    if clean.CONTROL.search(a.name) or clean.CONTROL.search(a.email or ""):
        inbound.actor = dataclasses.replace(a, name=clean.text(a.name),
                                            email=clean.text(a.email) if a.email else a.email)


class Engine:
    def __init__(self, db: Database, policy: Policy, *, platforms: Iterable[str] | None = None,
                 clock: Callable = utcnow, on_outbox: Callable[[], None] | None = None):
        self.db = db
        self.policy = policy
        self.platforms: Platforms = as_platforms(platforms)  # with what each can do (vocabulary/platforms.py)
        self.clock = clock
        self.on_outbox = on_outbox or (lambda: None)
        self.commands: dict[str, CommandHandler] = {}
        self.command_help: dict[str, str] = {}
        self.actions: dict[str, ActionHandler] = {}
        self.forms: dict[str, FormHandler] = {}
        self.flows: dict[str, Flow] = {}
        self.fallback: CommandHandler | None = None
        self._person_cache: OrderedDict[tuple, int] = OrderedDict()
        # Platform -> where review-group memberships can be read (a Slack user group, a Teams team): set by adapters.
        self.group_sources: dict = {}
        # How long a turn's unsent reply is left to the process that made it (App.start sets the intake lease).
        self.reply_lease = timedelta(seconds=30)

    # -- registration -----------------------------------------------------------
    def command(self, *names: str, help: str = "") -> Callable[[CommandHandler], CommandHandler]:
        def deco(fn: CommandHandler) -> CommandHandler:
            for n in names:
                self.commands[n] = fn
            if help:
                self.command_help[names[0]] = help
            return fn
        return deco

    def action(self, name: str) -> Callable[[ActionHandler], ActionHandler]:
        def deco(fn: ActionHandler) -> ActionHandler:
            self.actions[name] = fn
            return fn
        return deco

    def form(self, form_id: str) -> Callable[[FormHandler], FormHandler]:
        def deco(fn: FormHandler) -> FormHandler:
            self.forms[form_id] = fn
            return fn
        return deco

    def add_flow(self, flow: Flow) -> None:
        self.flows[flow.name] = flow

    # -- entry point --------------------------------------------------------------
    async def handle(self, inbound: Inbound) -> Outcome:
        if inbound.actor.is_bot:
            return Outcome(duplicate=True)
        _clean(inbound)
        if inbound.text is not None and len(inbound.text) > MAX_TEXT:
            inbound.text = inbound.text[:MAX_TEXT]
        try:
            async with self.db.write() as session:
                if inbound.event_id and not await events.mark_processed(session, inbound.where.platform,
                                                                        inbound.event_id):
                    # A repeat. If the first one's reply was never sent (its process stopped after the
                    # commit), this repeat sends it; otherwise nothing happens twice.
                    unsent = await events.unsent_reply(session, inbound.where.platform, inbound.event_id,
                                                       self.reply_lease, now=self.clock())
                    if unsent is None:
                        return Outcome(duplicate=True)
                    return Outcome(ops=replies.load(unsent[0]), state_id=unsent[1], resent=True)
                person = await self._person(session, inbound)
                ctx = Ctx.turn(self, session, inbound, person, self.clock(),
                               await effective_policy(session, self.policy))
                try:
                    await self._route(ctx)
                except Refusal as r:
                    ctx.ops = [op for op in ctx.ops if not isinstance(op, Say)]
                    ctx.after = []
                    ctx.whisper(r.text)
                await limits.keep(session, platform=inbound.where.platform, person_id=person.id, ops=ctx.ops,
                                  now=ctx.now)  # a submission after a restart is held to the same limits
                if ctx.state is not None:
                    ctx.state.updated_at = ctx.now
                    session.add(ctx.state)
                    await session.flush()
                tracked = any(isinstance(op, Say) and op.track for op in ctx.ops)
                state_id = ctx.state.id if (tracked and ctx.state) else None
                if inbound.event_id:  # kept until sent: a stop between this commit and the sends loses nothing
                    await events.store_reply(session, inbound.where.platform, inbound.event_id,
                                             replies.dump(ctx.ops), state_id, self.reply_lease, now=ctx.now)
        except Exception:
            log.exception("handling %s from %s failed", inbound.kind, inbound.where.platform)
            self._person_cache.clear()
            return Outcome(ops=[Whisper(message=say(SORRY))], failed=True)
        for work in ctx.after:  # committed: slow reads run here, outside the write transaction
            try:
                ctx.ops.extend(await work())
            except Exception:
                log.exception("work after %s from %s failed", inbound.kind, inbound.where.platform)
                ctx.ops.append(Whisper(message=say(SORRY)))
        if ctx.outbox_written:
            self.on_outbox()
        return Outcome(ops=ctx.ops, state_id=state_id)

    async def track_prompt(self, state_id: int, message_id: str) -> None:
        """The adapter reports the platform id of a prompt it posted, so it can be replaced once answered."""
        async with self.db.write() as session:
            st = await states.get(session, state_id)
            if st is not None:
                await states.set_prompt_ref(session, state_id, st.version, message_id)

    async def _person(self, session, inbound: Inbound):
        a = inbound.actor
        key = (a.platform, a.tenant, a.external_id, a.name, a.timezone, a.email)
        pid = self._person_cache.get(key)
        if pid is not None:
            person = await people.get(session, pid)
            if person is not None:
                return person
        person = await person_for_actor(session, a)
        self._person_cache[key] = person.id
        if len(self._person_cache) > 5000:
            self._person_cache.popitem(last=False)
        return person

    # -- routing --------------------------------------------------------------------
    async def _route(self, ctx: Ctx) -> None:
        inbound = ctx.inbound
        if inbound.kind == "action":
            await self._on_action(ctx)
        elif inbound.kind == "form" and inbound.form_id == FLOW_ACTION:
            state = await self._state_for_click(ctx, inbound.payload, check_version=False)
            await self.flows[state.flow].on_form(ctx, inbound.values if isinstance(inbound.values, dict) else {})
        elif inbound.kind == "form":
            handler = self.forms.get(inbound.form_id or "")
            if handler is None:
                raise Refusal("That form is no longer in use. Type “help” to see what I can do.")
            form = await limits.opened(ctx.session, platform=ctx.platform, person_id=ctx.person.id,
                                       form_id=inbound.form_id or "")
            too_long = limits.over_limit(form, inbound.values if isinstance(inbound.values, dict) else {})
            if too_long:  # the declared limits hold on every platform, before any handler stores a thing
                if form is None:
                    raise Refusal(next(iter(too_long.values())))
                ctx.form_errors(replace(form, payload=dict(inbound.payload or {})), too_long)
                return
            await handler(ctx, inbound.values)
        else:
            await self._on_text(ctx, (inbound.text or "").strip())

    async def _on_action(self, ctx: Ctx) -> None:
        name = ctx.inbound.action or ""
        payload = ctx.inbound.payload if isinstance(ctx.inbound.payload, dict) else {}
        if name == FLOW_ACTION:
            state = await self._state_for_click(ctx, payload)
            flow = self.flows[state.flow]
            choice = payload.get("c")
            if not isinstance(choice, str):
                raise Refusal("I could not read that button. Please try the question again.")
            await flow.on_choice(ctx, choice)
            return
        handler = self.actions.get(name)
        if handler is None:
            raise Refusal("That button is not one I recognise any more. Type “help” to see what I can do.")
        await handler(ctx, payload)

    async def _state_for_click(self, ctx: Ctx, payload: dict, check_version: bool = True) -> ConversationState:
        try:
            state_id = int(payload.get("s"))
            version = int(payload.get("v")) if check_version else None
        except (TypeError, ValueError):
            raise Refusal("I could not read that button. Please try the question again.") from None
        state = await states.get(ctx.session, state_id)
        if state is None or state.user_key != user_key(ctx.inbound.actor) \
                or state.platform != ctx.inbound.where.platform:
            raise Refusal("That button belongs to someone else's conversation, so I left it alone.")
        if (state.status != FlowStatus.ACTIVE or state.flow not in self.flows
                or (check_version and state.version != version)):
            raise Refusal("That question has already been answered, so this button no longer does anything.")
        ctx.state = state
        state.version += 1
        return state

    async def _on_text(self, ctx: Ctx, text: str) -> None:
        w = ctx.inbound.where
        state = await states.find(ctx.session, w.platform, w.conversation_id, w.thread_id,
                                  user_key(ctx.inbound.actor))
        if state is not None and state.status == FlowStatus.ACTIVE and state.flow in self.flows:
            flow = self.flows[state.flow]
            reprompt = getattr(flow, "reprompt", None)
            if ctx.inbound.opening and reprompt is None:
                await self.run_command(ctx, text)
                return
            ctx.state = state
            state.version += 1
            await (reprompt(ctx) if ctx.inbound.opening else flow.on_text(ctx, text))
            return
        await self.run_command(ctx, text)

    async def run_command(self, ctx: Ctx, text: str) -> None:
        """Typed text as it is handled outside any conversation: a command, or else the fallback. Flows that
        let go of what they do not understand (having set their own state done) hand the text back here."""
        word, _, args = text.strip().partition(" ")
        handler = self.commands.get(word.lower().strip("/!"))
        if handler is not None:
            await handler(ctx, args.strip())
        elif self.fallback is not None:
            await self.fallback(ctx, text)

    async def start_flow(self, ctx: Ctx, name: str, data: dict) -> None:
        """Start (or restart) a flow for the actor in this conversation."""
        w = ctx.inbound.where
        key = user_key(ctx.inbound.actor)
        state = ctx.state
        if state is None:
            state = await states.find(ctx.session, w.platform, w.conversation_id, w.thread_id, key)
        if state is None:
            state = ConversationState(platform=w.platform, conversation_id=w.conversation_id,
                                      thread_id=w.thread_id, user_key=key, person_id=ctx.person.id, flow=name,
                                      created_at=ctx.now)
            ctx.session.add(state)
            await ctx.session.flush()
        else:
            state.version += 1
        state.flow, state.step, state.data, state.history = name, "", dict(data), []
        state.status, state.prompt_ref, state.created_at, state.nudged_at = FlowStatus.ACTIVE, None, ctx.now, None
        state.person_id = ctx.person.id
        ctx.state = state
        await self.flows[name].start(ctx, data)

