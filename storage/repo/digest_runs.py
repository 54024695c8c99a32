"""Digest runs: one row per (digest, platform, channel, period), so each digest goes out once.

A process claims a run by inserting its row (the unique key refuses a second insert) with a lease; it then
builds the digest outside any transaction and, in one transaction, marks the run queued (only while it
still holds the claim) and writes the outbox row with a deterministic dedupe key. A process that dies after
claiming leaves a claim that expires; the next process to look takes it over.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import insert_ignore
from storage.tables import DigestRun, Outbox
from vocabulary.states import DigestRunStatus, OutboxStatus

DONE = (DigestRunStatus.QUEUED, DigestRunStatus.SENT)


async def claim(session: AsyncSession, *, key: str, platform: str, channel: str, period: str, worker: str,
                now: datetime, lease: timedelta, late: bool) -> int | None:
    """This process's claim on the run, or None when another process has it (or it was sent)."""
    rid = await insert_ignore(session, DigestRun.__table__, {
        "digest_key": key, "platform": platform, "channel": channel, "period": period,
        "status": DigestRunStatus.CLAIMED,
        "late": late, "claimed_by": worker, "claimed_until": now + lease, "snapshot": {}, "created_at": now,
    }, ["digest_key", "platform", "channel", "period"])
    if rid is not None:
        return rid
    res = await session.execute(
        update(DigestRun)
        .where(DigestRun.digest_key == key, DigestRun.platform == platform, DigestRun.channel == channel,
               DigestRun.period == period, DigestRun.status == DigestRunStatus.CLAIMED, DigestRun.claimed_until < now)
        .values(claimed_by=worker, claimed_until=now + lease, late=late)
        .returning(DigestRun.id))
    return res.scalar_one_or_none()


async def finish(session: AsyncSession, run_id: int, *, worker: str, snapshot: dict) -> bool:
    """Mark a claimed run queued; False when this process no longer holds the claim."""
    res = await session.execute(update(DigestRun)
                                .where(DigestRun.id == run_id, DigestRun.status == DigestRunStatus.CLAIMED,
                                       DigestRun.claimed_by == worker)
                                .values(status=DigestRunStatus.QUEUED, snapshot=snapshot, claimed_until=None))
    return bool(res.rowcount)


async def set_outbox(session: AsyncSession, run_id: int, outbox_id: int | None) -> None:
    await session.execute(update(DigestRun).where(DigestRun.id == run_id).values(outbox_id=outbox_id))


async def mark_sent(session: AsyncSession) -> int:
    """Queued runs whose outbox row went out are sent (their sent_at is the outbox's)."""
    sent = select(Outbox.sent_at).where(Outbox.id == DigestRun.outbox_id).scalar_subquery()
    res = await session.execute(
        update(DigestRun)
        .where(DigestRun.status == DigestRunStatus.QUEUED,
               exists().where(and_(Outbox.id == DigestRun.outbox_id, Outbox.status == OutboxStatus.SENT)))
        .values(status=DigestRunStatus.SENT, sent_at=sent)
        .execution_options(synchronize_session=False))
    return res.rowcount or 0


async def previous(session: AsyncSession, key: str, period: str) -> DigestRun | None:
    """The latest earlier run of this digest that went out (any channel): what "since the last digest" means."""
    q = (select(DigestRun).where(DigestRun.digest_key == key, DigestRun.period < period,
                                 DigestRun.status.in_(DONE))
         .order_by(DigestRun.period.desc(), DigestRun.id.desc()).limit(1))
    return (await session.execute(q)).scalar_one_or_none()


async def ever_sent(session: AsyncSession, key: str, platform: str, channel: str, before: str) -> bool:
    q = select(DigestRun.id).where(DigestRun.digest_key == key, DigestRun.platform == platform,
                                   DigestRun.channel == channel, DigestRun.period < before,
                                   DigestRun.status.in_(DONE)).limit(1)
    return (await session.execute(q)).first() is not None


async def taken(session: AsyncSession, key: str, period: str, now: datetime) -> set[tuple[str, str]]:
    """(platform, channel) pairs of this period already queued or sent, or claimed by a live claim."""
    q = select(DigestRun.platform, DigestRun.channel, DigestRun.status, DigestRun.claimed_until).where(
        DigestRun.digest_key == key, DigestRun.period == period)
    return {(p, c) for p, c, st, until in (await session.execute(q)).all()
            if st in DONE or (until is not None and until >= now)}


async def get(session: AsyncSession, run_id: int) -> DigestRun | None:
    return await session.get(DigestRun, run_id)


async def for_digest(session: AsyncSession, key: str) -> list[DigestRun]:
    q = select(DigestRun).where(DigestRun.digest_key == key).order_by(DigestRun.period, DigestRun.id)
    return list((await session.execute(q)).scalars().all())
