"""The buttons on every reminder: Snooze 1 day / 1 week, and carrying on or discarding an abandoned proposal.

A snooze holds the clicker's own reminders about that subject (a review, a condition, a scorecard, a pilot
in limbo, a proposal) until it ends; it changes nothing for anyone else, so anyone who can see the button may
use it. The sweeps read the snooze table before writing a reminder.
"""
from __future__ import annotations

import re
from datetime import timedelta

from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.stepflow import COACH
from storage.repo import reminders, states
from vocabulary.hours import describe
from vocabulary.states import FlowStatus

SUBJECT = re.compile(r"^(review|condition|scorecard|limbo|intake|kpi|incident):(\d{1,12})$")
DAYS = {1: "1 day", 7: "1 week"}
WHAT = {"review": "review #{}", "condition": "condition #{}", "scorecard": "scorecard #{}",
        "limbo": "the pilot UC-{}", "intake": "your unfinished proposal", "kpi": "KPI #{}", "incident": "incident #{}"}
BAD = "I could not read that button. Please use the buttons on the latest reminder."


def parse(payload: dict) -> tuple[str, str, int, int]:
    subject = payload.get("s")
    m = SUBJECT.match(subject) if isinstance(subject, str) else None
    try:
        days = int(payload.get("d"))
    except (TypeError, ValueError):
        days = 0
    if m is None or days not in DAYS:
        raise Refusal(BAD)
    return subject, m.group(1), int(m.group(2)), days


async def snooze(ctx: Ctx, payload: dict) -> None:
    subject, kind, ident, days = parse(payload)
    until = ctx.now + timedelta(days=days)
    await reminders.snooze(ctx.session, person_id=ctx.person.id, subject=subject, until=until)
    if kind == "intake":
        st = await states.get(ctx.session, ident)
        if st is not None and st.person_id == ctx.person.id and st.status == FlowStatus.ACTIVE:
            st.nudged_at = None  # one more nudge when the snooze ends
            ctx.session.add(st)
    await ctx.audit("reminder.snoozed", entity=kind, entity_id=ident,
                    use_case_id=ident if kind == "limbo" else None,
                    data={"subject": subject, "days": days, "until": until})
    when = describe(until, ctx.person.timezone, ctx.policy.reminders.working_hours)
    ctx.whisper(f"Snoozed for {DAYS[days]}: no reminders to you about {WHAT[kind].format(ident)} until {when} "
                "(your time). Others are still reminded.")


async def _own_intake(ctx: Ctx, payload: dict):
    try:
        state_id = int(payload.get("st"))
    except (TypeError, ValueError):
        raise Refusal(BAD) from None
    st = await states.get(ctx.session, state_id)
    if st is None or st.person_id != ctx.person.id or st.flow not in ctx.engine.flows:
        raise Refusal("That proposal is not one of yours, so I left it alone.")
    if st.status != FlowStatus.ACTIVE:
        raise Refusal("That proposal is already finished or discarded. Type “propose” to start a new one.")
    w = ctx.inbound.where
    if (st.platform, st.conversation_id, st.thread_id) != (w.platform, w.conversation_id, w.thread_id):
        raise Refusal("That proposal lives in another conversation with me; carry on there, where your answers "
                      "are.")
    ctx.state = st
    st.version += 1
    return st


async def resume(ctx: Ctx, payload: dict) -> None:
    st = await _own_intake(ctx, payload)
    flow = ctx.engine.flows[st.flow]
    step = st.step
    if step.startswith(COACH + ":"):
        step = step.split(":", 1)[1]
    if not step or not hasattr(flow, "ask"):
        raise Refusal("I could not find where you stopped; type “help” to see what I can do.")
    await flow.ask(ctx, step, note="Welcome back. Here is where you stopped:")


async def discard(ctx: Ctx, payload: dict) -> None:
    st = await _own_intake(ctx, payload)
    flow = ctx.engine.flows[st.flow]
    if hasattr(flow, "cancel"):
        await flow.cancel(ctx)
    else:
        st.status = FlowStatus.CANCELLED
        ctx.say("Discarded. Nothing was submitted.")
    await ctx.audit("intake.discarded", entity="conversation", entity_id=st.id, data={"step": st.step})


def register(engine: Engine) -> None:
    engine.action("remind.snooze")(snooze)
    engine.action("remind.resume")(resume)
    engine.action("remind.discard")(discard)
