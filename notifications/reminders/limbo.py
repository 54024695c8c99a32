"""Pilots left in limbo: past their exit date with no decision. Flag it to the owners and the sponsor every
`reminders.limbo_remind_every_days` until someone asks for the next gate (or leadership pauses, redirects or
stops it).

A pilot with a gate request under review is not in limbo (the decision is being taken; its reviews have
their own reminders). Stamped in `use_case.limbo_next_reminder_at`.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from vocabulary.labels import uc_ref
from vocabulary.messages import Button, Buttons, Context, Message, Text
from vocabulary import hours
from notifications.reminders import loop
from notifications.reminders.common import Batch, plan, snooze_buttons, stale_after
from notifications.services import Services
from storage.repo import reminders as repo
from storage.tables import UseCase

BATCH = 100


async def sweep(services: Services, now: datetime) -> int:
    return await loop.sweep(services, now, KIND)


def first_due(uc: UseCase, policy) -> datetime:
    wh = policy.reminders.working_hours
    day = uc.pilot_exit_date + timedelta(days=1)
    return datetime.combine(day, time(min(wh.start_hour, 23)), hours.zone(None, wh)).astimezone(timezone.utc)


def subject(uc: UseCase) -> str:
    return f"limbo:{uc.id}"


async def select_due(session, policy, now: datetime, limit: int) -> list[UseCase]:
    return await repo.due_limbo(session, now, hours.local_today(now, policy.reminders.working_hours), limit)


async def flag(batch: Batch, due: list[UseCase]) -> int:
    session, policy, now = batch.session, batch.policy, batch.now
    today = hours.local_today(now, policy.reminders.working_hours)
    people = await repo.people_by_id(session, [p for u in due for p in (u.business_owner_id, u.delivery_owner_id,
                                                                         u.sponsor_id)])
    await batch.prepare([subject(u) for u in due], people)
    every = timedelta(days=policy.reminders.limbo_remind_every_days)
    stale = stale_after(policy, now)
    done = 0
    for uc in due:
        if uc.pilot_exit_date is None or uc.pilot_exit_date >= today:  # a new exit date (redirected back)
            await repo.stamp_limbo(session, uc.id, seen_next=uc.limbo_next_reminder_at, next_at=None)
            continue
        slot = uc.limbo_next_reminder_at or first_due(uc, policy)
        if slot > now or await repo.gate_pending(session, uc.id):
            await repo.stamp_limbo(session, uc.id, seen_next=uc.limbo_next_reminder_at,
                                   next_at=slot if slot > now else now + every)
            continue
        send, nxt = plan(slot, now, every, stale, policy.reminders.after_downtime)
        if not await repo.stamp_limbo(session, uc.id, seen_next=uc.limbo_next_reminder_at, next_at=nxt):
            continue
        if not send:
            continue
        late = (today - uc.pilot_exit_date).days
        told = []
        for pid in dict.fromkeys([uc.business_owner_id, uc.delivery_owner_id, uc.sponsor_id]):
            person = people.get(pid)
            if person and batch.dm(person, message(uc, pid == uc.sponsor_id),
                                   key=f"reminder:limbo:{uc.id}:{slot:%Y%m%dT%H%M}:dm:{pid}", subject=subject(uc),
                                   use_case_id=uc.id):
                told.append(pid)
        batch.audit("pilot.limbo_flagged", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                    data={"pilot_exit_date": uc.pilot_exit_date, "days_past": late, "told": told,
                          "next_reminder_at": nxt})
        done += 1
    return done


KIND = loop.ReminderKind(select=select_due, send=flag, batch_size=BATCH)


def message(uc: UseCase, sponsor: bool) -> Message:
    ask = ("As its sponsor, please make sure the owners bring it to a decision." if sponsor else
           "Ask for the next gate if the evidence is there; otherwise ask leadership to extend, redirect or stop it.")
    text = (f"The pilot {uc_ref(uc)} “{uc.title[:120]}” was meant to end on {uc.pilot_exit_date:%a %d %b %Y} "
            f"and nobody has asked for a decision on it yet, so it is left in limbo. {ask}")
    buttons = [Button("Ask for the next gate", "gate.request", {"uc": uc.id}, style="primary"),
               Button("Status", "status.show", {"uc": uc.id}), *snooze_buttons(subject(uc))]
    return Message([Text([text]), Buttons(buttons), Context(f"Pilot past its exit date · {uc_ref(uc)}")],
                   fallback=f"Pilot {uc_ref(uc)} is past its exit date with no decision")
