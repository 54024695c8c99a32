"""Readiness drops (storage/tables/readiness.py): recorded on a re-score, listed by the digest and status."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import ReadinessDrop, Scorecard, UseCase


async def previous_attempt(session: AsyncSession, use_case_id: int, instrument: str, attempt: int) -> Scorecard | None:
    q = select(Scorecard).where(Scorecard.use_case_id == use_case_id, Scorecard.instrument == instrument,
                                Scorecard.attempt < attempt).order_by(Scorecard.attempt.desc()).limit(1)
    return (await session.execute(q)).scalar_one_or_none()


async def add(session: AsyncSession, **values) -> ReadinessDrop:
    row = ReadinessDrop(**values)
    session.add(row)
    await session.flush()
    return row


async def latest_for(session: AsyncSession, use_case_id: int) -> ReadinessDrop | None:
    q = (select(ReadinessDrop).where(ReadinessDrop.use_case_id == use_case_id)
         .order_by(ReadinessDrop.at.desc(), ReadinessDrop.id.desc()).limit(1))
    return (await session.execute(q)).scalar_one_or_none()


async def since(session: AsyncSession, since: datetime, n: int, visible: bool) -> tuple[int, list[tuple]]:
    """(count, [(use case id, title, stage, total, band, before total, before band)]) of drops after `since`,
    newest first; the latest drop of each use case only. `visible` False leaves restricted use cases out of
    the rows (they still count)."""
    latest = (select(func.max(ReadinessDrop.id).label("id")).where(ReadinessDrop.at > since)
              .group_by(ReadinessDrop.use_case_id).subquery())
    (count,) = (await session.execute(select(func.count()).select_from(latest))).one()
    q = (select(UseCase.id, UseCase.title, ReadinessDrop.stage, ReadinessDrop.total, ReadinessDrop.band,
                ReadinessDrop.before_total, ReadinessDrop.before_band)
         .join(latest, latest.c.id == ReadinessDrop.id).join(UseCase, UseCase.id == ReadinessDrop.use_case_id)
         .order_by(ReadinessDrop.at.desc(), ReadinessDrop.id.desc()).limit(n))
    if not visible:
        q = q.where(UseCase.restricted.is_(False))
    return count, [tuple(r) for r in (await session.execute(q)).all()]
