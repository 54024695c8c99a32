"""Scorecards started but not finished: nudge the owners after `reminders.scorecard_stale_days` without an answer.

The first nudge falls `scorecard_stale_days` after the last answer; while nobody answers, another follows
every `scorecard_stale_days`. An answer in between pushes the next nudge back (it counts from the newest
answer). Stamped in `last_reminder_at` / `next_reminder_at`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from vocabulary.labels import uc_ref
from vocabulary.messages import Button, Buttons, Context, Message, Text
from notifications.reminders import loop
from notifications.reminders.common import Batch, plan, snooze_buttons, stale_after
from notifications.services import Services
from storage.repo import reminders as repo
from storage.tables import Scorecard, UseCase
from vocabulary.states import UseCaseStatus

BATCH = 100


async def sweep(services: Services, now: datetime) -> int:
    return await loop.sweep(services, now, KIND)


def instrument_name(policy, key: str) -> tuple[str, int]:
    """(name, number of items) of an instrument."""
    inst = {"pilot_selection": policy.pilot_selection, "readiness": policy.readiness,
            "rollout_checklist": policy.rollout_checklist, "vendor_checklist": policy.vendor_checklist}.get(key)
    if inst is None:
        return key.replace("_", " "), 0
    return inst.name, len(inst.items)


async def select_due(session, policy, now: datetime, limit: int) -> list[Scorecard]:
    every = timedelta(days=policy.reminders.scorecard_stale_days)
    return await repo.due_scorecards(session, now, now - every, limit)


async def nudge(batch: Batch, due: list[Scorecard]) -> int:
    session, policy, now = batch.session, batch.policy, batch.now
    every = timedelta(days=policy.reminders.scorecard_stale_days)
    ucs = await repo.use_cases_by_id(session, [sc.use_case_id for sc in due])
    people = await repo.people_by_id(session, [p for u in ucs.values() for p in (u.business_owner_id,
                                                                                u.delivery_owner_id)])
    await batch.prepare([f"scorecard:{sc.id}" for sc in due], people)
    stale = stale_after(policy, now)
    done = 0
    for sc in due:
        uc = ucs[sc.use_case_id]
        slot = sc.last_answer_at + every
        if sc.next_reminder_at is not None and (sc.last_reminder_at is None or sc.last_answer_at <= sc.last_reminder_at):
            slot = sc.next_reminder_at  # nobody answered since the last nudge: keep its cadence
        if slot > now or uc.status != UseCaseStatus.ACTIVE:
            await repo.stamp_scorecard(session, sc.id, seen_next=sc.next_reminder_at,
                                       next_at=slot if slot > now else now + every, reminded_at=None)
            continue
        send, nxt = plan(slot, now, every, stale, policy.reminders.after_downtime)
        if not await repo.stamp_scorecard(session, sc.id, seen_next=sc.next_reminder_at, next_at=nxt,
                                          reminded_at=now if send else None):
            continue
        if not send:
            continue
        told = []
        for pid in dict.fromkeys([uc.business_owner_id, uc.delivery_owner_id]):
            person = people.get(pid)
            if person and batch.dm(person, message(policy, sc, uc, now),
                                   key=f"reminder:scorecard:{sc.id}:{slot:%Y%m%dT%H%M}:dm:{pid}",
                                   subject=f"scorecard:{sc.id}", use_case_id=uc.id):
                told.append(pid)
        if told:
            batch.audit("scorecard.reminded", entity="scorecard", entity_id=sc.id, use_case_id=uc.id,
                        data={"instrument": sc.instrument, "answered": sc.answered, "owners_told": told,
                              "next_reminder_at": nxt})
            done += 1
    return done


KIND = loop.ReminderKind(select=select_due, send=nudge, batch_size=BATCH)


def message(policy, sc: Scorecard, uc: UseCase, now: datetime) -> Message:
    name, total = instrument_name(policy, sc.instrument)
    idle = (now - sc.last_answer_at).days
    of = f"{sc.answered} of {total}" if total else str(sc.answered)
    text = (f"The {name.lower()} for {uc_ref(uc)} “{uc.title[:120]}” has {of} answers and nobody has added one "
            f"for {idle} day{'s' if idle != 1 else ''}. Either owner can carry on where it stopped; the next gate "
            "needs it finished.")
    return Message([
        Text([text]),
        Buttons([Button("Carry on scoring", "scorecard.start", {"uc": uc.id, "i": sc.instrument}, style="primary"),
                 Button("Status", "status.show", {"uc": uc.id}), *snooze_buttons(f"scorecard:{sc.id}")]),
        Context(f"You are an owner of {uc_ref(uc)} · scorecard #{sc.id}"),
    ], fallback=f"The {name.lower()} for {uc_ref(uc)} is waiting for answers")
