"""Overdue reviews: remind the group in its channels and its members by DM, then escalate.

A review is due for a reminder when it is pending, not paused, and its `next_reminder_at` (set to the due
date when the review opens) has passed. Each reminder is stamped (`reminder_count`, `last_reminder_at`,
`next_reminder_at` moved on by `review.remind_every_days`). At a due slot after
`review.reminders_before_escalation` reminders, the review goes to the next level of decision rights
(`conversations.reviews.deciding.escalate_review`, which records and announces it). When the use case is busy at
that moment (another transaction holds its row), nobody is reminded again: the escalation is retried at the next
sweep.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from vocabulary.labels import uc_ref
from vocabulary.messages import Button, Buttons, Context, Message, Text
from conversations.reviews.rules import involved_roles, may_be_asked
from notifications.reminders import loop
from notifications.reminders.common import Batch, as_dict, plan, snooze_buttons, stale_after, when_text
from notifications.services import Services
from storage.repo import reminders as repo
from storage.tables import Person, ReviewRequest, UseCase
from vocabulary.states import UseCaseStatus

log = logging.getLogger(__name__)
BATCH = 250
# An escalation that found its use case busy is due again this soon: the next sweep retries it.
RETRY = timedelta(minutes=1)


async def sweep(services: Services, now: datetime) -> int:
    """Remind or escalate every review that is due; returns how many were reminded or escalated."""
    return await loop.sweep(services, now, KIND)


async def select_due(session, policy, now: datetime, limit: int) -> list[ReviewRequest]:
    return await repo.due_reviews(session, now, limit)


async def remind(batch: Batch, due: list[ReviewRequest]) -> int:
    session, policy, platforms, now = batch.session, batch.policy, batch.platforms, batch.now
    ucs = await repo.use_case_heads(session, [r.use_case_id for r in due])
    emails = {e for r in due for e in _group(policy, r.group_key).members}
    members = await repo.people_by_email(session, list(emails))
    await batch.prepare([subject(r) for r in due], [p.id for p in members.values()])
    every = timedelta(days=policy.review.remind_every_days)
    stale = stale_after(policy, now)
    done = 0
    stamps: list[tuple] = []
    reminders: list[tuple[ReviewRequest, UseCase, datetime]] = []
    for rr in due:
        uc = ucs.get(rr.use_case_id)
        if uc is None or uc.status != UseCaseStatus.ACTIVE:  # paused or closed use cases are not chased
            stamps.append((rr.id, rr.next_reminder_at, None, None))
            continue
        if rr.reminder_count >= policy.review.reminders_before_escalation and _group(policy, rr.group_key).escalates_to:
            if await _escalate(session, policy, platforms, rr, now):
                done += 1
            else:  # busy right now (someone is changing the use case): escalate at the next sweep, remind nobody
                stamps.append((rr.id, rr.next_reminder_at, now + RETRY, None))
            continue
        send, nxt = plan(rr.next_reminder_at, now, every, stale, policy.reminders.after_downtime)
        stamps.append((rr.id, rr.next_reminder_at, nxt, now if send else None))
        if send:
            reminders.append((rr, uc, nxt))
    await repo.stamp_reviews(session, stamps)  # the rows are ours: locked by due_reviews in this transaction
    for rr, uc, nxt in reminders:
        _remind(batch, policy, rr, uc, members, nxt)
        done += 1
    return done


# The review groups as changed in chat count (effective policy): who is reminded, and where it escalates.
KIND = loop.ReminderKind(select=select_due, send=remind, batch_size=BATCH, effective_policy=True)


def _group(policy, key: str):
    try:
        return policy.review.group(key)
    except KeyError:
        from vocabulary.policy.models import ReviewGroup

        return ReviewGroup(key=key, name=key)


def subject(rr: ReviewRequest) -> str:
    return f"review:{rr.id}"


async def _escalate(session, policy, platforms: set[str], rr: ReviewRequest, now: datetime) -> bool:
    from conversations.reviews.deciding import escalate_review

    days = (now - rr.due_at).days
    reason = (f"No decision {days} day{'s' if days != 1 else ''} after the due date, after {rr.reminder_count} "
              f"reminder{'s' if rr.reminder_count != 1 else ''}.")
    new_id = await escalate_review(session, policy, rr.id, reason=reason, now=now, platforms=platforms)
    if new_id is None:
        return False
    log.info("review %s escalated automatically to review %s", rr.id, new_id)
    return True


def _remind(batch: Batch, policy, rr: ReviewRequest, uc: UseCase, members: dict[str, Person], nxt: datetime) -> None:
    n = rr.reminder_count + 1
    group = _group(policy, rr.group_key)
    key = f"reminder:review:{rr.id}:{n}"
    by_zone: dict[str | None, dict] = {}  # the text names the due time in each reader's zone: one per zone

    def text_for(tz: str | None) -> dict:
        if tz not in by_zone:
            by_zone[tz] = as_dict(message(policy, rr, uc, n, tz, batch.now))
        return by_zone[tz]

    batch.post(rr.group_key, text_for(None), key=key, subject=subject(rr), use_case_id=uc.id)
    told = []
    # A delegate standing in for an away member gets a copy, unless they may not decide it themselves or are
    # reminded as a member already.
    not_to = {p for p in involved_roles(uc).values() if p is not None}
    not_to |= {p.id for e in group.members if (p := members.get(e.strip().lower())) is not None}
    for email in group.members:
        person = members.get(email.strip().lower())
        # Only people who may decide are reminded: never the proposer, owners or sponsor of the use case.
        if person is None or not may_be_asked(person.id, uc):
            continue
        if batch.dm(person, text_for(person.timezone), key=f"{key}:dm:{person.id}", subject=subject(rr),
                    use_case_id=uc.id, not_to=not_to):
            told.append(person.id)
    batch.audit("review.reminded", entity="review", entity_id=rr.id, use_case_id=uc.id,
                data={"group": rr.group_key, "reminder": n, "due_at": rr.due_at, "next_reminder_at": nxt,
                      "members_told": told})


def message(policy, rr: ReviewRequest, uc: UseCase, n: int, tz: str | None, now: datetime) -> Message:
    group = _group(policy, rr.group_key)
    left = policy.review.reminders_before_escalation - n
    if group.escalates_to and left >= 0:
        nxt = _group(policy, group.escalates_to).name
        after = ("If it is still open at the next reminder, it goes to " + nxt + "." if left == 0 else
                 f"After {left} more reminder{'s' if left != 1 else ''} it goes to {nxt}.")
    else:
        after = "Please decide, or ask the owners for what you need."
    text = (f"{group.name}: the review of {uc_ref(uc)} “{uc.title[:120]}” was due on "
            f"{when_text(rr.due_at, tz, policy)} and still waits for a decision. {after}")
    return Message([
        Text([text]),
        Buttons([Button("Open review", "review.show", {"r": rr.id}, style="primary"),
                 Button("Status", "status.show", {"uc": uc.id}), *snooze_buttons(subject(rr))]),
        Context(f"Reminder {n} · review #{rr.id}"),
    ], fallback=f"Reminder: the {group.name} review of {uc_ref(uc)} is overdue")
