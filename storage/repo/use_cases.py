"""Use cases: create, read, list and update."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import StageChange, UseCase, UseCaseContributor
from storage.types import utcnow
from vocabulary.states import CLOSED_USE_CASE


async def get(session: AsyncSession, use_case_id: int) -> UseCase | None:
    return await session.get(UseCase, use_case_id)


async def create(session: AsyncSession, **fields) -> UseCase:
    uc = UseCase(**fields)
    session.add(uc)
    await session.flush()
    session.add(StageChange(use_case_id=uc.id, from_stage=None, to_stage=uc.stage, kind="created",
                            by_person_id=uc.proposer_id, at=uc.created_at))
    await session.flush()
    return uc


async def update_fields(session: AsyncSession, use_case_id: int, bump_version: bool = True, **fields) -> None:
    values = dict(fields)
    values["updated_at"] = utcnow()
    if bump_version:
        values["version"] = UseCase.version + 1
    await session.execute(update(UseCase).where(UseCase.id == use_case_id).values(**values))


def _involving(person_id: int):
    contributor = select(UseCaseContributor.use_case_id).where(UseCaseContributor.person_id == person_id)
    return or_(UseCase.proposer_id == person_id, UseCase.business_owner_id == person_id,
               UseCase.delivery_owner_id == person_id, UseCase.sponsor_id == person_id,
               UseCase.id.in_(contributor))


async def for_person(session: AsyncSession, person_id: int, *, include_closed: bool = False,
                     limit: int = 50) -> list[UseCase]:
    q = select(UseCase).where(_involving(person_id))
    if not include_closed:
        q = q.where(UseCase.status.not_in(CLOSED_USE_CASE))
    q = q.order_by(UseCase.updated_at.desc()).limit(limit)
    return list((await session.execute(q)).scalars().all())


async def similarity_candidates(session: AsyncSession, *, limit: int = 5000) -> list[tuple]:
    """(id, title, problem, outcome, restricted, business_owner_id, delivery_owner_id) of live use cases."""
    q = (select(UseCase.id, UseCase.title, UseCase.problem, UseCase.outcome, UseCase.restricted,
                UseCase.business_owner_id, UseCase.delivery_owner_id)
         .where(UseCase.status.not_in(CLOSED_USE_CASE))
         .order_by(UseCase.id.desc()).limit(limit))
    return [tuple(r) for r in (await session.execute(q)).all()]


async def add_contributor(session: AsyncSession, use_case_id: int, person_id: int, role: str = "contributor") -> None:
    from storage.repo._sql import insert_ignore

    await insert_ignore(session, UseCaseContributor.__table__,
                        {"use_case_id": use_case_id, "person_id": person_id, "role": role, "created_at": utcnow()},
                        ["use_case_id", "person_id"], returning=None)


async def contributors(session: AsyncSession, use_case_id: int) -> list[int]:
    q = select(UseCaseContributor.person_id).where(UseCaseContributor.use_case_id == use_case_id)
    return list((await session.execute(q)).scalars().all())


async def record_stage_change(session: AsyncSession, *, use_case_id: int, from_stage: str | None, to_stage: str,
                              kind: str, reason: str = "", by_person_id: int | None = None,
                              gate_request_id: int | None = None, at: datetime | None = None) -> None:
    session.add(StageChange(use_case_id=use_case_id, from_stage=from_stage, to_stage=to_stage, kind=kind,
                            reason=reason, by_person_id=by_person_id, gate_request_id=gate_request_id,
                            at=at or utcnow()))
    await session.flush()


async def stage_history(session: AsyncSession, use_case_id: int) -> list[StageChange]:
    q = select(StageChange).where(StageChange.use_case_id == use_case_id).order_by(StageChange.at, StageChange.id)
    return list((await session.execute(q)).scalars().all())
