"""Conditions attached to approvals: tracked until closed with evidence.

A condition is "draft" while the reviewer is still adding more of them (more
than fit one form); it becomes "open" when the approval is recorded, and
"closed" with an evidence note. Open conditions block the next gate.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.repo._sql import core
from storage.tables import Condition
from vocabulary.states import ConditionStatus

DRAFT, OPEN, CLOSED = ConditionStatus.DRAFT, ConditionStatus.OPEN, ConditionStatus.CLOSED

# What a review decision reads and writes, built once (storage/repo/_sql.py says why).
_OPEN_FOR = (select(Condition).where(Condition.use_case_id == bindparam("u"), Condition.status == OPEN)
             .order_by(Condition.due_date, Condition.id))
_FOR_REVIEWS = (select(Condition).where(Condition.review_id.in_(bindparam("ids", expanding=True)),
                                        Condition.status != DRAFT)
                .order_by(Condition.id).execution_options(populate_existing=True))
_CARD = (select(Condition).where(or_(and_(Condition.review_id == bindparam("r"), Condition.status != DRAFT),
                                    and_(Condition.use_case_id == bindparam("u"), Condition.status == OPEN)))
         .order_by(Condition.id).execution_options(populate_existing=True))
_BY_PERSON = (select(Condition).where(Condition.review_id == bindparam("r"), Condition.created_by_id == bindparam("p"),
                                      Condition.status.in_((DRAFT, OPEN)))
              .order_by(Condition.id).execution_options(populate_existing=True))
_DRAFTS = (select(Condition).where(Condition.review_id == bindparam("r"), Condition.created_by_id == bindparam("p"),
                                   Condition.status == DRAFT).order_by(Condition.id))
_T = Condition.__table__
_PUBLISH = (update(_T).where(_T.c.review_id == bindparam("r"), _T.c.created_by_id == bindparam("p"),
                             _T.c.status == DRAFT).values(status=OPEN, created_at=bindparam("at")))
_DISCARD = delete(_T).where(_T.c.review_id == bindparam("r"), _T.c.status == DRAFT)


async def create(session: AsyncSession, **fields) -> Condition:
    c = Condition(**fields)
    session.add(c)
    await session.flush()
    return c


async def get(session: AsyncSession, condition_id: int) -> Condition | None:
    q = select(Condition).where(Condition.id == condition_id).execution_options(populate_existing=True)
    return (await session.execute(q)).scalar_one_or_none()


async def open_for(session: AsyncSession, use_case_id: int) -> list[Condition]:
    return list((await session.execute(_OPEN_FOR, {"u": use_case_id})).scalars().all())


async def for_use_case(session: AsyncSession, use_case_id: int) -> list[Condition]:
    q = (select(Condition).where(Condition.use_case_id == use_case_id, Condition.status != DRAFT)
         .order_by(Condition.id))
    return list((await session.execute(q)).scalars().all())


async def for_reviews(session: AsyncSession, review_ids: list[int]) -> list[Condition]:
    if not review_ids:
        return []
    return list((await session.execute(_FOR_REVIEWS, {"ids": list(review_ids)})).scalars().all())


async def for_card(session: AsyncSession, review_id: int, use_case_id: int
                   ) -> tuple[list[Condition], list[Condition]]:
    """In one statement: the review's own conditions (`for_reviews`) and the use case's open ones (`open_for`),
    each in the order those give."""
    rows = list((await session.execute(_CARD, {"r": review_id, "u": use_case_id})).scalars().all())
    own = [c for c in rows if c.review_id == review_id and c.status != DRAFT]
    open_ = sorted((c for c in rows if c.use_case_id == use_case_id and c.status == OPEN),
                   key=lambda c: (c.due_date, c.id))
    return own, open_


async def of_person(session: AsyncSession, review_id: int, person_id: int
                    ) -> tuple[list[Condition], list[Condition]]:
    """In one statement: this person's drafts on the review (`drafts`), and the open conditions they added to it."""
    rows = list((await session.execute(_BY_PERSON, {"r": review_id, "p": person_id})).scalars().all())
    return [c for c in rows if c.status == DRAFT], [c for c in rows if c.status == OPEN]


async def drafts(session: AsyncSession, review_id: int, person_id: int) -> list[Condition]:
    return list((await session.execute(_DRAFTS, {"r": review_id, "p": person_id})).scalars().all())


async def publish_drafts(session: AsyncSession, review_id: int, person_id: int, at: datetime) -> None:
    res = await core(session, _PUBLISH, {"r": review_id, "p": person_id, "at": at})
    if res.rowcount:  # the session's copies of those drafts are stale now: re-read wherever they are used
        for obj in list(session.sync_session.identity_map.values()):
            if isinstance(obj, Condition) and obj.review_id == review_id and obj.created_by_id == person_id \
                    and obj.status == DRAFT:
                set_committed_value(obj, "status", OPEN)
                set_committed_value(obj, "created_at", at)


async def discard_drafts(session: AsyncSession, review_id: int) -> None:
    res = await core(session, _DISCARD, {"r": review_id})
    if res.rowcount:  # the session's copies of the deleted drafts go with them
        for obj in list(session.sync_session.identity_map.values()):
            if isinstance(obj, Condition) and obj.review_id == review_id and obj.status == DRAFT:
                session.expunge(obj)


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
