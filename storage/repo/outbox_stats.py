"""What the outbox holds, for metrics and shutdown: counts by platform and status, the oldest message due,
and handing back claims a stopping process will not use."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Outbox
from vocabulary.states import OutboxStatus


@dataclass
class OutboxStats:
    rows: dict[tuple[str, str], int] = field(default_factory=dict)  # (platform, status) -> count, not sent
    sent: dict[tuple[str, str], int] = field(default_factory=dict)  # (platform, purpose) -> count
    oldest_due: dict[str, datetime] = field(default_factory=dict)  # platform -> not_before of the oldest due


UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED, OutboxStatus.SNOOZED)


async def stats(session: AsyncSession, now: datetime, *, with_sent: bool = True) -> OutboxStats:
    """Counts by status (through the status index); `with_sent` adds the sent counts, which read every sent
    row (callers ask for them less often)."""
    out = OutboxStats()
    q = select(Outbox.platform, Outbox.status, func.count()).where(Outbox.status.in_(UNSENT)) \
        .group_by(Outbox.platform, Outbox.status)
    for platform, status, n in (await session.execute(q)).all():
        out.rows[(platform, status)] = n
    if with_sent:
        q = select(Outbox.platform, Outbox.purpose, func.count()).where(Outbox.status == OutboxStatus.SENT) \
            .group_by(Outbox.platform, Outbox.purpose)
        for platform, purpose, n in (await session.execute(q)).all():
            out.sent[(platform, purpose)] = n
    q = select(Outbox.platform, func.min(Outbox.not_before)) \
        .where(Outbox.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)), Outbox.not_before <= now) \
        .group_by(Outbox.platform)
    for platform, oldest in (await session.execute(q)).all():
        if oldest is not None:
            out.oldest_due[platform] = oldest
    return out


async def release_claims(session: AsyncSession, worker: str, *, keep: set[int] = frozenset()) -> int:
    """Hand rows this worker claimed but never started sending back to the queue (at shutdown), so another
    process sends them now rather than after the lease expires. Rows in `keep` (a send may be under way)
    are left to their lease."""
    q = update(Outbox).where(Outbox.claimed_by == worker, Outbox.status == OutboxStatus.SENDING)
    if keep:
        q = q.where(Outbox.id.not_in(keep))
    res = await session.execute(q.values(status=OutboxStatus.PENDING, claimed_until=None, claimed_by=None,
                                         attempts=Outbox.attempts - 1))
    return res.rowcount or 0
