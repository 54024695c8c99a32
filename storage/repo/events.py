"""The inbound journal (table `inbound_entry`): accepted requests, their processing, and de-duplication.

- `record` writes a request before it is acknowledged (its own short transaction); a repeat of a known key
  changes nothing and says whether the first one is finished.
- `mark_processed` is the engine's de-duplication, run inside the turn's transaction: it finishes an open
  entry (True), or inserts a finished one for input that was never journaled (True), or finds it finished
  already (False: a repeat). Rolled back with the turn, so an entry is finished exactly when its effects are.
- `finish` closes an entry whose request needed no engine turn (a link button, channel chatter).
- `store_reply` keeps the turn's reply with the entry (same transaction), `replied` stamps it sent;
  `unsent_reply` gives it back to a retry or replay of a finished entry whose reply was never sent.
- `take_expired` leases unfinished entries, and finished ones whose reply is unsent, whose lease ran out.
- `prune` deletes finished entries older than the retention, in batches.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, delete, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import core, insert_ignore, prepared
from storage.tables import InboundEntry
from storage.types import utcnow
from vocabulary.states import InboundOutcome

T = InboundEntry.__table__
# A finished entry whose unsent reply the replayer handed back for sending. Plain text: it is a literal in a
# CASE, where SQLAlchemy gives an enum no type.
RESEND = InboundOutcome.RESEND.value


@dataclass
class Recorded:
    new: bool  # first sight of this key
    done: bool  # the entry is finished (a repeat of something already processed)
    unsent: bool = False  # finished, but its reply was never sent and nobody is sending it: run it to send it


async def record(session: AsyncSession, platform: str, event_id: str, *, body: str, content_type: str,
                 lease: timedelta, now: datetime | None = None) -> Recorded:
    now = now or utcnow()
    new = await insert_ignore(session, T, {"platform": platform, "event_id": event_id[:256], "body": body,
                                           "content_type": content_type[:64], "received_at": now,
                                           "lease_until": now + lease, "attempts": 1, "done_at": None,
                                           "outcome": ""}, ["platform", "event_id"], returning=None)
    if new:
        return Recorded(new=True, done=False)
    row = (await session.execute(select(T.c.done_at, T.c.reply.is_not(None), T.c.replied_at, T.c.lease_until,
                                        T.c.outcome)
                                 .where(T.c.platform == platform, T.c.event_id == event_id[:256]))).first()
    if row is None:  # pragma: no cover - pruned between the two statements
        return Recorded(new=False, done=True)
    done_at, has_reply, replied_at, lease_until, outcome = row
    unsent = (done_at is not None and has_reply and replied_at is None
              and (outcome == RESEND or lease_until is None or lease_until < now))
    return Recorded(new=False, done=done_at is not None, unsent=unsent)


async def record_many(session: AsyncSession, rows: list[tuple[str, str, str, str]], *, lease: timedelta,
                      now: datetime | None = None) -> list[Recorded]:
    """`record` for several requests (platform, key, body, content type) at once: one INSERT for all of them,
    one SELECT for the keys already known - two round trips however many requests wait for their ack."""
    now = now or utcnow()
    values, seen = [], set()
    for platform, key, body, ctype in rows:
        if (platform, key[:256]) in seen:
            continue
        seen.add((platform, key[:256]))
        values.append({"platform": platform, "event_id": key[:256], "body": body, "content_type": ctype[:64],
                       "received_at": now, "lease_until": now + lease, "attempts": 1, "done_at": None,
                       "outcome": ""})
    stmt = (_insert_for(session)(T).values(values).on_conflict_do_nothing(index_elements=["platform", "event_id"])
            .returning(T.c.platform, T.c.event_id))
    new = {(p, k) for p, k in (await session.execute(stmt)).all()}
    known: dict[tuple[str, str], Recorded] = {}
    rest = [(p, k) for p, k in seen if (p, k) not in new]
    if rest:
        q = select(T.c.platform, T.c.event_id, T.c.done_at, T.c.reply.is_not(None), T.c.replied_at,
                   T.c.lease_until, T.c.outcome).where(tuple_(T.c.platform, T.c.event_id).in_(rest))
        for p, k, done_at, has_reply, replied_at, lease_until, outcome in (await session.execute(q)).all():
            known[(p, k)] = _known(done_at, has_reply, replied_at, lease_until, outcome, now)
    return _in_order(rows, new, known)


_PG_RECORD = (
    "INSERT INTO inbound_entry (platform, event_id, body, content_type, received_at, lease_until, attempts, "
    "done_at, outcome) SELECT p, k, b, c, $5, $6, 1, NULL, '' "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(p, k, b, c) "
    "ON CONFLICT (platform, event_id) DO NOTHING RETURNING platform, event_id")
_PG_KNOWN = (
    "SELECT platform, event_id, done_at, reply IS NOT NULL, replied_at, lease_until, outcome FROM inbound_entry "
    "WHERE (platform, event_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))")


async def record_many_pg(conn, rows: list[tuple[str, str, str, str]], *, lease: timedelta,
                         now: datetime | None = None) -> list[Recorded]:
    """`record_many` on Postgres through the driver's connection (asyncpg), outside any transaction: the INSERT
    commits by itself, so it is durable once it returns, in one round trip. The SELECT of keys already known
    (platform retries) runs only when some were."""
    now = now or utcnow()
    values: dict[tuple[str, str], tuple[str, str]] = {}
    for platform, key, body, ctype in rows:
        values.setdefault((platform, key[:256]), (body, ctype[:64]))
    keys_ = list(values)
    inserted = await conn.fetch(_PG_RECORD, [p for p, _ in keys_], [k for _, k in keys_],
                                [b for b, _ in values.values()], [c for _, c in values.values()], now, now + lease)
    new = {(r[0], r[1]) for r in inserted}
    rest = [k for k in keys_ if k not in new]
    known: dict[tuple[str, str], Recorded] = {}
    if rest:
        for p, k, done_at, has_reply, replied_at, lease_until, outcome in await conn.fetch(
                _PG_KNOWN, [p for p, _ in rest], [k for _, k in rest]):
            known[(p, k)] = _known(done_at, has_reply, replied_at, lease_until, outcome, now)
    return _in_order(rows, new, known)


def _known(done_at, has_reply, replied_at, lease_until, outcome, now) -> Recorded:
    unsent = (done_at is not None and has_reply and replied_at is None
              and (outcome == RESEND or lease_until is None or lease_until < now))
    return Recorded(new=False, done=done_at is not None, unsent=unsent)


def _in_order(rows, new: set, known: dict) -> list[Recorded]:
    out, first = [], set()
    for platform, key, _, _ in rows:
        k = (platform, key[:256])
        if k in new and k not in first:
            first.add(k)
            out.append(Recorded(new=True, done=False))
        elif k in new:  # the same request twice in one batch: the second waits for the first
            out.append(Recorded(new=False, done=False))
        else:
            out.append(known.get(k, Recorded(new=False, done=True)))
    return out


def _insert_for(session: AsyncSession):
    from sqlalchemy.dialects import postgresql, sqlite  # noqa: PLC0415

    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


def _finish_stmt(_dialect: str):
    return (update(T).where(T.c.platform == bindparam("b_platform"), T.c.event_id == bindparam("b_event_id"),
                            T.c.done_at.is_(None))
            .values(done_at=bindparam("b_now"), outcome=bindparam("b_outcome")))


async def mark_processed(session: AsyncSession, platform: str, event_id: str) -> bool:
    """True the first time an id is processed; False for a repeat. Rolled back with the caller's transaction."""
    now = utcnow()
    stmt = prepared(session, ("inbound_finish",), _finish_stmt)
    res = await core(session, stmt, {"b_platform": platform, "b_event_id": event_id[:256], "b_now": now,
                                     "b_outcome": InboundOutcome.DONE})
    if res.rowcount:
        return True
    new = await insert_ignore(session, T, {"platform": platform, "event_id": event_id[:256], "body": "",
                                           "content_type": "", "received_at": now, "lease_until": None,
                                           "attempts": 1, "done_at": now, "outcome": InboundOutcome.DONE},
                              ["platform", "event_id"], returning=None)
    return bool(new)


