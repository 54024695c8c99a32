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

from sqlalchemy import and_, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import dialect, upsert
from storage.tables import Condition, ConversationState, GateRequest, Person, ReviewRequest, Scorecard, Snooze, UseCase
from storage.types import utcnow
from vocabulary.states import (
    ConditionStatus, FlowStatus, GateStatus, OutboxStatus, ReviewStatus, ScorecardStatus, UseCaseStatus,
)


def _lock(session: AsyncSession, q):
    if dialect(session) == "postgresql":
        return q.with_for_update(skip_locked=True)
    return q


def _same(column, value):
    return column.is_(None) if value is None else column == value


# -- reviews ----------------------------------------------------------------------------
async def due_reviews(session: AsyncSession, now: datetime, limit: int = 100) -> list:
    """Pending, not paused reviews whose next reminder is due (index ix_review_due), as light rows with the
    columns a reminder needs (id, use_case_id, group_key, due_at, next_reminder_at, reminder_count)."""
    t = ReviewRequest.__table__
    q = (select(t.c.id, t.c.use_case_id, t.c.group_key, t.c.due_at, t.c.next_reminder_at, t.c.reminder_count)
         .where(t.c.status == ReviewStatus.PENDING, t.c.next_reminder_at <= now, t.c.paused_at.is_(None))
         .order_by(t.c.next_reminder_at, t.c.id).limit(limit))
    return list((await session.execute(_lock(session, q))).all())


async def stamp_reviews(session: AsyncSession, stamps: list[tuple[int, datetime, datetime | None, datetime | None]]
                        ) -> int:
    """Several (review id, seen next_reminder_at, new next_reminder_at, reminded at or None) in one executemany.

    Each row changes only while it is pending and still carries the stamp the caller read (compare-and-set);
    the rows come from `due_reviews` in the same transaction, locked on Postgres and under SQLite's single
    writer, so nothing else can have moved them. Returns the rows changed where the driver reports it.
    """
    if not stamps:
        return 0
    if dialect(session) == "postgresql":  # one statement over arrays instead of one UPDATE per row
        res = await session.execute(text(
            "UPDATE review_request AS r SET next_reminder_at = v.nxt, reminder_count = r.reminder_count + v.inc, "
            "last_reminder_at = COALESCE(v.at, r.last_reminder_at) "
            "FROM unnest(CAST(:ids AS integer[]), CAST(:seen AS timestamptz[]), CAST(:nxt AS timestamptz[]), "
            "CAST(:inc AS integer[]), CAST(:at AS timestamptz[])) AS v(id, seen, nxt, inc, at) "
            "WHERE r.id = v.id AND r.status = 'pending' AND r.next_reminder_at = v.seen"),
            {"ids": [x[0] for x in stamps], "seen": [x[1] for x in stamps], "nxt": [x[2] for x in stamps],
             "inc": [1 if x[3] else 0 for x in stamps], "at": [x[3] for x in stamps]})
        return res.rowcount
    t = ReviewRequest.__table__
    stmt = (t.update()
            .where(t.c.id == bindparam("b_id"), t.c.status == ReviewStatus.PENDING,
                   t.c.next_reminder_at == bindparam("b_seen"))
            .values(next_reminder_at=bindparam("b_next"), reminder_count=t.c.reminder_count + bindparam("b_inc"),
                    last_reminder_at=func.coalesce(bindparam("b_at", type_=t.c.last_reminder_at.type),
                                                   t.c.last_reminder_at)))
    params = [{"b_id": rid, "b_seen": seen, "b_next": nxt, "b_inc": 1 if at else 0, "b_at": at}
              for rid, seen, nxt, at in stamps]
    res = await session.execute(stmt, params)
    return res.rowcount if res.rowcount is not None and res.rowcount >= 0 else len(stamps)


# -- conditions ----------------------------------------------------------------------------
async def due_conditions(session: AsyncSession, now: datetime, today: date, limit: int = 100) -> list[Condition]:
    """Open conditions past their due date never chased, and chased ones due again (index ix_condition_remind)."""
    first = (select(Condition).where(Condition.status == ConditionStatus.OPEN, Condition.next_reminder_at.is_(None),
                                     Condition.due_date < today)
             .order_by(Condition.due_date, Condition.id).limit(limit))
    again = (select(Condition).where(Condition.status == ConditionStatus.OPEN, Condition.next_reminder_at <= now)
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
                                .where(Condition.id == condition_id, Condition.status == ConditionStatus.OPEN,
                                       _same(Condition.next_reminder_at, seen_next))
                                .values(**values).execution_options(synchronize_session=False))
    return bool(res.rowcount)


