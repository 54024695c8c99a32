"""Scorecards and checklists in chat: pilot selection, readiness, rollout and vendor checklists.

One message per scorecard, posted in the use case's thread and updated in place on every click:
the current area, its key question, what a low score looks like, the scale as buttons, and Back /
Review answers / Pause. One shared answer set per use case, instrument and attempt: either owner
continues where the other stopped. Payloads carry ids only; every click re-reads the scorecard and
its use case and re-checks that the clicker is an owner.
"""
from __future__ import annotations

from conversations import access
from conversations.access import visible_use_case
from conversations.payload import BAD_BUTTON, read_int, read_str
from conversations.stages import readiness_drops
from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.scorecards import attached
from conversations.scorecards import views
from conversations.stages.gate_facts import next_gate_check
from vocabulary.labels import parse_uc_id
from vocabulary.messages import Button, Buttons, Form, FormField, Message, Text
from vocabulary.rules import scoring
from vocabulary.rules.gates import INSTRUMENT_FOR
from storage.repo import instruments as repo
from storage.repo import people, use_cases
from storage.tables import UseCase
from vocabulary.states import CLOSED_USE_CASE

ALIASES = {
    "pilot": scoring.PILOT_SELECTION, "selection": scoring.PILOT_SELECTION, "pilot_selection": scoring.PILOT_SELECTION,
    "readiness": scoring.READINESS, "ready": scoring.READINESS, "scorecard": scoring.READINESS,
    "rollout": scoring.ROLLOUT_CHECKLIST, "checklist": scoring.ROLLOUT_CHECKLIST,
    "rollout_checklist": scoring.ROLLOUT_CHECKLIST,
    "vendor": scoring.VENDOR_CHECKLIST, "vendor_checklist": scoring.VENDOR_CHECKLIST,
}
REVIEW_FORM = "scorecard.review_note"
NOTE_MIN, NOTE_MAX = 5, 1000
def only_owners(uc_id: int) -> str:
    return f"Only the business owner or delivery owner of UC-{uc_id} can answer its scorecard."


def parse_args(args: str) -> tuple[int | None, str | None, bool]:
    """`UC-4 readiness` in any order -> (use case id, instrument key, understood everything)."""
    uc_id, inst, ok = None, None, True
    for word in args.replace(",", " ").split():
        if uc_id is None and parse_uc_id(word) is not None:
            uc_id = parse_uc_id(word)
        elif word.lower() in ALIASES and inst is None:
            inst = ALIASES[word.lower()]
        else:
            ok = False
    return uc_id, inst, ok


def _check_owner_and_open(ctx: Ctx, uc_id: int, owner_ids: tuple, uc_status: str) -> None:
    if ctx.person.id not in owner_ids:
        raise Refusal(only_owners(uc_id))
    if uc_status in CLOSED_USE_CASE:
        raise Refusal(f"UC-{uc_id} is {uc_status}, so its scorecards are closed.")


async def default_instrument(ctx: Ctx, uc: UseCase) -> str | None:
    """The instrument the next gate still needs, or None when the gate needs none."""
    gate, check = await next_gate_check(ctx.session, ctx.policy, uc)
    if gate is None:
        return None
    for m in check.missing:
        if m.key in INSTRUMENT_FOR:
            return INSTRUMENT_FOR[m.key]
    return None


