"""Stage and status moves of a use case: advance through a gate, pause, resume, redirect, stop, withdraw.

Every move is recorded in `stage_change` (through `use_cases.record_stage_change`), audited, and told to the
people involved; open reviews are paused, resumed or cancelled with it and their cards updated in place.
Callers hold the use case row lock (`reviews.lock_use_case`).
"""
from __future__ import annotations

from datetime import timedelta

from conversations.context import Ctx
from vocabulary.labels import stage_label, uc_ref
from vocabulary.messages import Button, Buttons, Header, Message, Text
from vocabulary.text import day
from conversations.reviews import rules
from storage.repo import conditions, people, reviews, use_cases
from storage.tables import UseCase
from conversations.reviews import cards as review_cards
from vocabulary.states import GateStatus, UseCaseStatus

VERBS = {"pause": "paused", "resume": "resumed", "stop": "stopped", "withdraw": "withdrawn",
         "redirect": "redirected"}
STATUS_FOR = {"pause": UseCaseStatus.PAUSED, "resume": UseCaseStatus.ACTIVE, "stop": UseCaseStatus.STOPPED,
              "withdraw": UseCaseStatus.WITHDRAWN}


def involved(uc: UseCase) -> list[int]:
    """Proposer, owners and sponsor, each once."""
    return [p for p in dict.fromkeys([uc.proposer_id, uc.business_owner_id, uc.delivery_owner_id, uc.sponsor_id])
            if p is not None]


async def tell_involved(acting: Ctx, uc: UseCase, message: Message, tag: str, *, skip_actor: bool = True) -> None:
    for pid in involved(uc):
        if skip_actor and pid == acting.person_id:
            continue
        await acting.notify_person(pid, message, key=f"uc:{uc.id}:{tag}:{acting.last_seq}:{pid}", use_case_id=uc.id)


async def refresh_cards(acting: Ctx, review_ids: list[int]) -> None:
    for rid in review_ids:
        await review_cards.refresh(acting, rid)


async def advance(acting: Ctx, uc: UseCase, gate_id: int) -> None:
    """The gate passed: move to the next stage (a pilot gets its exit date)."""
    gate = await reviews.get_gate(acting.session, gate_id)
    values = {"stage": gate.to_stage, "stage_entered_at": acting.now}
    if gate.to_stage == "pilot":
        values["pilot_exit_date"] = rules.pilot_exit_date(acting.now, uc.target_timeline)
    await use_cases.update_fields(acting.session, uc.id, bump_version=False, **values)
    await use_cases.record_stage_change(acting.session, use_case_id=uc.id, from_stage=gate.from_stage,
                                        to_stage=gate.to_stage, kind="advance", by_person_id=acting.person_id,
                                        gate_request_id=gate.id, at=acting.now)
    await acting.session.refresh(uc)
    await acting.audit("use_case.stage_changed", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                       data={"kind": "advance", "from": gate.from_stage, "to": gate.to_stage, "gate_request": gate.id,
                             "pilot_exit_date": values.get("pilot_exit_date")})
    to = stage_label(acting.policy, gate.to_stage)
    lines = [f"Every review group approved, so {uc_ref(uc)} “{uc.title}” is now in {to}."]
    if "pilot_exit_date" in values:
        lines.append(f"The pilot runs until {day(values['pilot_exit_date'])}; before then, gather the evidence "
                     "for the next gate.")
    nxt = acting.policy.gate_from(gate.to_stage)
    if nxt is not None:
        lines.append(f"When it is ready to move on to {stage_label(acting.policy, nxt.to_stage)}, an owner types "
                     f"“move {uc_ref(uc)}”.")
    msg = Message([Header(f"{uc_ref(uc)} moved to {to}"), Text(["\n".join(lines)]),
                   Buttons([Button("Status", "status.show", {"uc": uc.id})]
                           + ([Button("Request next stage", "gate.request", {"uc": uc.id})] if nxt else []))])
    await tell_involved(acting, uc, msg, "advanced", skip_actor=False)


async def _cancel_open(acting: Ctx, uc: UseCase, gate_status: str) -> list[int]:
    """Cancel the pending gate and its open reviews; returns every review of that gate (to refresh cards)."""
    gate = await reviews.pending_gate(acting.session, uc.id)
    if gate is None:
        return []
    rows = await reviews.for_gate(acting.session, gate.id)
    for rr in rows:
        await reviews.set_review(acting.session, rr.id, status=rules.CANCELLED, decided_at=acting.now,
                                 next_reminder_at=None)
        await conditions.discard_drafts(acting.session, rr.id)
    await reviews.close_gate(acting.session, gate.id, gate_status, acting.now)
    return [rr.id for rr in rows]