# -- scorecards ------------------------------------------------------------------------------
async def due_scorecards(session: AsyncSession, now: datetime, stale_before: datetime,
                         limit: int = 100) -> list[Scorecard]:
    """Started, unfinished scorecards untouched since `stale_before`, or due for another nudge."""
    first = (select(Scorecard).where(Scorecard.status == ScorecardStatus.IN_PROGRESS,
                                     Scorecard.next_reminder_at.is_(None),
                                     Scorecard.last_answer_at <= stale_before)
             .order_by(Scorecard.last_answer_at, Scorecard.id).limit(limit))
    again = (select(Scorecard).where(Scorecard.status == ScorecardStatus.IN_PROGRESS, Scorecard.next_reminder_at <= now)
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
                                .where(Scorecard.id == scorecard_id, Scorecard.status == ScorecardStatus.IN_PROGRESS,
                                       _same(Scorecard.next_reminder_at, seen_next))
                                .values(**values).execution_options(synchronize_session=False))
    return bool(res.rowcount)


# -- pilots left in limbo ----------------------------------------------------------------------
async def due_limbo(session: AsyncSession, now: datetime, today: date, limit: int = 100) -> list[UseCase]:
    """Active pilots past their exit date never flagged, and flagged ones due again (index ix_use_case_limbo)."""
    first = (select(UseCase).where(UseCase.stage == "pilot", UseCase.status == UseCaseStatus.ACTIVE,
                                   UseCase.limbo_next_reminder_at.is_(None), UseCase.pilot_exit_date < today)
             .order_by(UseCase.pilot_exit_date, UseCase.id).limit(limit))
    again = (select(UseCase).where(UseCase.stage == "pilot", UseCase.status == UseCaseStatus.ACTIVE,
                                   UseCase.limbo_next_reminder_at <= now)
             .order_by(UseCase.limbo_next_reminder_at, UseCase.id).limit(limit))
    out: list[UseCase] = []
    for q in (first, again):
        q = q.execution_options(populate_existing=True)
        out.extend((await session.execute(_lock(session, q))).scalars().all())
    return out[:limit]


async def gate_pending(session: AsyncSession, use_case_id: int) -> bool:
    q = select(GateRequest.id).where(GateRequest.use_case_id == use_case_id,
                                     GateRequest.status == GateStatus.PENDING).limit(1)
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
         .where(ConversationState.flow == "intake", ConversationState.status == FlowStatus.ACTIVE,
                ConversationState.nudged_at.is_(None), ConversationState.updated_at <= idle_before)
         .order_by(ConversationState.updated_at, ConversationState.id).limit(limit)
         .execution_options(populate_existing=True))
    return list((await session.execute(_lock(session, q))).scalars().all())


async def stamp_nudged(session: AsyncSession, state_id: int, *, version: int, at: datetime) -> bool:
    """Stamp the one nudge; the version check leaves a conversation the person just resumed alone."""
    res = await session.execute(update(ConversationState)
                                .where(ConversationState.id == state_id, ConversationState.nudged_at.is_(None),
                                       ConversationState.status == FlowStatus.ACTIVE,
                                       ConversationState.version == version)
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


async def use_case_heads(session: AsyncSession, ids) -> dict[int, object]:
    """(id, title, status, proposer_id, business_owner_id, delivery_owner_id, sponsor_id) rows by id: what a
    reminder about a use case needs, without loading whole use cases."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    t = UseCase.__table__
    q = select(t.c.id, t.c.title, t.c.status, t.c.proposer_id, t.c.business_owner_id,
               t.c.delivery_owner_id, t.c.sponsor_id).where(t.c.id.in_(ids))
    return {r.id: r for r in (await session.execute(q)).all()}


# -- snoozes ------------------------------------------------------------------------------------------
async def snooze(session: AsyncSession, *, person_id: int, subject: str, until: datetime) -> None:
    """Hold this person's reminders about `subject` until `until` (a later snooze replaces an earlier one)."""
    await upsert(session, Snooze.__table__,
                 {"person_id": person_id, "subject": subject[:128], "until": until, "created_at": utcnow()},
                 ["person_id", "subject"], ["until", "created_at"])


async def snoozed(session: AsyncSession, subjects: list[str], now: datetime) -> dict[tuple[int, str], datetime]:
    """(person_id, subject) -> until, for snoozes of these subjects still running at `now`."""
    if not subjects:
        return {}
    q = select(Snooze.person_id, Snooze.subject, Snooze.until).where(
        and_(Snooze.subject.in_(set(subjects)), Snooze.until > now))
    return {(p, s): u for p, s, u in (await session.execute(q)).all()}


async def snoozed_until(session: AsyncSession, person_id: int, subject: str, now: datetime) -> datetime | None:
    """When this person's snooze of `subject` ends, if it is still running at `now`."""
    q = select(Snooze.until).where(Snooze.person_id == person_id, Snooze.subject == subject, Snooze.until > now)
    return (await session.execute(q)).scalar_one_or_none()


async def drop_snoozed(session: AsyncSession, outbox_id: int, *, worker: str, until: datetime) -> bool:
    """A claimed reminder whose recipient snoozed its subject after it was queued: never sent, recorded as
    snoozed (status `snoozed`). False when the claim is no longer this worker's."""
    from storage.tables import Outbox

    res = await session.execute(update(Outbox).where(Outbox.id == outbox_id, Outbox.claimed_by == worker,
                                                     Outbox.status == OutboxStatus.SENDING)
                                .values(status=OutboxStatus.SNOOZED, claimed_until=None,
                                        error=f"not sent: snoozed until {until.isoformat(timespec='minutes')}")
                                .execution_options(synchronize_session=False))
    return bool(res.rowcount)


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
            "use_case_id": use_case_id, "person_id": person_id, "status": OutboxStatus.PENDING, "attempts": 0,
            "not_before": not_before, "created_at": now or utcnow(), "late": late, "error": ""}


