"""Recording KPI values: one typed reply to a cadence prompt, or the prompt's small form; skips; flags.

A cadence prompt (notifications/kpi_prompts.py) opens a tiny flow in the owner's direct conversation, so
their next message is read as the value (on every platform); the prompt's "Record the value" button opens a
one-field form that does the same where no conversation is known, and "Skip this time" moves the due date on.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.context import Ctx, Refusal
from vocabulary.messages import Button, Buttons, Context, Form, FormField, Message, Text
from vocabulary.policy import Policy
from vocabulary.rules import kpis as rules
from vocabulary.text import day
from conversations.steps import Invalid, parse_number
from storage.repo import outbox_enqueue as notify
from storage import audit
from storage.repo import kpis as repo
from storage.repo import states, use_cases
from storage.tables import ConversationState, Kpi, UseCase
from conversations.kpis.views import value_question
from vocabulary.states import FlowStatus

FLOW = "kpi_value"
FORM = "kpi.value"
CANCEL = {"cancel", "stop", "quit", "later", "not now"}


def cadence_days(policy: Policy, kpi: Kpi) -> int:
    return policy.kpis.cadence_days.get(kpi.cadence, 30)


def reporters(uc: UseCase, kpi: Kpi) -> set[int]:
    """Who may record a value: the KPI's owner and the use case's business and delivery owners."""
    return {p for p in (kpi.owner_id, uc.business_owner_id, uc.delivery_owner_id) if p}


async def active_kpi(ctx: Ctx, kpi_id, gone: str) -> Kpi:
    """The tracked KPI a button or form names; `gone` is the refusal when it no longer is."""
    try:
        kpi = await repo.get(ctx.session, int(kpi_id))
    except (TypeError, ValueError):
        kpi = None
    if kpi is None or not kpi.active:
        raise Refusal(gone)
    return kpi


async def load(ctx: Ctx, kpi_id) -> tuple[Kpi, UseCase]:
    kpi = await active_kpi(ctx, kpi_id, "That KPI no longer exists, so there is nothing to record.")
    uc = await use_cases.get(ctx.session, kpi.use_case_id)
    if ctx.person.id not in reporters(uc, kpi):
        raise Refusal(f"Only the owner of “{kpi.name}” or the owners of UC-{uc.id} can report its value.")
    return kpi, uc


def read_value(kpi: Kpi, raw) -> float:
    t = str(raw if raw is not None else "").strip()
    if kpi.unit and t.lower().endswith(kpi.unit.lower()) and len(t) > len(kpi.unit):
        t = t[: -len(kpi.unit)].strip()
    if not t:
        raise Invalid("I need a number here, for example 42 or 3.5.")
    return parse_number(t, None, None)


async def record(ctx: Ctx, kpi: Kpi, uc: UseCase, value: float) -> Message:
    """Store one value: advance the due date, note time-to-value, flag or clear; returns the confirmation."""
    days = cadence_days(ctx.policy, kpi)
    due = kpi.next_due_at or rules.first_due(kpi.created_at, days)
    next_due = rules.next_slot_after(due, days, ctx.now)
    was_flagged, was_reason = kpi.flagged_at is not None, kpi.flag_reason
    await repo.record_value(ctx.session, kpi_id=kpi.id, value=value, at=ctx.now, by_person_id=ctx.person.id,
                            next_due_at=next_due)
    await ctx.session.refresh(kpi)
    values = (await repo.recent_values(ctx.session, [kpi.id]))[kpi.id]
    st = rules.standing(kpi.baseline, kpi.target, kpi.direction, values)
    await ctx.audit("kpi.value_recorded", entity="kpi", entity_id=kpi.id, use_case_id=uc.id,
                    data={"kpi": kpi.name, "value": value, "at_target": st.at_target, "trend": st.trend,
                          "next_due_at": next_due.isoformat()})
    lines = [f"Recorded {rules.fmt_number(value, kpi.unit)} for “{kpi.name}” (UC-{uc.id}): "
             f"target {rules.fmt_number(kpi.target, kpi.unit)}, trend {st.trend}."]
    if st.at_target and uc.value_reached_at is None:
        await use_cases.update_fields(ctx.session, uc.id, bump_version=False, value_reached_at=ctx.now)
        ttv = rules.time_to_value_days(uc.created_at, ctx.now)
        await ctx.audit("use_case.value_reached", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                        data={"kpi": kpi.name, "value": value, "days_from_idea": ttv})
        lines.append(f"That is the first KPI of UC-{uc.id} at its target: {ttv} days from idea to value.")
    elif st.at_target:
        lines.append("It is at target.")
    if st.moving_away:
        if was_flagged and was_reason != rules.MOVING_AWAY:
            await repo.clear_flag(ctx.session, kpi.id)  # a different problem now: a new flag episode
        told = await raise_flag(ctx.session, policy=ctx.policy, platforms=ctx.platforms, kpi=kpi, uc=uc,
                                reason=rules.MOVING_AWAY, now=ctx.now, actor_id=ctx.person.id,
                                actor_label=ctx.person.email or ctx.person.display_name, platform=ctx.platform)
        ctx.outbox_written = ctx.outbox_written or told
        lines.append("It is moving away from its target, so I have flagged it to the owners."
                     if told else "It is still moving away from its target (already flagged to the owners).")
    elif was_flagged and await repo.clear_flag(ctx.session, kpi.id):
        await ctx.audit("kpi.flag_cleared", entity="kpi", entity_id=kpi.id, use_case_id=uc.id,
                        data={"kpi": kpi.name, "was": was_reason})
        lines.append("Its earlier flag is cleared.")
    lines.append(f"Next value due {day(next_due)}.")
    return Message([Text([" ".join(lines)])], fallback=lines[0])


async def raise_flag(session: AsyncSession, *, policy: Policy, platforms: set[str], kpi: Kpi, uc: UseCase,
                     reason: str, now: datetime, actor_id: int | None = None, actor_label: str = "aiom",
                     platform: str = "") -> bool:
    """Start a flag episode and tell the owners once; False when the KPI was already flagged."""
    if not await repo.set_flag(session, kpi.id, at=now, reason=reason):
        return False
    await audit.append(session, action="kpi.flagged", actor_id=actor_id, actor_label=actor_label, platform=platform,
                       entity="kpi", entity_id=kpi.id, use_case_id=uc.id, at=now,
                       data={"kpi": kpi.name, "reason": reason, "last_value": kpi.last_value})
    message = flag_message(policy, kpi, uc, reason)
    for pid in sorted(reporters(uc, kpi)):
        await notify.to_person(session, person_id=pid, message=message, platforms=platforms, use_case_id=uc.id,
                               key=f"kpi:{kpi.id}:flag:{now.isoformat()}:{pid}", subject=f"kpi:{kpi.id}", now=now)
    return True


def flag_message(policy: Policy, kpi: Kpi, uc: UseCase, reason: str) -> Message:
    fmt = rules.fmt_number
    if reason == rules.NOT_REPORTED:
        n = policy.kpis.missed_cadences_flag
        since = f"since {day(kpi.last_value_at)}" if kpi.last_value_at else "since it was defined"
        what = (f"“{kpi.name}” of UC-{uc.id} has had no value for {n} {kpi.cadence.replace('_', ' ')} cadences "
                f"({since}). Without fresh numbers nobody can tell whether it is working.")
    else:
        what = (f"“{kpi.name}” of UC-{uc.id} is moving away from its target: latest "
                f"{fmt(kpi.last_value, kpi.unit)}, baseline {fmt(kpi.baseline, kpi.unit)}, target "
                f"{fmt(kpi.target, kpi.unit)}.")
    return Message([Text([f"KPI flagged: {what}"]),
                    Context(f"UC-{uc.id}: {uc.title}"[:200]),
                    Buttons([Button("Record the value", "kpi.record", {"k": kpi.id}, style="primary"),
                             Button("See the KPIs", "kpi.list", {"uc": uc.id})])],
                   fallback=f"KPI flagged: {kpi.name} (UC-{uc.id})")


async def skip(ctx: Ctx, kpi: Kpi, uc: UseCase) -> str:
    days = cadence_days(ctx.policy, kpi)
    if kpi.next_due_at is None or kpi.next_due_at > ctx.now:
        return f"Nothing is due for “{kpi.name}” right now, so there is nothing to skip."
    nxt = rules.next_slot_after(kpi.next_due_at, days, ctx.now)
    if await repo.move_due(ctx.session, kpi.id, expected=kpi.next_due_at, next_due_at=nxt):
        await ctx.audit("kpi.skipped", entity="kpi", entity_id=kpi.id, use_case_id=uc.id,
                        data={"kpi": kpi.name, "next_due_at": nxt.isoformat()})
    return f"Skipped “{kpi.name}” this time. I will ask again on {day(nxt)}."


def value_form(kpi: Kpi, uc: UseCase) -> Form:
    fmt = rules.fmt_number
    return Form(form_id=FORM, title="Record a KPI value", submit_label="Record",
                intro=f"UC-{uc.id} · {kpi.name}: last {fmt(kpi.last_value, kpi.unit)}, target "
                      f"{fmt(kpi.target, kpi.unit)}."[:300],
                fields=[FormField("value", f"Current value{f' ({kpi.unit})' if kpi.unit else ''}", type="number",
                                  placeholder="for example 42")],
                payload={"k": kpi.id})


class KpiValueFlow:
    """Reads the owner's next message as the value of the first KPI still waiting, then asks for the next."""

    name = FLOW

    async def start(self, ctx: Ctx, data: dict) -> None:
        ctx.state.step = "value"
        await self._ask_next(ctx, await self._waiting(ctx))

    async def on_text(self, ctx: Ctx, text: str) -> None:
        word = text.strip().lower().strip(".!")
        waiting = await self._waiting(ctx)
        if not waiting:
            return await self._elsewhere(ctx, text)
        kpi, uc = waiting[0]
        if word in CANCEL:
            ctx.state.status = FlowStatus.DONE
            ctx.say("All right, no more KPI questions for now. The Record buttons on my message still work.")
            return
        if word == "skip":
            ctx.say(await skip(ctx, kpi, uc))
            return await self._ask_next(ctx, waiting[1:])
        try:
            value = read_value(kpi, text)
        except Invalid as e:
            head = text.strip().split(" ", 1)[0].lower().strip("/!")
            if head in ctx.engine.commands:
                return await self._elsewhere(ctx, text)
            ctx.say(Message([Text([f"{e} That answer would be the current value of “{kpi.name}” (UC-{uc.id})."]),
                             Context("Or type skip to leave this one out, or cancel to stop.")], expects="text"))
            return
        ctx.say(await record(ctx, kpi, uc, value))
        await self._ask_next(ctx, waiting[1:])

    async def on_choice(self, ctx: Ctx, choice: str) -> None:
        ctx.whisper("Please type the value as a number, or use the buttons on my message.")

    async def on_form(self, ctx: Ctx, values: dict) -> None:
        ctx.whisper("Please type the value as a number, or use the buttons on my message.")

    async def _waiting(self, ctx: Ctx) -> list[tuple[Kpi, UseCase]]:
        out = []
        for kpi_id in ctx.state.data.get("kpis", []):
            kpi = await repo.get(ctx.session, int(kpi_id))
            if kpi is None or not kpi.active or kpi.next_due_at is None or kpi.next_due_at > ctx.now:
                continue
            uc = await use_cases.get(ctx.session, kpi.use_case_id)
            if ctx.person.id in reporters(uc, kpi):
                out.append((kpi, uc))
        ctx.state.data = {**ctx.state.data, "kpis": [k.id for k, _ in out]}
        return out

    async def _ask_next(self, ctx: Ctx, rest: list[tuple[Kpi, UseCase]]) -> None:
        ctx.state.data = {**ctx.state.data, "kpis": [k.id for k, _ in rest]}
        if not rest:
            ctx.state.status = FlowStatus.DONE
            return
        kpi, uc = rest[0]
        ctx.say(value_question(uc.id, kpi))

    async def _elsewhere(self, ctx: Ctx, text: str) -> None:
        """Nothing is waiting (or the person typed a command): leave the flow and handle the text normally."""
        ctx.state.status = FlowStatus.DONE
        await ctx.engine.run_command(ctx, text)


