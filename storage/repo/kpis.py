"""KPIs and their time series: data access only (the rules live in vocabulary/rules/kpis.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import dialect
from storage.tables import Kpi, KpiValue, Person, UseCase
from vocabulary.states import UseCaseStatus


async def create(session: AsyncSession, **fields) -> Kpi:
    kpi = Kpi(**fields)
    session.add(kpi)
    await session.flush()
    return kpi


async def get(session: AsyncSession, kpi_id: int) -> Kpi | None:
    return await session.get(Kpi, kpi_id)


async def for_use_case(session: AsyncSession, use_case_id: int, *, active_only: bool = True) -> list[Kpi]:
    q = select(Kpi).where(Kpi.use_case_id == use_case_id)
    if active_only:
        q = q.where(Kpi.active.is_(True))
    return list((await session.execute(q.order_by(Kpi.id))).scalars().all())


async def count_defined(session: AsyncSession, use_case_id: int) -> int:
    """Active KPIs of a use case (each has a baseline: the column is required). For the kpis_defined gate."""
    q = select(func.count()).select_from(Kpi).where(Kpi.use_case_id == use_case_id, Kpi.active.is_(True))
    return (await session.execute(q)).scalar_one()


async def recent_values(session: AsyncSession, kpi_ids: list[int], per_kpi: int = 3) -> dict[int, list[float]]:
    """The last `per_kpi` values of each KPI, oldest first (one query for any number of KPIs)."""
    if not kpi_ids:
        return {}
    rn = func.row_number().over(partition_by=KpiValue.kpi_id,
                                order_by=(KpiValue.at.desc(), KpiValue.id.desc())).label("rn")
    inner = select(KpiValue.kpi_id, KpiValue.value, KpiValue.at, KpiValue.id, rn) \
        .where(KpiValue.kpi_id.in_(kpi_ids)).subquery()
    q = select(inner.c.kpi_id, inner.c.value).where(inner.c.rn <= per_kpi) \
        .order_by(inner.c.kpi_id, inner.c.at, inner.c.id)
    out: dict[int, list[float]] = {k: [] for k in kpi_ids}
    for kpi_id, value in (await session.execute(q)).all():
        out[kpi_id].append(value)
    return out


async def series(session: AsyncSession, kpi_id: int, limit: int = 500) -> list[KpiValue]:
    q = select(KpiValue).where(KpiValue.kpi_id == kpi_id).order_by(KpiValue.at.desc(), KpiValue.id.desc()) \
        .limit(limit)
    return list(reversed((await session.execute(q)).scalars().all()))


async def record_value(session: AsyncSession, *, kpi_id: int, value: float, at: datetime, by_person_id: int | None,
                       next_due_at: datetime) -> None:
    session.add(KpiValue(kpi_id=kpi_id, value=value, at=at, reported_by_id=by_person_id))
    await session.execute(update(Kpi).where(Kpi.id == kpi_id)
                          .values(last_value=value, last_value_at=at, next_due_at=next_due_at))
    await session.flush()


async def change(session: AsyncSession, kpi_id: int, **values) -> None:
    """Change a KPI's definition (target, baseline, cadence, owner, active...): the chat's kpi change."""
    await session.execute(update(Kpi).where(Kpi.id == kpi_id).values(**values))
    await session.flush()


async def move_due(session: AsyncSession, kpi_id: int, *, expected: datetime | None, next_due_at: datetime) -> bool:
    """Move the due date on, only if nobody else moved it first (a skip clicked twice moves it once)."""
    res = await session.execute(update(Kpi).where(Kpi.id == kpi_id, Kpi.next_due_at == expected)
                                .values(next_due_at=next_due_at))
    return bool(res.rowcount)


async def set_flag(session: AsyncSession, kpi_id: int, *, at: datetime, reason: str) -> bool:
    """Start a flag episode; False when the KPI is already flagged (the owners were told then)."""
    res = await session.execute(update(Kpi).where(Kpi.id == kpi_id, Kpi.flagged_at.is_(None))
                                .values(flagged_at=at, flag_reason=reason))
    return bool(res.rowcount)


async def clear_flag(session: AsyncSession, kpi_id: int) -> bool:
    res = await session.execute(update(Kpi).where(Kpi.id == kpi_id, Kpi.flagged_at.is_not(None))
                                .values(flagged_at=None, flag_reason=""))
    return bool(res.rowcount)


def _live():
    return and_(Kpi.active.is_(True), UseCase.status == UseCaseStatus.ACTIVE)


async def due_for_prompt(session: AsyncSession, now: datetime, cadence_days: dict[str, int],
                         limit: int = 500) -> list[Kpi]:
    """KPIs whose value is due and whose owner has not been asked for this period yet.

    Asked for this period: last_prompt_at >= next_due_at. A period that ended unanswered
    (next_due_at + one cadence <= now) is due again: the sweep moves the due date on and asks once more.
    A KPI with nobody to ask (no KPI owner, no delivery or business owner) is not due: it is left unstamped,
    so the period counts as asked only once someone is named and asked.
    Reads only rows with next_due_at <= now (index ix_kpi_due), one query per cadence.
    """
    out: list[Kpi] = []
    someone = or_(Kpi.owner_id.is_not(None), UseCase.delivery_owner_id.is_not(None),
                  UseCase.business_owner_id.is_not(None))
    for cadence, days in cadence_days.items():
        ended = now - timedelta(days=days)
        q = (select(Kpi).join(UseCase, UseCase.id == Kpi.use_case_id)
             .where(_live(), someone, Kpi.cadence == cadence, Kpi.next_due_at <= now,
                    or_(Kpi.last_prompt_at.is_(None), Kpi.last_prompt_at < Kpi.next_due_at,
                        Kpi.next_due_at <= ended))
             .order_by(Kpi.next_due_at, Kpi.id).limit(limit))
        if dialect(session) == "postgresql":
            q = q.with_for_update(of=Kpi, skip_locked=True)
        out.extend((await session.execute(q)).scalars().all())
    return out


async def claim_prompt(session: AsyncSession, kpi: Kpi, *, now: datetime, due: datetime) -> bool:
    """Stamp the prompt (and the period it asks about) unless another process did it first."""
    res = await session.execute(
        update(Kpi).where(Kpi.id == kpi.id, Kpi.next_due_at == kpi.next_due_at,
                          or_(Kpi.last_prompt_at.is_(None), Kpi.last_prompt_at == kpi.last_prompt_at))
        .values(last_prompt_at=now, next_due_at=due))
    return bool(res.rowcount)


async def not_reported_candidates(session: AsyncSession, now: datetime, cadence_days: dict[str, int],
                                  limit_cadences: int, limit: int = 500) -> list[Kpi]:
    """Unflagged live KPIs with no value for `limit_cadences` whole cadences (since defined, if never)."""
    out: list[Kpi] = []
    for cadence, days in cadence_days.items():
        cutoff = now - timedelta(days=days * limit_cadences)
        reported = func.coalesce(Kpi.last_value_at, Kpi.created_at)
        q = (select(Kpi).join(UseCase, UseCase.id == Kpi.use_case_id)
             .where(_live(), Kpi.cadence == cadence, Kpi.flagged_at.is_(None), Kpi.next_due_at <= now,
                    reported <= cutoff)
             .order_by(Kpi.id).limit(limit))
        out.extend((await session.execute(q)).scalars().all())
    return out


@dataclass(frozen=True)
class FlaggedKpi:
    kpi_id: int
    use_case_id: int
    use_case_title: str
    name: str
    layer: str
    unit: str
    baseline: float
    target: float
    direction: str
    last_value: float | None
    last_value_at: datetime | None
    owner_id: int | None
    flagged_at: datetime
    reason: str  # moving_away | not_reported
    owner_name: str = ""  # display name, else email ("" when the KPI has no owner)


async def flagged_kpis(session: AsyncSession, now: datetime | None = None, *, limit: int = 1000,
                       visible: bool = True, today: date | None = None) -> list[FlaggedKpi]:
    """Flagged KPIs of live use cases, oldest flag first, with their owner's name (the digest names the top N;
    `visible` False leaves restricted use cases out; `now` is accepted for symmetry)."""
    from storage.repo.absences import owner_name

    q = (select(Kpi, UseCase.title, owner_name(Kpi.owner_id, today), Person.email)
         .join(UseCase, UseCase.id == Kpi.use_case_id).outerjoin(Person, Person.id == Kpi.owner_id)
         .where(_live(), Kpi.flagged_at.is_not(None)))
    if not visible:
        q = q.where(UseCase.restricted.is_(False))
    q = q.order_by(Kpi.flagged_at, Kpi.id).limit(limit)
    out = []
    for k, title, name, email in (await session.execute(q)).all():
        out.append(FlaggedKpi(kpi_id=k.id, use_case_id=k.use_case_id, use_case_title=title, name=k.name,
                              layer=k.layer, unit=k.unit, baseline=k.baseline, target=k.target,
                              direction=k.direction, last_value=k.last_value, last_value_at=k.last_value_at,
                              owner_id=k.owner_id, flagged_at=k.flagged_at, reason=k.flag_reason,
                              owner_name=name or email or ""))
    return out


async def for_use_cases(session: AsyncSession, use_case_ids: list[int]) -> dict[int, list[Kpi]]:
    """Active KPIs of several use cases at once (the export reads a batch at a time)."""
    out: dict[int, list[Kpi]] = {i: [] for i in use_case_ids}
    if not use_case_ids:
        return out
    q = select(Kpi).where(Kpi.use_case_id.in_(use_case_ids), Kpi.active.is_(True)).order_by(Kpi.id)
    for k in (await session.execute(q)).scalars().all():
        out[k.use_case_id].append(k)
    return out
