"""Conditions past their due date: chase the owner every `reminders.condition_remind_every_days`.

The first chase comes the day after the due date (a date where the organisation works: the policy's
default zone); each chase stamps `last_reminder_at` and `next_reminder_at`. A condition without an owner is
chased with the use case's delivery owner (else its business owner). An owner who snoozed it is not chased
until the snooze ends: the next chase moves to the end of the snooze.
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
from storage.tables import Condition, UseCase
from vocabulary.states import CLOSED_USE_CASE

BATCH = 100


async def sweep(services: Services, now: datetime) -> int:
    return await loop.sweep(services, now, KIND)


def first_due(c: Condition, policy) -> datetime:
    """The day after the due date, at the start of the working day, in the policy's zone."""
    wh = policy.reminders.working_hours
    day = c.due_date + timedelta(days=1)
    return datetime.combine(day, time(min(wh.start_hour, 23)), hours.zone(None, wh)).astimezone(timezone.utc)


def owner_of(c: Condition, uc: UseCase) -> int | None:
    return c.owner_id or uc.delivery_owner_id or uc.business_owner_id


async def select_due(session, policy, now: datetime, limit: int) -> list[Condition]:
    return await repo.due_conditions(session, now, hours.local_today(now, policy.reminders.working_hours), limit)


async def chase(batch: Batch, due: list[Condition]) -> int:
    session, policy, now = batch.session, batch.policy, batch.now
    ucs = await repo.use_cases_by_id(session, [c.use_case_id for c in due])
    owners = await repo.people_by_id(session, [owner_of(c, ucs[c.use_case_id]) for c in due])
    await batch.prepare([f"condition:{c.id}" for c in due], owners)
    every = timedelta(days=policy.reminders.condition_remind_every_days)
    stale = stale_after(policy, now)
    done = 0
    for c in due:
        uc = ucs[c.use_case_id]
        owner = owners.get(owner_of(c, uc))
        subject = f"condition:{c.id}"
        slot = c.next_reminder_at or first_due(c, policy)
        if slot > now:  # the due date has passed here but the first chase is still to come
            await repo.stamp_condition(session, c.id, seen_next=c.next_reminder_at, next_at=slot, reminded_at=None)
            continue
        send, nxt = plan(slot, now, every, stale, policy.reminders.after_downtime)
        until = batch.snoozed(owner.id, subject) if owner else None
        if until is not None or uc.status in CLOSED_USE_CASE:
            send, nxt = False, until or now + every
        if not await repo.stamp_condition(session, c.id, seen_next=c.next_reminder_at, next_at=nxt,
                                          reminded_at=now if send else None):
            continue
        if send and owner is not None:
            if batch.dm(owner, message(c, uc), key=f"reminder:condition:{c.id}:{slot:%Y%m%dT%H%M}",
                        subject=subject, use_case_id=uc.id):
                batch.audit("condition.reminded", entity="condition", entity_id=c.id, use_case_id=uc.id,
                            data={"owner_id": owner.id, "due_date": c.due_date, "next_reminder_at": nxt})
                done += 1
    return done


KIND = loop.ReminderKind(select=select_due, send=chase, batch_size=BATCH)


def message(c: Condition, uc: UseCase) -> Message:
    text = (f"Condition #{c.id} on {uc_ref(uc)} “{uc.title[:120]}” was due on {c.due_date:%a %d %b %Y} and is "
            f"still open: {c.text[:300]}\nIt blocks the next gate until it is closed with a short note on the "
            "evidence.")
    return Message([
        Text([text]),
        Buttons([Button("Close condition", "condition.close", {"c": c.id}, style="primary"),
                 Button("Status", "status.show", {"uc": uc.id}), *snooze_buttons(f"condition:{c.id}")]),
        Context(f"You own this condition · condition #{c.id}"),
    ], fallback=f"Condition #{c.id} on {uc_ref(uc)} is overdue")