async def queue_typed_reply(session: AsyncSession, *, platform: str, conversation_id: str, user_key: str,
                            person_id: int, kpi_ids: list[int], now: datetime) -> bool:
    """Make the person's next message in their direct conversation the value (a sweep calls this).

    Returns True when their next message will be read as the value of the first of `kpi_ids`; False when
    they are in the middle of another conversation with aiom (never interrupted) or of earlier KPI questions.
    """
    state = await states.find(session, platform, conversation_id, "", user_key)
    if state is not None and state.status == FlowStatus.ACTIVE:
        if state.flow != FLOW:
            return False
        queued = [int(k) for k in state.data.get("kpis", [])]
        state.data = {**state.data, "kpis": queued + [k for k in kpi_ids if k not in queued]}
        state.version += 1
        state.updated_at = now
        session.add(state)
        await session.flush()
        return not queued
    if state is None:
        state = ConversationState(platform=platform, conversation_id=conversation_id, thread_id="",
                                  user_key=user_key, person_id=person_id, flow=FLOW, created_at=now)
    else:
        state.version += 1
    state.flow, state.step, state.data, state.history = FLOW, "value", {"kpis": list(kpi_ids)}, []
    state.status, state.prompt_ref, state.nudged_at = FlowStatus.ACTIVE, None, None
    state.person_id, state.created_at, state.updated_at = person_id, now, now
    session.add(state)
    await session.flush()
    return True