async def enqueue_many(session: AsyncSession, rows: list[dict]) -> int:
    """INSERT … ON CONFLICT (dedupe_key) DO NOTHING for many outbox rows, as one executemany (one compiled
    statement, whatever the batch size). Returns how many were new where the driver reports it."""
    from storage.repo._sql import _insert
    from storage.tables import Outbox

    if not rows:
        return 0
    if dialect(session) == "postgresql":
        return await _enqueue_arrays(session, rows)
    return await _enqueue_executemany(session, rows)


async def _enqueue_executemany(session: AsyncSession, rows: list[dict]) -> int:
    """SQLite: one executemany of a plain INSERT … ON CONFLICT DO NOTHING. Values go through the columns'
    own SQLAlchemy bind processors (the same stored forms as any other write), and a message shared by several
    rows (one reminder's copies) is encoded once."""
    from storage.tables import Outbox

    d = session.bind.dialect
    cols = [c for c in Outbox.__table__.columns if c.name in rows[0]]
    procs = [c.type._cached_bind_processor(d) for c in cols]
    encoded: dict[int, object] = {}

    def value(col, proc, v):
        if proc is None or v is None:
            return v
        if col.name == "message":
            return encoded.get(id(v)) or encoded.setdefault(id(v), proc(v))
        return proc(v)

    params = [tuple(value(c, p, r[c.name]) for c, p in zip(cols, procs)) for r in rows]
    sql = (f"INSERT INTO outbox ({', '.join(c.name for c in cols)}) VALUES ({', '.join('?' for _ in cols)}) "
           "ON CONFLICT (dedupe_key) DO NOTHING")
    conn = await session.connection()
    res = await conn.exec_driver_sql(sql, params)
    return res.rowcount if res.rowcount is not None and res.rowcount >= 0 else len(rows)


_ARRAY_COLUMNS = [("dedupe_key", "varchar"), ("platform", "varchar"), ("kind", "varchar"), ("target", "varchar"),
                  ("thread_id", "varchar"), ("ref_purpose", "varchar"), ("message", "jsonb"), ("purpose", "varchar"),
                  ("subject", "varchar"), ("use_case_id", "integer"), ("person_id", "integer"),
                  ("status", "varchar"), ("attempts", "integer"), ("not_before", "timestamptz"),
                  ("created_at", "timestamptz"), ("late", "boolean"), ("error", "varchar")]


async def _enqueue_arrays(session: AsyncSession, rows: list[dict]) -> int:
    """Postgres: one INSERT … SELECT FROM unnest(arrays) instead of a statement per row. A message shared by
    several rows (one reminder's copies) is encoded once."""
    import json

    encoded: dict[int, str] = {}
    params: dict[str, list] = {name: [] for name, _ in _ARRAY_COLUMNS}
    for r in rows:
        for name, _ in _ARRAY_COLUMNS:
            v = r[name]
            if name == "message":
                v = encoded.get(id(v)) or encoded.setdefault(id(v), json.dumps(v))
            params[name].append(v)
    cols = ", ".join(name for name, _ in _ARRAY_COLUMNS)
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _ARRAY_COLUMNS)
    res = await session.execute(text(f"INSERT INTO outbox ({cols}) SELECT * FROM unnest({arrays}) "
                                     "ON CONFLICT (dedupe_key) DO NOTHING"), params)
    return res.rowcount
