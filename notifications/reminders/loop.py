"""The one sweep loop every batched reminder kind runs (reviews, conditions, scorecards, pilots in limbo, abandoned
intakes).

A kind supplies what differs: `select` reads up to `batch_size` due rows (locked or conditionally stamped, so two
processes never remind the same row), and `send` stamps them and adds its reminders and audit entries to the
`Batch`. The loop does the rest: one transaction per batch, the batch's outbox rows and audit entries written in
it (`Batch.flush`), at most `ROUNDS` batches per sweep (the rest waits for the next sweep), and the outbox
dispatcher woken when anything was queued.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.groups.effective import effective_policy
from notifications.reminders.common import Batch
from notifications.services import Services
from vocabulary.policy import Policy

ROUNDS = 50  # batches per sweep


@dataclass(frozen=True)
class ReminderKind:
    # (session, policy, now, limit) -> the rows due now, at most `limit`
    select: Callable[[AsyncSession, Policy, datetime, int], Awaitable[Sequence]]
    # (batch, rows) -> how many were reminded; stamps the rows and adds to the batch (not flushed)
    send: Callable[[Batch, Sequence], Awaitable[int]]
    batch_size: int = 100
    # read the review groups as changed in chat (conversations/groups/effective.py), not only the policy file's
    effective_policy: bool = False


async def sweep(services: Services, now: datetime, kind: ReminderKind) -> int:
    """Remind everything of `kind` that is due, a batch per transaction; returns how many were reminded."""
    total = 0
    for _ in range(ROUNDS):
        async with services.db.write() as s:
            policy = await effective_policy(s, services.policy) if kind.effective_policy else services.policy
            n, more = await run_batch(s, kind, policy, services.platforms, now)
        total += n
        if not more:
            break
    if total:
        services.wake()
    return total


async def run_batch(session: AsyncSession, kind: ReminderKind, policy: Policy, platforms: set[str],
                    now: datetime) -> tuple[int, bool]:
    """One batch in the caller's transaction: (how many were reminded, whether more may be due)."""
    due = await kind.select(session, policy, now, kind.batch_size)
    if not due:
        return 0, False
    batch = Batch(session, policy, platforms, now)
    done = await kind.send(batch, due)
    await batch.flush()
    return done, len(due) == kind.batch_size
