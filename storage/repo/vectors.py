"""Use case vectors (the similar-ideas check) and the answers proposers gave to its notices."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import SimilarAnswer, UseCase, UseCaseVector
from storage.types import utcnow
from vocabulary.states import CLOSED_USE_CASE


async def put(session: AsyncSession, use_case_id: int, *, model: str, dim: int, vector: bytes, text_hash: str,
              at: datetime | None = None) -> None:
    """Store (replace) a use case's vector. The row gets a new, higher id, which readers use to catch up."""
    await session.execute(delete(UseCaseVector).where(UseCaseVector.use_case_id == use_case_id))
    session.add(UseCaseVector(use_case_id=use_case_id, model=model, dim=dim, vector=vector, text_hash=text_hash,
                              computed_at=at or utcnow()))
    await session.flush()


async def marker(session: AsyncSession, model: str) -> tuple:
    """(highest row id of this model, that row's use case and text hash), read from the index alone: a cache
    holding the same tuple is up to date. A write always adds a row with a higher id (a replaced vector is
    deleted and inserted again), and the use case and hash tell an id reused after a rollback or a wiped
    database."""
    top = (await session.execute(select(func.max(UseCaseVector.id)).where(UseCaseVector.model == model))).scalar()
    if not top:
        return 0, 0, ""
    row = (await session.execute(select(UseCaseVector.use_case_id, UseCaseVector.text_hash)
                                 .where(UseCaseVector.id == top))).one_or_none()
    return int(top), *(tuple(row) if row else (0, ""))


async def count(session: AsyncSession, model: str) -> int:
    q = select(func.count()).select_from(UseCaseVector).where(UseCaseVector.model == model)
    return int((await session.execute(q)).scalar_one())


async def rows_after(session: AsyncSession, model: str, after_id: int) -> list[tuple[int, int, bytes]]:
    """(row id, use case id, vector) of this model's rows with an id above `after_id`, in id order."""
    q = (select(UseCaseVector.id, UseCaseVector.use_case_id, UseCaseVector.vector)
         .where(UseCaseVector.model == model, UseCaseVector.id > after_id).order_by(UseCaseVector.id))
    return [tuple(r) for r in (await session.execute(q)).all()]


async def hashes(session: AsyncSession, model: str) -> dict[int, str]:
    q = select(UseCaseVector.use_case_id, UseCaseVector.text_hash).where(UseCaseVector.model == model)
    return {a: b for a, b in (await session.execute(q)).all()}


async def texts(session: AsyncSession, *, after_id: int = 0, limit: int | None = None) -> list[tuple]:
    """(id, title, problem, outcome) of every use case above `after_id`, in id order."""
    q = (select(UseCase.id, UseCase.title, UseCase.problem, UseCase.outcome)
         .where(UseCase.id > after_id).order_by(UseCase.id))
    if limit:
        q = q.limit(limit)
    return [tuple(r) for r in (await session.execute(q)).all()]


async def count_use_cases(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(UseCase))).scalar_one())


async def missing(session: AsyncSession, model: str, limit: int) -> list[tuple]:
    """(id, title, problem, outcome) of use cases with no vector of this model (imported, or the model changed)."""
    have = select(UseCaseVector.use_case_id).where(UseCaseVector.model == model)
    q = (select(UseCase.id, UseCase.title, UseCase.problem, UseCase.outcome)
         .where(UseCase.id.not_in(have)).order_by(UseCase.id).limit(limit))
    return [tuple(r) for r in (await session.execute(q)).all()]


async def count_missing(session: AsyncSession, model: str) -> int:
    have = select(UseCaseVector.use_case_id).where(UseCaseVector.model == model)
    q = select(func.count()).select_from(UseCase).where(UseCase.id.not_in(have))
    return int((await session.execute(q)).scalar_one())


async def live_rows(session: AsyncSession, ids: list[int]) -> dict[int, tuple]:
    """id -> (title, restricted, status) for these use cases that are still open."""
    if not ids:
        return {}
    q = (select(UseCase.id, UseCase.title, UseCase.restricted, UseCase.status)
         .where(UseCase.id.in_(ids), UseCase.status.not_in(CLOSED_USE_CASE)))
    return {r[0]: (r[1], r[2], r[3]) for r in (await session.execute(q)).all()}


async def record_answers(session: AsyncSession, rows: list[dict]) -> None:
    """Record a proposer's answer to a notice; an earlier answer in the same intake is replaced."""
    if not rows:
        return
    await session.execute(delete(SimilarAnswer).where(SimilarAnswer.intake_key == rows[0]["intake_key"]))
    for r in rows:
        session.add(SimilarAnswer(**r))
    await session.flush()


async def answers(session: AsyncSession) -> list[SimilarAnswer]:
    q = select(SimilarAnswer).order_by(SimilarAnswer.at, SimilarAnswer.id)
    return list((await session.execute(q)).scalars().all())


async def texts_of(session: AsyncSession, ids: list[int]) -> list[tuple]:
    """(id, title, problem, outcome) of these use cases."""
    if not ids:
        return []
    q = select(UseCase.id, UseCase.title, UseCase.problem, UseCase.outcome).where(UseCase.id.in_(ids))
    return [tuple(r) for r in (await session.execute(q)).all()]


async def delete_other_models(session: AsyncSession, model: str) -> int:
    res = await session.execute(delete(UseCaseVector).where(UseCaseVector.model != model))
    return res.rowcount or 0


async def written_since(session: AsyncSession, model: str, since: datetime) -> list[int]:
    """Use cases whose vector was computed at or after `since` (new or edited ideas)."""
    q = select(UseCaseVector.use_case_id).where(UseCaseVector.model == model, UseCaseVector.computed_at >= since)
    return list((await session.execute(q)).scalars().all())


async def pair_rows(session: AsyncSession, ids: list[int]) -> dict[int, tuple]:
    """id -> (title, restricted, linked_to_id) of these use cases, when open."""
    if not ids:
        return {}
    q = (select(UseCase.id, UseCase.title, UseCase.restricted, UseCase.linked_to_id)
         .where(UseCase.id.in_(ids), UseCase.status.not_in(CLOSED_USE_CASE)))
    return {r[0]: (r[1], bool(r[2]), r[3]) for r in (await session.execute(q)).all()}
