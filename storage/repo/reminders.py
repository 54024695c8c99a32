"""Due-work queries and stamps for the reminder sweeps, and snoozes.

Every due query is an index range on the row's own reminder stamp, so a sweep's cost follows the due rows,
not the table: `WHERE status = … AND next_reminder_at <= :now ORDER BY next_reminder_at LIMIT n`, plus, for
kinds whose first reminder comes from a date (conditions, scorecards, pilots), a second range over the rows
never reminded (`next_reminder_at IS NULL AND <date column> < :cutoff`) on the same index.

On Postgres the due rows are selected `FOR UPDATE SKIP LOCKED`, so processes sweeping at once share the work
instead of queueing behind each other. Each stamp is a conditional UPDATE that also checks the stamp the
caller saw (compare-and-set): whoever changes it first owns that reminder, on SQLite and Postgres alike, and
the stamp, the audit entry and the outbox rows commit together.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import dialect, upsert
from storage.tables import Condition, ConversationState, GateRequest, Person, ReviewRequest, Scorecard, Snooze, UseCase
from storage.types import utcnow


def _lock(session: AsyncSession, q):
    if dialect(session) == "postgresql":
        return q.with_for_update(skip_locked=True)
    return q


def _same(column, value):
    return column.is_(None) if value is None else column == value


# -- reviews ----------------------------------------------------------------------------
async def due_reviews(session: AsyncSession, now: datetime, limit: int = 100) -> list[ReviewRequest]:
    """Pending, not paused reviews whose next reminder is due (index ix_review_due)."""
    q = (select(ReviewRequest)
         .where(ReviewRequest.status == "pending", ReviewRequest.next_reminder_at <= now,
                ReviewRequest.paused_at.is_(None))
         .order_by(ReviewRequest.next_reminder_at, ReviewRequest.id).limit(limit)
         .execution_options(populate_existing=True))
    return list((await session.execute(_lock(session, q))).scalars().all())


async def stamp_review(session: AsyncSession, review_id: int, *, seen_next: datetime, next_at: datetime | None,
                       reminded_at: datetime | None) -> bool:
    """Move a review's next reminder on (and count one sent when `reminded_at` is given); False if another
    process got there first or the review closed meanwhile."""
    values: dict = {"next_reminder_at": next_at}
    if reminded_at is not None:
        values.update(reminder_count=ReviewRequest.reminder_count + 1, last_reminder_at=reminded_at)
    res = await session.execute(update(ReviewRequest)
                                .where(ReviewRequest.id == review_id, ReviewRequest.status == "pending",
                                       ReviewRequest.next_reminder_at == seen_next)
                                .values(**values).execution_options(synchronize_session=False))
    return bool(res.rowcount)


# -- conditions ----------------------------------------------------------------------------
async def due_conditions(session: AsyncSession, now: datetime, today: date, limit: int = 100) -> list[Condition]:
    """Open conditions past their due date never chased, and chased ones due again (index ix_condition_remind)."""
    first = (select(Condition).where(Condition.status == "open", Condition.next_reminder_at.is_(None),
                                     Condition.due_date < today)
             .order_by(Condition.due_date, Condition.id).limit(limit))
    again = (select(Condition).where(Condition.status == "open", Condition.next_reminder_at <= now)
             .order_by(Condition.next_reminder_at, Condition.id).limit(limit))
    out: list[Condition] = []
    for q in (first, again):
        q = q.execution_options(populate_existing=True)
        out.extend((await session.execute(_lock(session, q))).scalars().all())
    return out[:limit]


async def stamp_condition(session: AsyncSession, condition_id: int, *, seen_next: datetime | None,
                          next_at: datetime, reminded_at: datetime | None) -> bool:
    values: dict = {"next_reminder_at": next_at}
    if reminded_at is not None:
        values["last_reminder_at"] = reminded_at
    res = await session.execute(update(Condition)
                                .where(Condition.id == condition_id, Condition.status == "open",
                                       _same(Condition.next_reminder_at, seen_next))
                                .values(**values).execution_options(synchronize_session=False))
    return bool(res.rowcount)


# -- scorecards ------------------------------------------------------------------------------
async def due_scorecards(session: AsyncSession, now: datetime, stale_before: datetime,
                         limit: int = 100) -> list[Scorecard]:
    """Started, unfinished scorecards untouched since `stale_before`, or due for another nudge."""
    first = (select(Scorecard).where(Scorecard.status == "in_progress", Scorecard.next_reminder_at.is_(None),
                                     Scorecard.last_answer_at <= stale_before)
             .order_by(Scorecard.last_answer_at, Scorecard.id).limit(limit))
    again = (select(Scorecard).where(Scorecard.status == "in_progress", Scorecard.next_reminder_at <= now)
             .order_by(Scorecard.next_reminder_at, Scorecard.id).limit(limit))
    out: list[Scorecard] = []
    for q in (first, again):
        q = q.execution_options(populate_existing=True)
        out.extend((await session.execute(_lock(session, q))).scalars().all())
    return out[:limit]


async def stamp_scorecard(session: AsyncSession, scorecard_id: int, *, seen_next: datetime | None,
                          next_at: datetime, reminded_at: datetime | None) -> bool:
    values: dict = {"next_reminder_at": next_at}
    if reminded_at is not None:
        values["last_reminder_at"] = reminded_at
    res = await session.execute(update(Scorecard)
                                .where(Scorecard.id == scorecard_id, Scorecard.status == "in_progress",
                                       _same(Scorecard.next_reminder_at, seen_next))
                                .values(**values).execution_options(synchronize_session=False))
    return bool(res.rowcount)


# -- pilots left in limbo ----------------------------------------------------------------------
async def due_limbo(session: AsyncSession, now: datetime, today: date, limit: int = 100) -> list[UseCase]:
    """Active pilots past their exit date never flagged, and flagged ones due again (index ix_use_case_limbo)."""
    first = (select(UseCase).where(UseCase.stage == "pilot", UseCase.status == "active",
                                   UseCase.limbo_next_reminder_at.is_(None), UseCase.pilot_exit_date < today)
             .order_by(UseCase.pilot_exit_date, UseCase.id).limit(limit))
    again = (select(UseCase).where(UseCase.stage == "pilot", UseCase.status == "active",
                                   UseCase.limbo_next_reminder_at <= now)
             .order_by(UseCase.limbo_next_reminder_at, UseCase.id).limit(limit))
    out: list[UseCase] = []
    for q in (first, again):
        q = q.execution_options(populate_existing=True)
        out.extend((await session.execute(_lock(session, q))).scalars().all())
    return out[:limit]


async def gate_pending(session: AsyncSession, use_case_id: int) -> bool:
    q = select(GateRequest.id).where(GateRequest.use_case_id == use_case_id, GateRequest.status == "pending").limit(1)
    return (await session.execute(q)).first() is not None


async def stamp_limbo(session: AsyncSession, use_case_id: int, *, seen_next: datetime | None,
                      next_at: datetime | None) -> bool:
    res = await session.execute(update(UseCase)
                                .where(UseCase.id == use_case_id, UseCase.stage == "pilot",
                                       _same(UseCase.limbo_next_reminder_at, seen_next))
                                .values(limbo_next_reminder_at=next_at)
                                .execution_options(synchronize_session=False))
    return bool(res.rowcount)


# -- abandoned intakes ----------------------------------------------------------------------------
async def abandoned_intakes(session: AsyncSession, idle_before: datetime, limit: int = 100) -> list[ConversationState]:
    """Active intake conversations untouched since `idle_before` and not nudged yet
    (index ix_conversation_state_abandoned)."""
    q = (select(ConversationState)
         .where(ConversationState.flow == "intake", ConversationState.status == "active",
                ConversationState.nudged_at.is_(None), ConversationState.updated_at <= idle_before)
         .order_by(ConversationState.updated_at, ConversationState.id).limit(limit)
         .execution_options(populate_existing=True))
    return list((await session.execute(_lock(session, q))).scalars().all())


async def stamp_nudged(session: AsyncSession, state_id: int, *, version: int, at: datetime) -> bool:
    """Stamp the one nudge; the version check leaves a conversation the person just resumed alone."""
    res = await session.execute(update(ConversationState)
                                .where(ConversationState.id == state_id, ConversationState.nudged_at.is_(None),
                                       ConversationState.status == "active", ConversationState.version == version)
                                .values(nudged_at=at).execution_options(synchronize_session=False))
    return bool(res.rowcount)


# -- people ------------------------------------------------------------------------------------------
async def people_by_email(session: AsyncSession, emails: list[str]) -> dict[str, Person]:
    """Existing people for these emails (nobody is created)."""
    wanted = {e.strip().lower() for e in emails if e}
    if not wanted:
        return {}
    rows = (await session.execute(select(Person).where(Person.email.in_(wanted)))).scalars().all()
    return {p.email: p for p in rows}


async def people_by_id(session: AsyncSession, ids) -> dict[int, Person]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = (await session.execute(select(Person).where(Person.id.in_(ids)))).scalars().all()
    return {p.id: p for p in rows}


async def use_cases_by_id(session: AsyncSession, ids) -> dict[int, UseCase]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = (await session.execute(select(UseCase).where(UseCase.id.in_(ids)))).scalars().all()
    return {u.id: u for u in rows}


# -- snoozes ------------------------------------------------------------------------------------------
async def snooze(session: AsyncSession, *, person_id: int, subject: str, until: datetime) -> None:
    """Hold this person's reminders about `subject` until `until` (a later snooze replaces an earlier one)."""
    await upsert(session, Snooze.__table__,
                 {"person_id": person_id, "subject": subject[:128], "until": until, "created_at": utcnow()},
                 ["person_id", "subject"], {"until": until, "created_at": utcnow()})


