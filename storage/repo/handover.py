"""What a person holds (use case roles, conditions, KPIs, risks, pending scorecards), and handing one item on."""
from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Condition, Kpi, RiskEntry, Scorecard, UseCase
from storage.types import utcnow
from vocabulary.states import CLOSED_USE_CASE, ConditionStatus, ScorecardStatus

ROLES = {"business_owner": "business owner", "delivery_owner": "delivery owner", "sponsor": "sponsor"}
MODELS = {"condition": Condition, "kpi": Kpi, "risk": RiskEntry}


async def roles(session: AsyncSession, person_id: int) -> list[tuple[UseCase, str]]:
    """(use case, role) for every live use case where the person is business owner, delivery owner or sponsor."""
    q = (select(UseCase).where(UseCase.status.not_in(CLOSED_USE_CASE),
                               or_(UseCase.business_owner_id == person_id, UseCase.delivery_owner_id == person_id,
                                   UseCase.sponsor_id == person_id)).order_by(UseCase.id))
    out = []
    for uc in (await session.execute(q)).scalars().all():
        for role in ROLES:
            if getattr(uc, f"{role}_id") == person_id:
                out.append((uc, role))
    return out


def _live(q, model):
    return q.join(UseCase, UseCase.id == model.use_case_id).where(UseCase.status.not_in(CLOSED_USE_CASE))


async def conditions(session: AsyncSession, person_id: int) -> list[Condition]:
    q = _live(select(Condition), Condition).where(Condition.owner_id == person_id,
                                                  Condition.status == ConditionStatus.OPEN)
    return list((await session.execute(q.order_by(Condition.id))).scalars().all())


async def kpis(session: AsyncSession, person_id: int) -> list[Kpi]:
    q = _live(select(Kpi), Kpi).where(Kpi.owner_id == person_id)
    return list((await session.execute(q.order_by(Kpi.id))).scalars().all())


async def risks(session: AsyncSession, person_id: int) -> list[RiskEntry]:
    q = _live(select(RiskEntry), RiskEntry).where(RiskEntry.owner_id == person_id, RiskEntry.status != "closed")
    return list((await session.execute(q.order_by(RiskEntry.id))).scalars().all())


async def pending_scorecards(session: AsyncSession, person_id: int) -> list[tuple[Scorecard, UseCase]]:
    """Scorecards still being filled in on live use cases the person owns (the owners answer them)."""
    q = (select(Scorecard, UseCase).join(UseCase, UseCase.id == Scorecard.use_case_id)
         .where(Scorecard.status == ScorecardStatus.IN_PROGRESS, UseCase.status.not_in(CLOSED_USE_CASE),
                or_(UseCase.business_owner_id == person_id, UseCase.delivery_owner_id == person_id,
                    Scorecard.started_by_id == person_id))
         .order_by(Scorecard.id))
    return [(sc, uc) for sc, uc in (await session.execute(q)).all()]


async def holder(session: AsyncSession, kind: str, ident: int) -> tuple[object | None, int | None]:
    """The item (a use case for a role) and who holds it now."""
    if kind in ROLES:
        uc = await session.get(UseCase, ident)
        return uc, getattr(uc, f"{kind}_id") if uc else None
    model = MODELS.get(kind)
    if model is None:
        return None, None
    row = await session.get(model, ident)
    return row, row.owner_id if row else None


async def reassign(session: AsyncSession, kind: str, ident: int, person_id: int) -> None:
    if kind in ROLES:
        await session.execute(update(UseCase).where(UseCase.id == ident)
                              .values(**{f"{kind}_id": person_id, "updated_at": utcnow(),
                                         "version": UseCase.version + 1}))
    else:
        model = MODELS[kind]
        await session.execute(update(model).where(model.id == ident).values(owner_id=person_id))
    await session.flush()
