"""A flow made of question steps: one question at a time, with back, skip, cancel, help,
a summary to review, and any earlier answer changeable before submitting.

State (answers, the path taken) lives in the ConversationState row and is
saved by the engine after every answer, so a restart resumes at the same
question. Buttons carry the state id and version only; an old button is
recognised as stale by the engine.
"""
from __future__ import annotations

from typing import Any

from vocabulary.text import clip
from conversations.context import Ctx
from conversations.engine import FLOW_ACTION
from vocabulary.messages import (
    Button,
    Buttons,
    Context,
    Facts,
    Form,
    Header,
    Message,
    Text,
    text,
)
from conversations.steps import Invalid, Step, display_value, parse_answer, parse_click
from vocabulary.states import FlowStatus

SUMMARY = "_summary"
CHANGE = "_change"
COACH = "_coach"
CANCEL_WORDS = {"cancel", "stop", "quit"}
FROM_FORM = "_from_form"  # set while a flow's one-screen form is open and nothing was typed in chat yet
CONTROLS_HELP = ("Type your answer, or “back” for the previous question, “skip” to leave out an optional one, or "
                 "“cancel” to stop. Nothing is submitted until you click {submit}.")


def flow_button(ctx: Ctx, label: str, choice: str, style: str | None = None) -> Button:
    st = ctx.state
    return Button(label=label, action=FLOW_ACTION, payload={"s": st.id, "v": st.version, "c": choice}, style=style)


