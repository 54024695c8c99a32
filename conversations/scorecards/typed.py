"""Typed words on an open scorecard: back, skip, help, cancel, or a score typed as a number or a label.

Scorecards are answered with buttons on one message updated in place. When an owner opens one, a small
conversation state remembers it in that conversation (never over another open conversation, such as a
half-written proposal), so the words every question understands work here too:
back = the previous area, skip = leave this area for later, help = the area's key question and what a
low score looks like, cancel = stop for now (every answer is kept). Anything else (a command, say) leaves
the scorecard and is handled as usual. Clicks do not touch this state (the click path stays lean): the
area on screen is worked out from the answers, or taken from the last typed or clicked navigation when no
answer came since.
"""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.scorecards import answers as flow
from conversations.scorecards import views
from conversations.scorecards.attached import FLOW, mark
from conversations.scorecards.views import SHORT, item_name, next_unanswered
from vocabulary.messages import Message, Text
from vocabulary.rules import scoring
from conversations.steps import looks_numeric
from storage.repo import instruments as repo
from storage.repo import use_cases
from vocabulary.states import FlowStatus

BACK, SKIP, HELP = {"back", "previous"}, {"skip", "next", "later"}, {"help", "?"}
STOP = {"cancel", "stop", "quit", "pause", "done"}


