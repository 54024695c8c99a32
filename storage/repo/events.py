"""The inbound journal (table `inbound_entry`): accepted requests, their processing, and de-duplication.

- `record` writes a request before it is acknowledged (its own short transaction); a repeat of a known key
  changes nothing and says whether the first one is finished.
- `mark_processed` is the engine's de-duplication, run inside the turn's transaction: it finishes an open
  entry (True), or inserts a finished one for input that was never journaled (True), or finds it finished
  already (False: a repeat). Rolled back with the turn, so an entry is finished exactly when its effects are.
- `finish` closes an entry whose request needed no engine turn (a link button, channel chatter).
- `take_expired` leases unfinished entries whose lease ran out, for replay.
- `prune` deletes finished entries older than the retention, in batches.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import core, insert_ignore, prepared
from storage.tables import InboundEntry
from storage.types import utcnow

T = InboundEntry.__table__


@dataclass
class Recorded:
    new: bool  # first sight of this key
    done: bool  # the entry is finished (a repeat of something already processed)


async def record(session: AsyncSession, platform: str, event_id: str, *, body: str, content_type: str,
                 lease: timedelta, now: datetime | None = None) -> Recorded:
    now = now or utcnow()
    new = await insert_ignore(session, T, {"platform": platform, "event_id": event_id[:256], "body": body,
                                           "content_type": content_type[:64], "received_at": now,
                                           "lease_until": now + lease, "attempts": 1, "done_at": None,
                                           "outcome": ""}, ["platform", "event_id"], returning=None)
    if new:
        return Recorded(new=True, done=False)
    done_at = (await session.execute(select(T.c.done_at).where(T.c.platform == platform,
                                                               T.c.event_id == event_id[:256]))).scalar()
    return Recorded(new=False, done=done_at is not None)


def _finish_stmt(_dialect: str):
    return (update(T).where(T.c.platform == bindparam("b_platform"), T.c.event_id == bindparam("b_event_id"),
                            T.c.done_at.is_(None))
            .values(done_at=bindparam("b_now"), outcome=bindparam("b_outcome")))


async def mark_processed(session: AsyncSession, platform: str, event_id: str) -> bool:
    """True the first time an id is processed; False for a repeat. Rolled back with the caller's transaction."""
    now = utcnow()
    stmt = prepared(session, ("inbound_finish",), _finish_stmt)
    res = await core(session, stmt, {"b_platform": platform, "b_event_id": event_id[:256], "b_now": now,
                                     "b_outcome": "done"})
    if res.rowcount:
        return True
    new = await insert_ignore(session, T, {"platform": platform, "event_id": event_id[:256], "body": "",
                                           "content_type": "", "received_at": now, "lease_until": None,
                                           "attempts": 1, "done_at": now, "outcome": "done"},
                              ["platform", "event_id"], returning=None)
    return bool(new)


async def finish(session: AsyncSession, platform: str, event_id: str, outcome: str = "skipped") -> bool:
    """Close an open entry without a turn; False when it was finished already."""
    stmt = prepared(session, ("inbound_finish",), _finish_stmt)
    res = await core(session, stmt, {"b_platform": platform, "b_event_id": event_id[:256], "b_now": utcnow(),
                                     "b_outcome": outcome})
    return bool(res.rowcount)


async def take_expired(session: AsyncSession, platforms: set[str], lease: timedelta, limit: int = 50,
                       now: datetime | None = None) -> list[InboundEntry]:
    """Unfinished entries of `platforms` whose lease ran out, leased again (attempts + 1) for this caller."""
    now = now or utcnow()
    if not platforms:
        return []
    q = (select(InboundEntry).where(InboundEntry.done_at.is_(None), InboundEntry.platform.in_(sorted(platforms)),
                                    or_(InboundEntry.lease_until.is_(None), InboundEntry.lease_until < now))
         .order_by(InboundEntry.id).limit(limit))
    taken = []
    for entry in (await session.execute(q)).scalars().all():
        res = await session.execute(
            update(InboundEntry).where(InboundEntry.id == entry.id, InboundEntry.done_at.is_(None),
                                       or_(InboundEntry.lease_until.is_(None), InboundEntry.lease_until < now))
            .values(lease_until=now + lease, attempts=InboundEntry.attempts + 1)
            .execution_options(synchronize_session=False))
        if res.rowcount:  # another process did not take it first
            entry.attempts += 1
            taken.append(entry)
    return taken


async def give_up(session: AsyncSession, entry_id: int) -> None:
    await session.execute(update(InboundEntry).where(InboundEntry.id == entry_id, InboundEntry.done_at.is_(None))
                          .values(done_at=utcnow(), outcome="given_up").execution_options(synchronize_session=False))


async def open_count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(T).where(T.c.done_at.is_(None)))).scalar_one()


async def prune(session: AsyncSession, older_than: datetime, batch: int = 1000) -> int:
    """Delete up to `batch` finished entries finished before `older_than`; the caller loops until 0."""
    ids = select(T.c.id).where(and_(T.c.done_at.is_not(None), T.c.done_at < older_than)).limit(batch)
    res = await session.execute(delete(T).where(T.c.id.in_(ids.scalar_subquery())))
    return res.rowcount or 0