async def store_reply(session: AsyncSession, platform: str, event_id: str, reply: list | None,
                      state_id: int | None, lease: timedelta, now: datetime | None = None) -> None:
    """Keep a journaled entry's reply until it is sent (a no-op for input that was not journaled)."""
    if not reply:
        return
    now = now or utcnow()
    stmt = prepared(session, ("inbound_store_reply",), lambda _d: (
        update(T).where(T.c.platform == bindparam("b_platform"), T.c.event_id == bindparam("b_event_id"),
                        T.c.body != "")
        .values(reply=bindparam("b_reply", type_=T.c.reply.type), reply_state_id=bindparam("b_state"),
                lease_until=bindparam("b_lease"))))
    await core(session, stmt, {"b_platform": platform, "b_event_id": event_id[:256], "b_reply": reply,
                               "b_state": state_id, "b_lease": now + lease})


async def unsent_reply(session: AsyncSession, platform: str, event_id: str, lease: timedelta,
                       now: datetime | None = None) -> tuple[list, int | None] | None:
    """The reply of a finished entry that was never sent, once its lease ran out (the process that took it is
    gone), leased again for the caller; None when it was sent, or is still someone else's to send."""
    now = now or utcnow()
    res = await session.execute(
        update(T).where(T.c.platform == platform, T.c.event_id == event_id[:256], T.c.done_at.is_not(None),
                        T.c.reply.is_not(None), T.c.replied_at.is_(None),
                        or_(T.c.outcome == RESEND, T.c.lease_until.is_(None), T.c.lease_until < now))
        .values(lease_until=now + lease, outcome=InboundOutcome.DONE).returning(T.c.reply, T.c.reply_state_id))
    row = res.first()
    return (list(row[0]), row[1]) if row is not None else None