# -- start / resume ------------------------------------------------------------------
async def start(ctx: Ctx, uc_id: int, instrument: str | None) -> None:
    uc = await visible_use_case(ctx, uc_id)
    _check_owner_and_open(ctx, uc.id, (uc.business_owner_id, uc.delivery_owner_id), uc.status)
    if instrument is None:
        instrument = await default_instrument(ctx, uc)
        if instrument is None:
            ctx.say(views.chooser(ctx.policy, uc.id, uc.vendor_involved,
                                  f"UC-{uc.id}'s next gate needs no more scoring. Which one would you like to open?"),
                    thread_of=f"use_case:{uc.id}")
            return
    if instrument == scoring.VENDOR_CHECKLIST and not uc.vendor_involved:
        raise Refusal(f"UC-{uc.id} has no vendor involved, so the vendor checklist does not apply.")
    sc = await repo.latest(ctx.session, uc.id, instrument)
    if sc is None:
        sc = await repo.start(ctx.session, use_case_id=uc.id, instrument=instrument, attempt=1,
                              started_by_id=ctx.person.id, at=ctx.now)
        await ctx.audit("scorecard.started", entity="scorecard", entity_id=sc.id, use_case_id=uc.id,
                        data={"instrument": instrument, "attempt": 1})
    # Typed back / skip / help / cancel then reach this scorecard (unless another conversation is open here).
    tracked = await attached.attach(ctx, sc.id)
    ctx.say(await current_view(ctx, uc, sc.id), thread_of=f"use_case:{uc.id}", track=tracked)


async def current_view(ctx: Ctx, uc: UseCase, sc_id: int, item_key: str | None = None, note: str = "") -> Message:
    """The summary of a complete scorecard, else the requested (or first unanswered) item."""
    sc = await repo.get(ctx.session, sc_id)
    if sc.status == repo.COMPLETE and item_key is None:
        return await summary_view(ctx, uc, sc.id, note=note)
    keys = scoring.item_keys(ctx.policy, sc.instrument)
    answered = await repo.answers(ctx.session, sc.id)
    known = {k: a for k, a in answered.items() if k in keys}
    key = item_key or views.next_unanswered(keys, set(known)) or keys[0]
    current = known.get(key)
    by = ""
    if current is not None and current.answered_by_id:
        who = await people.get(ctx.session, current.answered_by_id)
        by = (who.display_name or who.email or "") if who else ""
    return views.question(ctx.policy, instrument_key=sc.instrument, sc_id=sc.id, uc_id=uc.id, title=uc.title,
                          item_key=key, answered=len(known), current=current.value if current else None,
                          current_by=by, note=note)


async def summary_view(ctx: Ctx, uc: UseCase, sc_id: int, note: str = "") -> Message:
    sc = await repo.get(ctx.session, sc_id)
    rows = await repo.answers(ctx.session, sc.id)
    values = {k: a.value for k, a in rows.items() if scoring.valid_value(ctx.policy, sc.instrument, a.value)
              and k in scoring.item_keys(ctx.policy, sc.instrument)}
    reviewers = await people.get_many(ctx.session, [a.reviewed_by_id for a in rows.values() if a.reviewed_by_id])
    reviewed = {}
    for k, a in rows.items():
        if a.reviewed_at is not None:
            p = reviewers.get(a.reviewed_by_id)
            reviewed[k] = ((p.display_name or p.email or "someone") if p else "someone", a.review_note)
    return views.summary(ctx.policy, instrument_key=sc.instrument, sc_id=sc.id, uc_id=uc.id, title=uc.title,
                         attempt=sc.attempt, values=values, reviewed=reviewed, completed_at=sc.completed_at,
                         note=note)


async def _target(ctx: Ctx, payload: dict) -> repo.ClickTarget:
    """Re-read the clicked scorecard with its owners and check the clicker may answer it."""
    t = await repo.for_click(ctx.session, read_int(payload, "sc"))
    if t is None:
        raise Refusal("That scorecard no longer exists, so nothing was changed.")
    _check_owner_and_open(ctx, t.use_case_id, (t.business_owner_id, t.delivery_owner_id), t.use_case_status)
    if t.status == repo.SUPERSEDED:
        raise Refusal(f"That scorecard was replaced by a newer attempt. Type: score UC-{t.use_case_id} "
                      f"{views.command_word(t.instrument)}")
    return t


