"""EU AI Act obligations and the evidence the framework views read (the only SQL for them)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import AiActObligation, AuditEntry, GateRequest, Incident, Kpi, UseCase
from vocabulary.states import LIVE_USE_CASE, GateStatus, ObligationStatus, UseCaseStatus

OPEN = ObligationStatus.OPEN


async def obligations(session: AsyncSession, use_case_id: int, *, include_withdrawn: bool = False
                      ) -> list[AiActObligation]:
    q = select(AiActObligation).where(AiActObligation.use_case_id == use_case_id)
    if not include_withdrawn:
        q = q.where(AiActObligation.status != ObligationStatus.WITHDRAWN)
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
    q = select(UseCase).where(UseCase.status.notin_((UseCaseStatus.WITHDRAWN,)))
    if classes is not None:
        q = q.where(UseCase.ai_act_class.in_(classes))
    if use_case_id is not None:
        q = q.where(UseCase.id == use_case_id)
    return list((await session.execute(q.order_by(UseCase.id))).scalars().all())


async def audit_trail(session: AsyncSession, use_case_id: int) -> list[AuditEntry]:
    q = select(AuditEntry).where(AuditEntry.use_case_id == use_case_id).order_by(AuditEntry.seq)
    return list((await session.execute(q)).scalars().all())


async def passed_gates(session: AsyncSession, use_case_id: int) -> list[GateRequest]:
    q = (select(GateRequest).where(GateRequest.use_case_id == use_case_id, GateRequest.status == GateStatus.PASSED)
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


# -- the digest ----------------------------------------------------------------------------------


async def digest_summary(session: AsyncSession, n: int, visible: bool) -> dict:
    """Live use cases by EU AI Act classification; obligations closed of all (not withdrawn); and the top n
    high-risk use cases with open obligations, most open first: (id, title, open, total). Restricted use cases
    count everywhere but are listed only when `visible`."""
    by_class = {cls: k for cls, k in (await session.execute(
        select(UseCase.ai_act_class, func.count()).where(UseCase.status.in_(LIVE_USE_CASE))
        .group_by(UseCase.ai_act_class))).all()}
    live_ob = (select(AiActObligation.status, func.count()).join(UseCase, UseCase.id == AiActObligation.use_case_id)
               .where(UseCase.status.in_(LIVE_USE_CASE), AiActObligation.status != ObligationStatus.WITHDRAWN)
               .group_by(AiActObligation.status))
    counts = {st: k for st, k in (await session.execute(live_ob)).all()}
    open_n = func.sum(case((AiActObligation.status == OPEN, 1), else_=0))
    q = (select(UseCase.id, UseCase.title, open_n, func.count())
         .join(AiActObligation, AiActObligation.use_case_id == UseCase.id)
         .where(UseCase.status.in_(LIVE_USE_CASE), UseCase.ai_act_class == "high_risk",
                AiActObligation.status != ObligationStatus.WITHDRAWN)
         .group_by(UseCase.id, UseCase.title).having(open_n > 0))
    if not visible:
        q = q.where(UseCase.restricted.is_(False))
    listed = [tuple(r) for r in (await session.execute(q.order_by(open_n.desc(), UseCase.id).limit(n))).all()]
    high_open = (select(func.count(func.distinct(AiActObligation.use_case_id)))
                 .join(UseCase, UseCase.id == AiActObligation.use_case_id)
                 .where(UseCase.status.in_(LIVE_USE_CASE), UseCase.ai_act_class == "high_risk",
                        AiActObligation.status == OPEN))
    return {"by_class": by_class, "done": counts.get("done", 0), "total": sum(counts.values()),
            "high_risk_open": (await session.execute(high_open)).scalar_one(), "listed": listed}