async def replied(session: AsyncSession, platform: str, event_id: str, now: datetime | None = None) -> None:
    stmt = prepared(session, ("inbound_replied",), lambda _d: (
        update(T).where(T.c.platform == bindparam("b_platform"), T.c.event_id == bindparam("b_event_id"),
                        T.c.replied_at.is_(None)).values(replied_at=bindparam("b_now"))))
    await core(session, stmt, {"b_platform": platform, "b_event_id": event_id[:256], "b_now": now or utcnow()})


async def replied_many(session: AsyncSession, keys: list[tuple[str, str]], now: datetime | None = None) -> None:
    """`replied` for several entries (platform, key) in one statement."""
    if len(keys) == 1:
        await replied(session, keys[0][0], keys[0][1], now=now)
        return
    wanted = sorted({(p, k[:256]) for p, k in keys})
    await session.execute(update(T).where(tuple_(T.c.platform, T.c.event_id).in_(wanted), T.c.replied_at.is_(None))
                          .values(replied_at=now or utcnow()))


async def finish(session: AsyncSession, platform: str, event_id: str, outcome: str = InboundOutcome.SKIPPED) -> bool:
    """Close an open entry without a turn; False when it was finished already."""
    stmt = prepared(session, ("inbound_finish",), _finish_stmt)
    res = await core(session, stmt, {"b_platform": platform, "b_event_id": event_id[:256], "b_now": utcnow(),
                                     "b_outcome": outcome})
    return bool(res.rowcount)


async def take_expired(session: AsyncSession, platforms: set[str], lease: timedelta, limit: int = 50,
                       now: datetime | None = None, skip: set[tuple[str, str]] | None = None) -> list[InboundEntry]:
    """Entries of `platforms` whose lease ran out - unfinished, or finished with their reply unsent - leased again
    (attempts + 1) for this caller; `skip` holds the (platform, key) the caller is still working on."""
    now = now or utcnow()
    if not platforms:
        return []
    E = InboundEntry
    expired = or_(E.lease_until.is_(None), E.lease_until < now)
    unfinished = and_(E.done_at.is_(None), expired)
    unsent = and_(E.replied_at.is_(None), E.reply.is_not(None), E.done_at.is_not(None), E.lease_until < now)
    q = (select(E).where(E.platform.in_(sorted(platforms)), or_(unfinished, unsent)).order_by(E.id).limit(limit))
    taken = []
    for entry in (await session.execute(q)).scalars().all():
        if skip and (entry.platform, entry.event_id) in skip:
            continue
        # Leased for this caller. A finished entry's unsent reply is marked "resend", which lets the replay's
        # own turn (or a platform retry, whichever comes first) take it in `unsent_reply`.
        res = await session.execute(
            update(E).where(E.id == entry.id, or_(unfinished, unsent))
            .values(lease_until=now + lease, attempts=E.attempts + 1,
                    outcome=case((E.done_at.is_not(None), RESEND), else_=E.outcome))
            .execution_options(synchronize_session=False))
        if res.rowcount:  # another process did not take it first
            entry.attempts += 1
            taken.append(entry)
    return taken


async def give_up(session: AsyncSession, entry_id: int) -> None:
    """Stop replaying an entry (or re-sending its reply) that failed every attempt."""
    now = utcnow()
    await session.execute(update(T).where(T.c.id == entry_id)
                          .values(done_at=func.coalesce(T.c.done_at, now), outcome=InboundOutcome.GIVEN_UP,
                                  replied_at=case((T.c.reply.is_not(None), func.coalesce(T.c.replied_at, now)),
                                                  else_=T.c.replied_at)))


async def open_count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(T).where(T.c.done_at.is_(None)))).scalar_one()


async def prune(session: AsyncSession, older_than: datetime, batch: int = 1000) -> int:
    """Delete up to `batch` finished entries finished before `older_than`; the caller loops until 0."""
    # Finished, and its reply sent (or none kept): an entry whose reply is still owed stays.
    ids = select(T.c.id).where(and_(T.c.done_at.is_not(None), T.c.done_at < older_than),
                               or_(T.c.reply.is_(None), T.c.replied_at.is_not(None))).limit(batch)
    res = await session.execute(delete(T).where(T.c.id.in_(ids.scalar_subquery())))
    return res.rowcount or 0