# -- the click ----------------------------------------------------------------------------
async def answer(ctx: Ctx, payload: dict) -> None:
    """Save one answer and show the next unanswered item, in place.

    This is the hottest path of the product, so it stays lean on purpose: one joined read of the
    scorecard and its owners (row-locked on Postgres so concurrent clicks keep the counters exact), one
    small SELECT of the answered keys (all the next-question choice needs), one UPSERT of the answer,
    one UPDATE of the scorecard's counters and one audit entry. No answer rows are loaded unless this
    click completes the scorecard (then the summary needs them).
    """
    t = await _target(ctx, payload)
    key, value = read_str(payload, "k"), payload.get("v")
    keys = scoring.item_keys(ctx.policy, t.instrument)
    if key not in keys or not scoring.valid_value(ctx.policy, t.instrument, value):
        raise Refusal(BAD_BUTTON)
    ctx.replace_source(await save(ctx, t, key, value))


async def save(ctx: Ctx, t: repo.ClickTarget, key: str, value: int) -> Message:
    """Save one checked answer; return what the scorecard's message shows next (next area, or the summary)."""
    keys = scoring.item_keys(ctx.policy, t.instrument)
    answered = await repo.answered_keys(ctx.session, t.scorecard_id) & set(keys)
    changed = key in answered
    answered.add(key)
    complete = len(answered) == len(keys)
    newly_complete = complete and t.status != repo.COMPLETE
    before = None
    if complete and t.instrument == scoring.READINESS:  # a re-score: compared with what it replaces
        before = await readiness_drops.before_values(ctx, t.scorecard_id, t.use_case_id, t.attempt,
                                                     t.status == repo.COMPLETE)
    await repo.save_answer(ctx.session, scorecard_id=t.scorecard_id, item_key=key, value=value,
                           person_id=ctx.person.id, at=ctx.now)
    await repo.set_progress(ctx.session, t.scorecard_id, answered=len(answered), at=ctx.now,
                            status=repo.COMPLETE if complete else repo.IN_PROGRESS,
                            completed_at=ctx.now if newly_complete else None)
    await ctx.audit("scorecard.answered", entity="scorecard", entity_id=t.scorecard_id, use_case_id=t.use_case_id,
                    data={"instrument": t.instrument, "attempt": t.attempt, "item": key, "value": value,
                          "changed": changed})
    if complete:
        uc = await use_cases.get(ctx.session, t.use_case_id)
        if newly_complete:
            await _audit_completed(ctx, t)
        note = ""
        if t.instrument == scoring.READINESS:
            note = await readiness_drops.after_rescore(ctx, uc, t.scorecard_id, before)
            await readiness_drops.refresh_reviews(ctx, uc)
        return await summary_view(ctx, uc, t.scorecard_id, note=note)
    nxt = views.next_unanswered(keys, answered, after=key)
    return views.question(ctx.policy, instrument_key=t.instrument, sc_id=t.scorecard_id, uc_id=t.use_case_id,
                          title=t.title, item_key=nxt, answered=len(answered))


async def _audit_completed(ctx: Ctx, t: repo.ClickTarget) -> None:
    values = (await repo.values_for(ctx.session, [t.scorecard_id]))[t.scorecard_id]
    r = scoring.result(ctx.policy, t.instrument, values)
    data: dict = {"instrument": t.instrument, "attempt": t.attempt}
    if t.instrument == scoring.READINESS:
        data |= {"total": r.total, "band": r.band.key, "hard_gate_failures": r.hard_gate_failures,
                 "needs_review": r.needs_review}
    elif t.instrument == scoring.PILOT_SELECTION:
        data |= {"total": r.total, "strong": r.strong}
    else:
        data |= {"ready": r.ready, "not_ready": r.not_ready}
    await ctx.audit("scorecard.completed", entity="scorecard", entity_id=t.scorecard_id, use_case_id=t.use_case_id,
                    data=data)