class ScorecardWords:
    name = FLOW

    async def start(self, ctx: Ctx, data: dict) -> None:
        ctx.state.step = "open"

    async def on_choice(self, ctx: Ctx, choice: str) -> None:
        ctx.whisper("Please use the buttons on the scorecard itself.")

    async def on_form(self, ctx: Ctx, values: dict) -> None:
        ctx.whisper("Please use the buttons on the scorecard itself.")

    async def on_text(self, ctx: Ctx, text: str) -> None:
        word = text.strip().lower().strip(".!")
        head = word.split(" ", 1)[0].strip("/!")
        if head in ctx.engine.commands and word not in HELP | BACK:  # "back" is a step back here, not the end of an absence
            return await self._elsewhere(ctx, text)
        try:
            t = await flow._target(ctx, {"sc": await self._attempt(ctx)})
        except Refusal:
            return await self._elsewhere(ctx, text)
        sc = await repo.get(ctx.session, t.scorecard_id)
        keys = scoring.item_keys(ctx.policy, t.instrument)
        rows = {k: a for k, a in (await repo.answers(ctx.session, sc.id)).items() if k in keys}
        current = self._current(ctx, sc, keys, rows)
        if word in STOP:
            return await self._stop(ctx, t, len(rows))
        if word in HELP:
            return await self._help(ctx, t, current)
        if word in BACK:
            if current == keys[0]:
                ctx.say("This is the first area, so there is nothing to go back to.")
                return
            return await self._show(ctx, t, sc, keys[-1] if current is None else keys[keys.index(current) - 1])
        if word in SKIP:
            if current is None:
                ctx.say("Every area has an answer already. Click Review answers to change one.")
                return
            nxt = next((k for k in keys[keys.index(current) + 1:] + keys[:keys.index(current)] if k not in rows), None)
            if nxt is None:
                ctx.say("This is the only area left, so it cannot be skipped; click a score to finish.")
                return
            ctx.say("Skipped for now; that area still needs an answer before the scorecard is complete.")
            return await self._show(ctx, t, sc, nxt)
        value = self._typed_value(ctx, t.instrument, word) if current is not None else None
        if value is not None:
            shown = await flow.save(ctx, t, current, value)
            nxt = next_unanswered(keys, {*rows, current}, after=current)
            ctx.state.data = {"sc": sc.id, **mark(await repo.get(ctx.session, sc.id), nxt)}
            if ctx.state.prompt_ref:
                ctx.replace(ctx.state.prompt_ref, shown)
            else:
                ctx.say(shown, track=True)
            return
        if current is None:  # a finished scorecard: nothing more to say about it here
            return await self._elsewhere(ctx, text)
        if looks_numeric(word):
            ctx.say(self._range_text(ctx, t.instrument, current, word))
            return
        ctx.say(f"I did not understand that. Click a score on UC-{t.use_case_id}'s scorecard, or type back, skip, "
                "help or cancel (every answer so far is kept).")

    async def _attempt(self, ctx: Ctx) -> int:
        """The scorecard this conversation is on, moved on to the newest attempt if a new one was started."""
        sc_id = int(ctx.state.data.get("sc", 0))
        t = await repo.for_click(ctx.session, sc_id)
        if t is not None and t.status == repo.SUPERSEDED:
            newest = await repo.latest(ctx.session, t.use_case_id, t.instrument)
            if newest is not None:
                ctx.state.data = {"sc": newest.id}
                return newest.id
        return sc_id

    def _current(self, ctx: Ctx, sc, keys: list[str], rows: dict) -> str | None:
        """The area the scorecard's message shows now (None: the summary)."""
        d = ctx.state.data
        if d.get("k") in keys and mark(sc, d["k"]) == {k: d.get(k) for k in ("k", "n", "last")}:
            return d["k"]
        if len(rows) == len(keys):
            return None
        if not rows:
            return keys[0]
        last = max(rows.values(), key=lambda a: (a.answered_at, keys.index(a.item_key)))
        return next_unanswered(keys, set(rows), after=last.item_key)

    def _typed_value(self, ctx: Ctx, instrument: str, word: str) -> int | None:
        options = scoring.scale(ctx.policy, instrument)
        if word.isdigit() and not scoring.is_checklist(instrument):  # a score is its own value, never an index
            return int(word) if any(v == int(word) for v, _ in options) else None
        if word.isdigit() and 1 <= int(word) <= len(options):
            return options[int(word) - 1][0]
        return next((v for v, label in options if label.lower() == word), None)

    def _range_text(self, ctx: Ctx, instrument: str, key: str, word: str) -> str:
        """A typed number that is not a valid answer: name the valid range (nothing was saved)."""
        name = item_name(ctx.policy, instrument, key)
        options = scoring.scale(ctx.policy, instrument)
        if scoring.is_checklist(instrument):
            choices = " or ".join(f"{i} ({label})" for i, (_, label) in enumerate(options, 1))
            return f"“{word}” is not an answer for {name}: please pick {choices}. Nothing was saved."
        inst = scoring.instrument(ctx.policy, instrument)
        lo, hi = inst.scale_min, inst.scale_max
        return (f"“{word}” is not a score for {name}: please pick a whole number from {lo} to {hi} "
                f"({lo} {inst.scale_labels.get(lo, '')} … {hi} {inst.scale_labels.get(hi, '')}). Nothing was saved. "
                "Type help for what each score means.")

    async def _show(self, ctx: Ctx, t, sc, key: str) -> None:
        uc = await use_cases.get(ctx.session, t.use_case_id)
        view = await flow.current_view(ctx, uc, sc.id, item_key=key)
        ctx.state.data = {"sc": sc.id, **mark(sc, key)}
        if ctx.state.prompt_ref:
            ctx.replace(ctx.state.prompt_ref, view)
        else:
            ctx.say(view, track=True, thread_of=f"use_case:{uc.id}")

    async def _help(self, ctx: Ctx, t, current: str | None) -> None:
        if current is None:
            ctx.say(f"Every area of UC-{t.use_case_id}'s {SHORT[t.instrument].lower()} is answered. Click Review "
                    "answers to change one, or type cancel to close it.")
            return
        inst = scoring.instrument(ctx.policy, t.instrument)
        item = next(it for it in inst.items if it.key == current)
        checklist = scoring.is_checklist(t.instrument)
        low = (f" {'Not ready' if checklist else 'A low score'} looks like: {item.low_looks_like}"
               if item.low_looks_like else "")
        scale = " or ".join(label for _, label in scoring.scale(ctx.policy, t.instrument)) if checklist else \
            f"a score from {inst.scale_min} ({inst.scale_labels.get(inst.scale_min, '')}) to {inst.scale_max} " \
            f"({inst.scale_labels.get(inst.scale_max, '')})".replace(" ()", "")
        ctx.say(Message([Text([f"{item.name}: {item.question}{low}\n"
                               f"Click {scale}, or type back for the previous area, skip to come back to this one "
                               "later, or cancel to stop for now (every answer is kept)."])]))

    async def _stop(self, ctx: Ctx, t, answered: int) -> None:
        ctx.state.status = FlowStatus.DONE
        if t.status == repo.COMPLETE:
            ctx.say(f"Closed. UC-{t.use_case_id}'s {views.SHORT[t.instrument].lower()} is complete; its summary "
                    "stays in the thread.")
            return
        paused = views.paused(ctx.policy, instrument_key=t.instrument, sc_id=t.scorecard_id, uc_id=t.use_case_id,
                              answered=answered)
        if ctx.state.prompt_ref:
            ctx.replace(ctx.state.prompt_ref, paused)
        else:
            ctx.say(paused)

    async def _elsewhere(self, ctx: Ctx, text: str) -> None:
        """Not a scorecard word: leave the scorecard (its buttons still work) and handle the text as usual."""
        ctx.state.status = FlowStatus.DONE
        await ctx.engine.run_command(ctx, text)


def register(engine: Engine) -> None:
    engine.add_flow(ScorecardWords())
