"""Conditions attached to approvals: tracked until closed with evidence.

A condition is "draft" while the reviewer is still adding more of them (more
than fit one form); it becomes "open" when the approval is recorded, and
"closed" with an evidence note. Open conditions block the next gate.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Condition
from vocabulary.states import ConditionStatus

DRAFT, OPEN, CLOSED = ConditionStatus.DRAFT, ConditionStatus.OPEN, ConditionStatus.CLOSED


async def create(session: AsyncSession, **fields) -> Condition:
    c = Condition(**fields)
    session.add(c)
    await session.flush()
    return c


async def get(session: AsyncSession, condition_id: int) -> Condition | None:
    q = select(Condition).where(Condition.id == condition_id).execution_options(populate_existing=True)
    return (await session.execute(q)).scalar_one_or_none()


async def open_for(session: AsyncSession, use_case_id: int) -> list[Condition]:
    q = (select(Condition).where(Condition.use_case_id == use_case_id, Condition.status == OPEN)
         .order_by(Condition.due_date, Condition.id))
    return list((await session.execute(q)).scalars().all())


async def for_use_case(session: AsyncSession, use_case_id: int) -> list[Condition]:
    q = (select(Condition).where(Condition.use_case_id == use_case_id, Condition.status != DRAFT)
         .order_by(Condition.id))
    return list((await session.execute(q)).scalars().all())


async def for_reviews(session: AsyncSession, review_ids: list[int]) -> list[Condition]:
    if not review_ids:
        return []
    q = (select(Condition).where(Condition.review_id.in_(review_ids), Condition.status != DRAFT)
         .order_by(Condition.id).execution_options(populate_existing=True))
    return list((await session.execute(q)).scalars().all())


async def drafts(session: AsyncSession, review_id: int, person_id: int) -> list[Condition]:
    q = select(Condition).where(Condition.review_id == review_id, Condition.created_by_id == person_id,
                                Condition.status == DRAFT).order_by(Condition.id)
    return list((await session.execute(q)).scalars().all())


async def publish_drafts(session: AsyncSession, review_id: int, person_id: int, at: datetime) -> None:
    await session.execute(update(Condition).where(Condition.review_id == review_id,
                                                  Condition.created_by_id == person_id, Condition.status == DRAFT)
                          .values(status=OPEN, created_at=at))


async def discard_drafts(session: AsyncSession, review_id: int) -> None:
    await session.execute(delete(Condition).where(Condition.review_id == review_id, Condition.status == DRAFT))


async def close(session: AsyncSession, condition_id: int, *, by: int, evidence: str, at: datetime) -> bool:
    """Close an open condition; False when it was not open (closed already, by someone else)."""
    res = await session.execute(update(Condition).where(Condition.id == condition_id, Condition.status == OPEN)
                                .values(status=CLOSED, evidence=evidence, closed_by_id=by, closed_at=at))
    return bool(res.rowcount)


async def due_by(session: AsyncSession, day: date, limit: int = 500) -> list[Condition]:
    """Open conditions due on or before `day` (for reminders), earliest first."""
    q = (select(Condition).where(Condition.status == OPEN, Condition.due_date <= day)
         .order_by(Condition.due_date, Condition.id).limit(limit))
    return list((await session.execute(q)).scalars().all())


async def owned_by(session: AsyncSession, person_id: int, limit: int = 50) -> list[Condition]:
    q = (select(Condition).where(Condition.owner_id == person_id, Condition.status == OPEN)
         .order_by(Condition.due_date, Condition.id).limit(limit))
    return list((await session.execute(q)).scalars().all())