# -- navigation ------------------------------------------------------------------------------
async def show(ctx: Ctx, payload: dict) -> None:
    t = await _target(ctx, payload)
    key = payload.get("k")
    if key is not None and key not in scoring.item_keys(ctx.policy, t.instrument):
        raise Refusal(BAD_BUTTON)
    uc = await use_cases.get(ctx.session, t.use_case_id)
    ctx.replace_source(await current_view(ctx, uc, t.scorecard_id, item_key=key))
    if key is not None:
        await attached.note_area(ctx, t.scorecard_id, key)


async def review(ctx: Ctx, payload: dict) -> None:
    t = await _target(ctx, payload)
    keys = scoring.item_keys(ctx.policy, t.instrument)
    values = {k: v for k, v in (await repo.values_for(ctx.session, [t.scorecard_id]))[t.scorecard_id].items()
              if k in keys}
    ctx.replace_source(views.answers_list(ctx.policy, instrument_key=t.instrument, sc_id=t.scorecard_id,
                                          uc_id=t.use_case_id, title=t.title, values=values,
                                          complete=t.status == repo.COMPLETE))


async def pause(ctx: Ctx, payload: dict) -> None:
    t = await _target(ctx, payload)
    if t.status == repo.COMPLETE:
        uc = await use_cases.get(ctx.session, t.use_case_id)
        ctx.replace_source(await summary_view(ctx, uc, t.scorecard_id))
        return
    ctx.replace_source(views.paused(ctx.policy, instrument_key=t.instrument, sc_id=t.scorecard_id,
                                    uc_id=t.use_case_id, answered=t.answered))


async def show_summary(ctx: Ctx, payload: dict) -> None:
    """Anyone who may see the use case may read a finished scorecard (reviewers and leaders included)."""
    sc = await repo.get(ctx.session, read_int(payload, "sc"))
    if sc is None:
        raise Refusal("That scorecard no longer exists.")
    uc = await visible_use_case(ctx, sc.use_case_id)
    if sc.status != repo.COMPLETE:
        if not access.is_owner(ctx.person, uc):
            raise Refusal(f"UC-{uc.id}'s {views.SHORT[sc.instrument].lower()} is not complete yet.")
        ctx.replace_source(await current_view(ctx, uc, sc.id))
        return
    ctx.replace_source(await summary_view(ctx, uc, sc.id))


async def again(ctx: Ctx, payload: dict) -> None:
    """A new attempt: the old answers stay on record; the next gate looks at the new ones."""
    t = await _target(ctx, payload)
    if t.status != repo.COMPLETE:
        raise Refusal("This scorecard is still being answered; finish it (or change answers) before starting again.")
    await repo.supersede(ctx.session, t.scorecard_id)
    sc = await repo.start(ctx.session, use_case_id=t.use_case_id, instrument=t.instrument, attempt=t.attempt + 1,
                          started_by_id=ctx.person.id, at=ctx.now)
    await ctx.audit("scorecard.started", entity="scorecard", entity_id=sc.id, use_case_id=t.use_case_id,
                    data={"instrument": t.instrument, "attempt": sc.attempt, "replaces": t.scorecard_id})
    uc = await use_cases.get(ctx.session, t.use_case_id)
    ctx.replace_source(await current_view(ctx, uc, sc.id, note=f"Attempt {sc.attempt}: starting from the first "
                                                              "area. The earlier answers stay on record."))


# -- explicit reviews of areas scored 1 -------------------------------------------------------
async def _reviewable(ctx: Ctx, payload: dict) -> tuple[UseCase, int, str]:
    sc = await repo.get(ctx.session, read_int(payload, "sc"))
    key = read_str(payload, "k")
    if sc is None or sc.instrument != scoring.READINESS or key not in scoring.item_keys(ctx.policy, sc.instrument):
        raise Refusal(BAD_BUTTON)
    uc = await use_cases.get(ctx.session, sc.use_case_id)
    a = ctx.inbound.actor
    email = None if (a.guest or not a.email_verified) else ctx.person.email
    if not access.may_record_review(ctx.policy, ctx.person, uc, email):
        raise Refusal(f"Only the owners or sponsor of UC-{uc.id}, or members of the leadership or risk groups, "
                      "can record the review of an area.")
    if sc.status == repo.SUPERSEDED:
        raise Refusal("That scorecard was replaced by a newer attempt, so there is nothing to review on it.")
    ans = await repo.answer(ctx.session, sc.id, key)
    if ans is None or ans.value > ctx.policy.readiness.explicit_review_at:
        raise Refusal("That area is no longer scored at the level that needs an explicit review.")
    return uc, sc.id, key