class StepFlow:
    name = "steps"
    title = "Questions"
    noun = "conversation"  # how a sentence names the thing being filled in ("this proposal")
    submit_label = "Submit"
    form_label: str | None = None  # set to offer "fill in a form instead"

    # -- to be provided by subclasses ---------------------------------------------
    def steps(self, ctx: Ctx) -> list[Step]:
        raise NotImplementedError

    async def submit(self, ctx: Ctx) -> None:
        raise NotImplementedError

    def build_form(self, ctx: Ctx) -> Form | None:
        return None

    async def on_form(self, ctx: Ctx, values: dict) -> None:
        ctx.whisper("This conversation does not use a form.")

    def intro(self, ctx: Ctx) -> Message | None:
        return None

    # -- engine hooks -----------------------------------------------------------------
    async def start(self, ctx: Ctx, data: dict) -> None:
        intro = self.intro(ctx)
        if intro is not None:
            ctx.say(intro)
        await self.advance(ctx, after=None)

    async def on_text(self, ctx: Ctx, raw: str) -> None:
        if ctx.state.data.get(FROM_FORM):  # a form left open (or closed) elsewhere: say so before going on
            return await self.resume_draft(ctx)
        word = raw.strip().lower().strip(".!")
        if word in CANCEL_WORDS:
            return await self.cancel(ctx)
        if word in ("back", "skip", "help", "?", "form"):
            return await self.control(ctx, "help" if word == "?" else word)
        step_key = ctx.state.step
        if step_key == SUMMARY:
            if word in ("submit", "yes", "done", "send"):
                return await self.submit(ctx)
            if word in ("change", "edit"):
                return await self.show_change(ctx)
            return await self.ask(ctx, SUMMARY, note=f"Click {self.submit_text(ctx)} when everything looks right, "
                                                     "or Change an answer.")
        if step_key == CHANGE:
            return await self.control(ctx, "back")
        if step_key.startswith(COACH):
            if word in ("keep", "use it", "keep it", "yes"):
                return await self._coach_keep(ctx)
            if word in ("rewrite", "rewrite it"):
                return await self._coach_rewrite(ctx)
            # A new version typed straight after the advice: that is the answer (advice is given once).
            step = self.step(ctx, step_key[len(COACH) + 1:])
            ctx.state.step = step.key
            return await self._accept_typed(ctx, step, raw)
        step = self.step(ctx, step_key)
        await self._accept_typed(ctx, step, raw)

    async def resume_draft(self, ctx: Ctx) -> None:
        """The first message in chat after the one-screen form was opened and left: the draft continues here,
        with what it kept; the message itself is not taken as an answer."""
        ctx.state.data = {k: v for k, v in ctx.state.data.items() if k != FROM_FORM}
        kept = []
        for key in ctx.state.history:
            step = next((x for x in self.steps(ctx) if x.key == key), None)
            if step is not None and not step.internal and key in ctx.state.data:
                kept.append(f"{step.label}: {clip(display_value(step, ctx, ctx.state.data, ctx.state.data[key]), 80)}")
        what = ("Kept so far: " + "; ".join(kept) + ".") if kept else "Nothing from the form was kept."
        ctx.say(Message([Text([f"You have a saved draft of this {self.noun} from the form you opened earlier; it "
                               f"continues here. {what} Type cancel to drop it."])]))
        key = ctx.state.step or ""
        if key.startswith(COACH):
            key = key[len(COACH) + 1:]
        if not key:
            return await self.advance(ctx, after=None)
        await self.ask(ctx, key)

    async def reprompt(self, ctx: Ctx) -> None:
        """The person came back (the chat was reopened): show the question they stopped at, answers kept."""
        key = ctx.state.step or ""
        if key.startswith(COACH):
            key = key[len(COACH) + 1:]
        if not key:
            return await self.advance(ctx, after=None)
        await self.ask(ctx, key, note=f"Welcome back. Your answers so far are kept; here is where you stopped in "
                                      f"this {self.noun}.")

    async def on_choice(self, ctx: Ctx, choice: str) -> None:
        if choice.startswith("!"):
            return await self.control(ctx, choice[1:])
        step_key = ctx.state.step
        if step_key == SUMMARY:
            if choice == "submit":
                ctx.replace_source(self.summary_message(ctx, final=True))
                return await self.submit(ctx)
            if choice == "change":
                return await self.show_change(ctx)
        if step_key == CHANGE and choice.startswith("chg:"):
            key = choice[4:]
            if key not in [s.key for s in self.visible_steps(ctx)]:
                ctx.whisper("That answer cannot be changed any more.")
                return
            ctx.state.data = {**ctx.state.data, "_return": True}
            ctx.replace_source(Message([Context(f"Changing: {self.step(ctx, key).label}")]))
            return await self.ask(ctx, key)
        if step_key.startswith(COACH):
            if choice == "keep":
                return await self._coach_keep(ctx)
            if choice == "rewrite":
                return await self._coach_rewrite(ctx)
        step = self.step(ctx, step_key)
        try:
            value = parse_click(step, ctx, ctx.state.data, choice)
        except Invalid as e:
            return await self.ask(ctx, step.key, note=str(e))
        await self.accept(ctx, step, value, clicked=True)

    # -- navigation ---------------------------------------------------------------------
    def step(self, ctx: Ctx, key: str) -> Step:
        for s in self.steps(ctx):
            if s.key == key:
                return s
        raise KeyError(key)

    def visible_steps(self, ctx: Ctx) -> list[Step]:
        data = ctx.state.data
        return [s for s in self.steps(ctx) if not s.internal and (s.when is None or s.when(data))
                and s.key in data]

    async def control(self, ctx: Ctx, what: str) -> None:
        data, step_key = ctx.state.data, ctx.state.step
        if step_key.startswith(COACH):  # the advice on an answer: controls act on its question
            step_key = step_key[len(COACH) + 1:]
            ctx.state.step = step_key
        if what == "cancel":
            return await self.cancel(ctx)
        if what == "help":
            step = self._current_step(ctx)
            lines = [step.help] if step and step.help else []
            if step is not None and step.kind == "person":
                lines.append("Mention the person (for example @maria) or type their email address.")
            lines.append(CONTROLS_HELP.format(submit=self.submit_text(ctx)))
            ctx.say(Message([Text([" ".join(lines)])]))
            return await self.ask(ctx, step_key)
        if what == "form":
            form = self.build_form(ctx)
            if form is None:
                ctx.whisper("This one works best as a conversation, so there is no form for it.")
                return
            ctx.open_form(form)
            return
        if what == "skip":
            step = self._current_step(ctx)
            if step is None or not step.optional:
                ctx.say("This question is needed, so it cannot be skipped. Type “help” if you are unsure.")
                return await self.ask(ctx, step_key)
            ctx.state.data = {**data, step.key: None}
            self._answered_msg(ctx, step, None, clicked=ctx.inbound.kind == "action")
            return await self.advance(ctx, after=step.key)
        if what == "back":
            history = list(ctx.state.history)
            current = step_key
            while history and history[-1] == current:
                history.pop()
            if not history:
                ctx.say("This is the first question, so there is nothing to go back to.")
                return await self.ask(ctx, current)
            prev = history.pop()
            ctx.state.history = history
            if ctx.inbound.kind == "action":
                ctx.replace_source(Message([Context("Going back one question.")]))
            return await self.ask(ctx, prev)
        ctx.whisper("I did not understand that button.")

    def _current_step(self, ctx: Ctx) -> Step | None:
        key = ctx.state.step
        if key.startswith(COACH):
            key = key[len(COACH) + 1:]
        try:
            return self.step(ctx, key)
        except KeyError:
            return None

    async def cancel(self, ctx: Ctx) -> None:
        ctx.state.status = FlowStatus.CANCELLED
        if ctx.inbound.kind == "action":
            ctx.replace_source(Message([Context("Cancelled.")]))
        elif ctx.state.prompt_ref:
            ctx.replace(ctx.state.prompt_ref, Message([Context("Cancelled.")]))
        ctx.say(f"Cancelled. Nothing from this {self.noun} was submitted. Type “help” whenever you "
                "want to start something new.")

    async def advance(self, ctx: Ctx, after: str | None) -> None:
        """Ask the next step that applies, or go to the summary."""
        data = ctx.state.data
        if after is not None and data.get("_return"):
            pending = [s for s in self.steps(ctx) if (s.when is None or s.when(data)) and s.key not in data]
            if not pending:
                ctx.state.data = {k: v for k, v in data.items() if k != "_return"}
                return await self.ask(ctx, SUMMARY)
        keys = [s.key for s in self.steps(ctx)]
        start = keys.index(after) + 1 if after in keys else 0
        for step in self.steps(ctx)[start:]:
            if step.when is not None and not step.when(ctx.state.data):
                continue
            if data.get("_return") and step.key in data:
                continue
            if step.prepare is not None and not await step.prepare(ctx, ctx.state.data):
                continue
            return await self.ask(ctx, step.key)
        ctx.state.data = {k: v for k, v in ctx.state.data.items() if k != "_return"}
        await self.ask(ctx, SUMMARY)

    async def accept(self, ctx: Ctx, step: Step, value: Any, clicked: bool = False) -> None:
        data = dict(ctx.state.data)
        if step.key in data and data[step.key] != value and not step.internal:
            # Kept until submit, when flows that audit their answers write each change down.
            data["_changes"] = [*data.get("_changes", []), {"key": step.key, "from": data[step.key], "to": value,
                                                             "at": ctx.now.isoformat()}]
        data[step.key] = value
        data.pop("_pending", None)
        ctx.state.data = data
        ctx.state.history = [*ctx.state.history, step.key]
        self._answered_msg(ctx, step, value, clicked=clicked)
        await self.after_answer(ctx, step, value)
        if ctx.state.status == FlowStatus.ACTIVE and ctx.state.step == step.key:
            await self.advance(ctx, after=step.key)

    async def after_answer(self, ctx: Ctx, step: Step, value: Any) -> None:
        """Hook: react to an answer (subclasses)."""

    async def _accept_typed(self, ctx: Ctx, step: Step, raw: str) -> None:
        try:
            value = parse_answer(step, ctx, ctx.state.data, raw)
        except Invalid as e:
            if ctx.state.prompt_ref:  # the refused question's buttons are retired: it is asked again below
                ctx.replace(ctx.state.prompt_ref, Message([Context(f"{step.label}: that answer could not be used; "
                                                                   "the question is asked again below.")]))
            return await self.ask(ctx, step.key, note=str(e))
        coached = ctx.state.data.get("_coached", [])
        advice = step.coach(value) if (step.coach and step.key not in coached) else None
        if advice:
            self._answered_msg(ctx, step, value, clicked=False)  # the question shows the draft, without buttons
            ctx.state.data = {**ctx.state.data, "_pending": value, "_coached": [*coached, step.key]}
            ctx.state.step = f"{COACH}:{step.key}"
            msg = Message([Text([advice]),
                           Buttons([flow_button(ctx, "Keep my answer", "keep"),
                                    flow_button(ctx, "Rewrite it", "rewrite", "primary")]),
                           Context("Or just type a new version.")])
            ctx.say(msg, track=True)
            return
        await self.accept(ctx, step, value)

    async def _coach_rewrite(self, ctx: Ctx) -> None:
        key = ctx.state.step[len(COACH) + 1:]
        done = Message([Context("Rewriting that answer.")])
        if ctx.inbound.kind == "action":
            ctx.replace_source(done)
        elif ctx.state.prompt_ref:
            ctx.replace(ctx.state.prompt_ref, done)
        await self.ask(ctx, key)

    async def _coach_keep(self, ctx: Ctx) -> None:
        key = ctx.state.step[len(COACH) + 1:]
        step = self.step(ctx, key)
        value = ctx.state.data.get("_pending")
        if value is None:
            return await self.ask(ctx, key)
        ctx.state.step = key
        await self.accept(ctx, step, value, clicked=ctx.inbound.kind == "action")

    def _answered_msg(self, ctx: Ctx, step: Step, value: Any, clicked: bool) -> None:
        shown = display_value(step, ctx, ctx.state.data, value)
        msg = Message([Context(f"{step.label}: {clip(shown, 280)}")], fallback=f"{step.label}: {clip(shown, 200)}")
        if clicked:
            ctx.replace_source(msg)
        elif ctx.state.prompt_ref:
            ctx.replace(ctx.state.prompt_ref, msg)

    # -- prompts --------------------------------------------------------------------------
    async def ask(self, ctx: Ctx, key: str, note: str = "") -> None:
        if key == CHANGE:
            return await self.show_change(ctx)
        ctx.state.step = key
        if key == SUMMARY:
            msg = self.summary_message(ctx)
            if note:
                msg.blocks.insert(0, Text([note]))
            ctx.say(msg, track=True)
            return
        step = self.step(ctx, key)
        data = ctx.state.data
        blocks: list = []
        if note:
            blocks.append(Text([note]))
        blocks.append(Text([step.question_text(ctx, data)]))
        if step.hint:
            blocks.append(Context(step.hint))
        options = step.options(ctx, data) if step.kind in ("choice", "yesno") else []
        if options:
            blocks.append(Buttons([flow_button(ctx, label, key_) for key_, label in options]))
        controls = []
        if ctx.state.history:
            controls.append(flow_button(ctx, "Back", "!back"))
        if step.optional:
            controls.append(flow_button(ctx, "Skip", "!skip"))
        if self.form_label and self.build_form(ctx) is not None and not ctx.state.history:
            controls.append(flow_button(ctx, self.form_label, "!form"))
        controls.append(flow_button(ctx, "Cancel", "!cancel"))
        blocks.append(Buttons(controls))
        blocks.append(Context(self.progress(ctx, key)))
        # How the local chat reads a bare number: a button number, or (on a number question) the answer.
        # On a choice a typed number picks an option (never Back or Cancel): "choice" sends it to the flow.
        expects = "choice" if options else ("text" if step.kind == "number" else "words")
        ctx.say(Message(blocks, fallback=step.question_text(ctx, data), expects=expects), track=True)

    def progress(self, ctx: Ctx, key: str) -> str:
        """Steady and truthful: numbered over the questions everyone is asked; a follow-up that only some
        answers bring (a vendor's name, a tier request) belongs to the question before it."""
        steps = self.steps(ctx)
        main = [s.key for s in steps if not s.internal and s.when is None]
        keys = [s.key for s in steps]
        tail = "type “back”, “skip”, “help” or “cancel”"
        if len(main) < 2:  # nothing worth counting
            return f"{self.title} · {tail}"
        if key in main:
            where = f"question {main.index(key) + 1} of {len(main)}"
        elif key in keys and any(k in main for k in keys[:keys.index(key)]):
            before = [k for k in keys[:keys.index(key)] if k in main][-1]
            where = (f"all {len(main)} questions answered" if before == main[-1] else
                     f"a follow-up to question {main.index(before) + 1} of {len(main)}")
        else:
            where = f"{len(main)} questions"
        return f"{self.title} · {where} · {tail}"

    def submit_text(self, ctx: Ctx) -> str:
        """The label of the summary's submit button (a flow may say what submitting will do)."""
        return self.submit_label

    def summary_message(self, ctx: Ctx, final: bool = False) -> Message:
        data = ctx.state.data
        facts = [(s.label, clip(display_value(s, ctx, data, data.get(s.key)), 600)) for s in self.visible_steps(ctx)]
        blocks: list = [Header(f"{self.title}: please check"), Facts(facts)]
        blocks.extend(self.summary_extra(ctx))
        if final:
            blocks.append(Context("Submitted."))
        else:
            blocks.append(Buttons([flow_button(ctx, self.submit_text(ctx), "submit", "primary"),
                                   flow_button(ctx, "Change an answer", "change"),
                                   flow_button(ctx, "Cancel", "!cancel")]))
        return Message(blocks, fallback=f"{self.title}: please check your answers")

    def summary_extra(self, ctx: Ctx) -> list:
        return []

    async def show_change(self, ctx: Ctx) -> None:
        ctx.state.step = CHANGE
        steps = self.visible_steps(ctx)
        buttons = [flow_button(ctx, s.label[:70], f"chg:{s.key}") for s in steps]
        rows = [Buttons(buttons[i:i + 5]) for i in range(0, len(buttons), 5)]
        ctx.say(Message([text("Which answer would you like to change?"), *rows,
                         Buttons([flow_button(ctx, "Back to the summary", "!back")])]), track=True)
        ctx.state.history = [*ctx.state.history, SUMMARY]