async def snoozed(session: AsyncSession, subjects: list[str], now: datetime) -> dict[tuple[int, str], datetime]:
    """(person_id, subject) -> until, for snoozes of these subjects still running at `now`."""
    if not subjects:
        return {}
    q = select(Snooze.person_id, Snooze.subject, Snooze.until).where(
        and_(Snooze.subject.in_(set(subjects)), Snooze.until > now))
    return {(p, s): u for p, s, u in (await session.execute(q)).all()}


# -- batched writes -----------------------------------------------------------------------------------
async def identity_platforms(session: AsyncSession, person_ids) -> dict[int, list[str]]:
    """Each person's platforms, most recently active first (one query for the whole batch)."""
    from storage.tables import PlatformIdentity

    ids = {i for i in person_ids if i is not None}
    if not ids:
        return {}
    q = (select(PlatformIdentity.person_id, PlatformIdentity.platform)
         .where(PlatformIdentity.person_id.in_(ids)).order_by(PlatformIdentity.updated_at.desc()))
    out: dict[int, list[str]] = {}
    for pid, platform in (await session.execute(q)).all():
        out.setdefault(pid, []).append(platform)
    return out


def outbox_row(*, dedupe_key: str, platform: str, target: str, message: dict, kind: str, purpose: str,
               subject: str, use_case_id: int | None, person_id: int | None, not_before: datetime,
               late: bool = False, now: datetime | None = None) -> dict:
    """The same row `storage.repo.outbox.enqueue` writes, for `enqueue_many`."""
    return {"dedupe_key": dedupe_key[:256], "platform": platform, "kind": kind, "target": target, "thread_id": "",
            "ref_purpose": "", "message": message, "purpose": purpose, "subject": subject[:128],
            "use_case_id": use_case_id, "person_id": person_id, "status": "pending", "attempts": 0,
            "not_before": not_before, "created_at": now or utcnow(), "late": late, "error": ""}


async def enqueue_many(session: AsyncSession, rows: list[dict], chunk: int = 200) -> int:
    """INSERT … ON CONFLICT (dedupe_key) DO NOTHING for many outbox rows; returns how many were new."""
    from storage.repo._sql import _insert
    from storage.tables import Outbox

    new = 0
    for i in range(0, len(rows), chunk):
        part = rows[i:i + chunk]
        stmt = _insert(session, Outbox.__table__).values(part).on_conflict_do_nothing(index_elements=["dedupe_key"])
        res = await session.execute(stmt.returning(Outbox.__table__.c.id))
        new += len(res.all())
    return new