async def change_status(acting: Ctx, uc: UseCase, kind: str, reason: str, *, by_review: int | None = None) -> None:
    """pause | resume | stop | withdraw, with its reason; reviews and cards follow."""
    before = uc.status
    await use_cases.update_fields(acting.session, uc.id, bump_version=False, status=STATUS_FOR[kind],
                                  status_reason=reason if kind != "resume" else "")
    await use_cases.record_stage_change(acting.session, use_case_id=uc.id, from_stage=uc.stage, to_stage=uc.stage,
                                        kind=kind, reason=reason, by_person_id=acting.person_id, at=acting.now)
    await acting.session.refresh(uc)
    touched: list[int] = []
    if kind in ("stop", "withdraw"):
        touched = await _cancel_open(acting, uc, GateStatus.STOPPED if kind == "stop" else GateStatus.WITHDRAWN)
    elif kind == "pause":
        touched = await _pause_reviews(acting, uc)
    elif kind == "resume":
        touched = await _resume_reviews(acting, uc)
    await acting.audit("use_case.status_changed", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                       data={"kind": kind, "from": before, "to": uc.status, "reason": reason, "review": by_review})
    await refresh_cards(acting, touched)
    who = await _actor_name(acting)
    text = f"{uc_ref(uc)} “{uc.title}” was {VERBS[kind]} by {who}."
    if reason:
        text += f" Reason: {reason}"
    if kind == "pause":
        text += " Its reviews wait until leadership resumes it."
    msg = Message([Header(f"{uc_ref(uc)} {VERBS[kind]}"), Text([text]),
                   Buttons([Button("Status", "status.show", {"uc": uc.id})])])
    await tell_involved(acting, uc, msg, kind)


async def redirect(acting: Ctx, uc: UseCase, to_stage: str, reason: str) -> None:
    """Leadership sends the use case back to an earlier stage; any pending gate is cancelled."""
    before = uc.stage
    values = {"stage": to_stage, "stage_entered_at": acting.now, "status_reason": reason}
    if to_stage == "pilot":
        values["pilot_exit_date"] = rules.pilot_exit_date(acting.now, uc.target_timeline)
    touched = await _cancel_open(acting, uc, GateStatus.CANCELLED)
    await use_cases.update_fields(acting.session, uc.id, bump_version=False, **values)
    await use_cases.record_stage_change(acting.session, use_case_id=uc.id, from_stage=before, to_stage=to_stage,
                                        kind="redirect", reason=reason, by_person_id=acting.person_id, at=acting.now)
    await acting.session.refresh(uc)
    await acting.audit("use_case.stage_changed", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                       data={"kind": "redirect", "from": before, "to": to_stage, "reason": reason})
    await refresh_cards(acting, touched)
    who = await _actor_name(acting)
    text = (f"{who} sent {uc_ref(uc)} “{uc.title}” back from {stage_label(acting.policy, before)} to "
            f"{stage_label(acting.policy, to_stage)}. Reason: {reason}")
    msg = Message([Header(f"{uc_ref(uc)} redirected to {stage_label(acting.policy, to_stage)}"), Text([text]),
                   Buttons([Button("Status", "status.show", {"uc": uc.id})])])
    await tell_involved(acting, uc, msg, "redirect")


async def _pause_reviews(acting: Ctx, uc: UseCase) -> list[int]:
    out = []
    for rr in await reviews.for_use_case(acting.session, uc.id, open_only=True):
        if rr.paused_at is None:
            await reviews.set_review(acting.session, rr.id, paused_at=acting.now, next_reminder_at=None)
        out.append(rr.id)
    return out


async def _resume_reviews(acting: Ctx, uc: UseCase) -> list[int]:
    out = []
    for rr in await reviews.for_use_case(acting.session, uc.id, open_only=True):
        if rr.status == rules.PENDING and rr.paused_at is not None:
            await resume_clock(acting, rr)
        out.append(rr.id)
    return out


async def resume_clock(acting: Ctx, rr) -> None:
    """A paused review's clock runs again: the due date moves forward by the paused time.

    The next reminder falls on the new due date; a review already reminded before the pause gets its next
    reminder no sooner than `remind_every_days` from now.
    """
    due = rules.resume_due(rr.due_at, rr.paused_at, acting.now)
    nxt = due
    if rr.reminder_count:
        nxt = max(due, acting.now + timedelta(days=acting.policy.review.remind_every_days))
    await reviews.set_review(acting.session, rr.id, status=rules.PENDING, paused_at=None, due_at=due,
                             next_reminder_at=nxt)


async def _actor_name(acting: Ctx) -> str:
    if acting.person_id is None:
        return "aiom"

    p = await people.get(acting.session, acting.person_id)
    return (p.display_name or p.email) if p else "someone"