def review_form(policy, sc_id: int, key: str, errors: dict | None = None) -> Form:
    name = views.item_name(policy, scoring.READINESS, key)
    return Form(form_id=REVIEW_FORM, title="Record a review", submit_label="Record",
                intro=f"{name} was scored {policy.readiness.explicit_review_at}. Note briefly what was looked at "
                      "and what was decided.",
                fields=[FormField("note", "Review note", type="multiline", max_length=NOTE_MAX,
                                  placeholder="For example: gap accepted for the pilot; access review booked")],
                payload={"sc": sc_id, "k": key}, errors=errors or {})


async def record_review(ctx: Ctx, payload: dict) -> None:
    _uc, sc_id, key = await _reviewable(ctx, payload)
    ctx.open_form(review_form(ctx.policy, sc_id, key))


async def review_note(ctx: Ctx, values: dict) -> None:
    uc, sc_id, key = await _reviewable(ctx, ctx.inbound.payload if isinstance(ctx.inbound.payload, dict) else {})
    raw = values.get("note") if isinstance(values, dict) else None
    note = raw.strip() if isinstance(raw, str) else ""
    if not NOTE_MIN <= len(note) <= NOTE_MAX:
        err = "Please write a short note (a few words at least)." if len(note) < NOTE_MIN else \
            f"Please keep the note under {NOTE_MAX} characters."
        ctx.form_errors(review_form(ctx.policy, sc_id, key), {"note": err})
        return
    await repo.record_review(ctx.session, scorecard_id=sc_id, item_key=key, person_id=ctx.person.id, at=ctx.now,
                             note=note)
    await ctx.audit("scorecard.area_reviewed", entity="scorecard", entity_id=sc_id, use_case_id=uc.id,
                    data={"item": key, "note": note})
    name = views.item_name(ctx.policy, scoring.READINESS, key)
    ctx.say(Message([Text([f"Review recorded for {name} on UC-{uc.id}."]),
                     Buttons([Button("See the summary", "scorecard.summary", {"sc": sc_id}),
                              Button("Status", "status.show", {"uc": uc.id})])]),
            thread_of=f"use_case:{uc.id}")


# -- registration ----------------------------------------------------------------------------
def register(engine: Engine) -> None:
    @engine.command("score", help="score UC-4 [pilot|readiness|rollout|vendor] answers a scorecard")
    async def score_command(ctx: Ctx, args: str) -> None:
        uc_id, inst, ok = parse_args(args)
        if uc_id is None or not ok:
            ctx.say("Tell me which use case and, if you like, which scorecard: for example “score UC-4 readiness” "
                    "(pilot, readiness, rollout or vendor). Without one I open what the next gate needs.")
            return
        await start(ctx, uc_id, inst)

    @engine.action("scorecard.start")
    async def start_button(ctx: Ctx, payload: dict) -> None:
        inst = payload.get("i")
        if inst is not None and inst not in scoring.INSTRUMENTS:
            raise Refusal(BAD_BUTTON)
        await start(ctx, read_int(payload, "uc"), inst)

    engine.action("scorecard.answer")(answer)
    engine.action("scorecard.show")(show)
    engine.action("scorecard.review")(review)
    engine.action("scorecard.pause")(pause)
    engine.action("scorecard.summary")(show_summary)
    engine.action("scorecard.again")(again)
    engine.action("scorecard.record_review")(record_review)
    engine.form(REVIEW_FORM)(review_note)
