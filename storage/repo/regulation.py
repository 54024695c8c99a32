"""EU AI Act obligations and the evidence the framework views read (the only SQL for them)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import AiActObligation, AuditEntry, GateRequest, Incident, Kpi, UseCase

OPEN = "open"


async def obligations(session: AsyncSession, use_case_id: int, *, include_withdrawn: bool = False
                      ) -> list[AiActObligation]:
    q = select(AiActObligation).where(AiActObligation.use_case_id == use_case_id)
    if not include_withdrawn:
        q = q.where(AiActObligation.status != "withdrawn")
    return list((await session.execute(q.order_by(AiActObligation.id))).scalars().all())


async def add_obligation(session: AsyncSession, **fields) -> AiActObligation:
    row = AiActObligation(**fields)
    session.add(row)
    await session.flush()
    return row


async def set_obligation(session: AsyncSession, obligation_id: int, *, only_if: tuple[str, ...], **values) -> bool:
    q = (update(AiActObligation).where(AiActObligation.id == obligation_id, AiActObligation.status.in_(only_if))
         .values(**values))
    return (await session.execute(q)).rowcount == 1


async def open_counts(session: AsyncSession) -> dict[int, int]:
    """Open obligations per use case, across the portfolio."""
    q = (select(AiActObligation.use_case_id, func.count()).where(AiActObligation.status == OPEN)
         .group_by(AiActObligation.use_case_id))
    return {uc: n for uc, n in (await session.execute(q)).all()}


async def classified_use_cases(session: AsyncSession, classes: tuple[str, ...] | None = None,
                               use_case_id: int | None = None) -> list[UseCase]:
    q = select(UseCase).where(UseCase.status.notin_(("withdrawn",)))
    if classes is not None:
        q = q.where(UseCase.ai_act_class.in_(classes))
    if use_case_id is not None:
        q = q.where(UseCase.id == use_case_id)
    return list((await session.execute(q.order_by(UseCase.id))).scalars().all())


async def audit_trail(session: AsyncSession, use_case_id: int) -> list[AuditEntry]:
    q = select(AuditEntry).where(AuditEntry.use_case_id == use_case_id).order_by(AuditEntry.seq)
    return list((await session.execute(q)).scalars().all())


async def passed_gates(session: AsyncSession, use_case_id: int) -> list[GateRequest]:
    q = (select(GateRequest).where(GateRequest.use_case_id == use_case_id, GateRequest.status == "passed")
         .order_by(GateRequest.id))
    return list((await session.execute(q)).scalars().all())


async def kpis_with_baselines(session: AsyncSession, use_case_id: int) -> list[Kpi]:
    q = select(Kpi).where(Kpi.use_case_id == use_case_id, Kpi.active.is_(True)).order_by(Kpi.id)
    return list((await session.execute(q)).scalars().all())


async def incidents(session: AsyncSession, use_case_id: int) -> list[Incident]:
    q = select(Incident).where(Incident.use_case_id == use_case_id).order_by(Incident.id)
    return list((await session.execute(q)).scalars().all())


def closed_at_order(rows: list[AiActObligation]) -> datetime | None:
    times = [r.closed_at for r in rows if r.closed_at]
    return max(times) if times else None
