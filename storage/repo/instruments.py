"""Scorecards (one shared answer set per use case, instrument and attempt) and risk register entries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import core, insert_ignore, prepared, upsert
from storage.tables import RiskEntry, Scorecard, ScorecardAnswer, UseCase
from vocabulary.states import ScorecardStatus

IN_PROGRESS, COMPLETE, SUPERSEDED = ScorecardStatus.IN_PROGRESS, ScorecardStatus.COMPLETE, ScorecardStatus.SUPERSEDED


# -- scorecards ------------------------------------------------------------------
async def get(session: AsyncSession, scorecard_id: int) -> Scorecard | None:
    q = select(Scorecard).where(Scorecard.id == scorecard_id).execution_options(populate_existing=True)
    return (await session.execute(q)).scalar_one_or_none()


async def latest(session: AsyncSession, use_case_id: int, instrument: str) -> Scorecard | None:
    """The current attempt of an instrument for a use case (None before the first is started)."""
    q = (select(Scorecard).where(Scorecard.use_case_id == use_case_id, Scorecard.instrument == instrument)
         .order_by(Scorecard.attempt.desc()).limit(1).execution_options(populate_existing=True))
    return (await session.execute(q)).scalar_one_or_none()


async def latest_for(session: AsyncSession, use_case_id: int) -> dict[str, Scorecard]:
    """The current attempt of every instrument started for a use case."""
    q = select(Scorecard).where(Scorecard.use_case_id == use_case_id).order_by(Scorecard.attempt)
    out: dict[str, Scorecard] = {}
    for sc in (await session.execute(q)).scalars().all():
        out[sc.instrument] = sc
    return out


async def start(session: AsyncSession, *, use_case_id: int, instrument: str, attempt: int, started_by_id: int,
                at: datetime) -> Scorecard:
    """Create the attempt, or return the one a concurrent click created a moment ago."""
    await insert_ignore(session, Scorecard.__table__,
                        {"use_case_id": use_case_id, "instrument": instrument, "attempt": attempt,
                         "status": IN_PROGRESS, "answered": 0, "started_by_id": started_by_id, "started_at": at,
                         "last_answer_at": at},
                        ["use_case_id", "instrument", "attempt"], returning=None)
    q = select(Scorecard).where(Scorecard.use_case_id == use_case_id, Scorecard.instrument == instrument,
                                Scorecard.attempt == attempt).execution_options(populate_existing=True)
    return (await session.execute(q)).scalar_one()


async def supersede(session: AsyncSession, scorecard_id: int) -> None:
    await session.execute(update(Scorecard).where(Scorecard.id == scorecard_id).values(status=SUPERSEDED))


@dataclass(frozen=True)
class ClickTarget:
    """What a scorecard click needs to know, read in one query."""

    scorecard_id: int
    instrument: str
    attempt: int
    status: str
    answered: int
    use_case_id: int
    title: str
    business_owner_id: int | None
    delivery_owner_id: int | None
    use_case_status: str
    vendor_involved: bool


def _for_click_query(name: str):
    q = (select(Scorecard.id, Scorecard.instrument, Scorecard.attempt, Scorecard.status, Scorecard.answered,
                UseCase.id, UseCase.title, UseCase.business_owner_id, UseCase.delivery_owner_id, UseCase.status,
                UseCase.vendor_involved)
         .join(UseCase, UseCase.id == Scorecard.use_case_id).where(Scorecard.id == bindparam("sc")))
    return q.with_for_update(of=Scorecard) if name == "postgresql" else q


async def for_click(session: AsyncSession, scorecard_id: int) -> ClickTarget | None:
    """The scorecard and its use case's owners in one query. On Postgres the scorecard row is locked,
    so two owners clicking at once are applied one after the other and the counters stay exact."""
    row = (await core(session, prepared(session, ("scorecard_for_click",), _for_click_query),
                      {"sc": scorecard_id})).first()
    return ClickTarget(*row) if row is not None else None


def _answered_keys_query(_dialect: str):
    return select(ScorecardAnswer.item_key).where(ScorecardAnswer.scorecard_id == bindparam("sc"))


async def answered_keys(session: AsyncSession, scorecard_id: int) -> set[str]:
    q = prepared(session, ("scorecard_answered_keys",), _answered_keys_query)
    return set((await core(session, q, {"sc": scorecard_id})).scalars().all())


async def answers(session: AsyncSession, scorecard_id: int) -> dict[str, ScorecardAnswer]:
    q = (select(ScorecardAnswer).where(ScorecardAnswer.scorecard_id == scorecard_id)
         .execution_options(populate_existing=True))
    return {a.item_key: a for a in (await session.execute(q)).scalars().all()}


async def answer(session: AsyncSession, scorecard_id: int, item_key: str) -> ScorecardAnswer | None:
    q = (select(ScorecardAnswer).where(ScorecardAnswer.scorecard_id == scorecard_id,
                                       ScorecardAnswer.item_key == item_key)
         .execution_options(populate_existing=True))
    return (await session.execute(q)).scalar_one_or_none()


async def values_for(session: AsyncSession, scorecard_ids: list[int]) -> dict[int, dict[str, int]]:
    """{scorecard id: {item: value}} for several scorecards in one query."""
    out: dict[int, dict[str, int]] = {i: {} for i in scorecard_ids}
    if not scorecard_ids:
        return out
    q = select(ScorecardAnswer.scorecard_id, ScorecardAnswer.item_key, ScorecardAnswer.value) \
        .where(ScorecardAnswer.scorecard_id.in_(scorecard_ids))
    for sc_id, key, value in (await session.execute(q)).all():
        out[sc_id][key] = value
    return out


async def save_answer(session: AsyncSession, *, scorecard_id: int, item_key: str, value: int, person_id: int,
                      at: datetime) -> None:
    """One UPSERT: a changed answer records its new author and time and drops any earlier review note
    (a review was about the old score)."""
    values = {"scorecard_id": scorecard_id, "item_key": item_key, "value": value, "note": "",
              "answered_by_id": person_id, "answered_at": at, "reviewed_by_id": None, "reviewed_at": None,
              "review_note": ""}
    await upsert(session, ScorecardAnswer.__table__, values, ["scorecard_id", "item_key"],
                 ["value", "answered_by_id", "answered_at", "reviewed_by_id", "reviewed_at", "review_note"])


async def set_progress(session: AsyncSession, scorecard_id: int, *, answered: int, at: datetime, status: str,
                       completed_at: datetime | None = None) -> None:
    """One UPDATE of the scorecard's counters."""
    values: dict = {"answered": answered, "last_answer_at": at, "status": status}
    if completed_at is not None:
        values["completed_at"] = completed_at
    q = prepared(session, ("scorecard_progress", completed_at is not None),
                 lambda _d: update(Scorecard.__table__).where(Scorecard.__table__.c.id == bindparam("sc_id")))
    await core(session, q, {"sc_id": scorecard_id, **values})


async def record_review(session: AsyncSession, *, scorecard_id: int, item_key: str, person_id: int, at: datetime,
                        note: str) -> bool:
    res = await session.execute(update(ScorecardAnswer)
                                .where(ScorecardAnswer.scorecard_id == scorecard_id,
                                       ScorecardAnswer.item_key == item_key)
                                .values(reviewed_by_id=person_id, reviewed_at=at, review_note=note))
    return bool(res.rowcount)


# -- risk register -----------------------------------------------------------------
async def add_risk(session: AsyncSession, **fields) -> RiskEntry:
    r = RiskEntry(**fields)
    session.add(r)
    await session.flush()
    return r


async def get_risk(session: AsyncSession, risk_id: int) -> RiskEntry | None:
    q = select(RiskEntry).where(RiskEntry.id == risk_id).execution_options(populate_existing=True)
    return (await session.execute(q)).scalar_one_or_none()


async def risks_for(session: AsyncSession, use_case_id: int) -> list[RiskEntry]:
    q = (select(RiskEntry).where(RiskEntry.use_case_id == use_case_id).order_by(RiskEntry.id)
         .execution_options(populate_existing=True))
    return list((await session.execute(q)).scalars().all())


async def count_risks(session: AsyncSession, use_case_id: int) -> int:
    q = select(func.count()).select_from(RiskEntry).where(RiskEntry.use_case_id == use_case_id)
    return (await session.execute(q)).scalar_one()


async def update_risk(session: AsyncSession, risk_id: int, *, at: datetime, **fields) -> None:
    await session.execute(update(RiskEntry).where(RiskEntry.id == risk_id).values(updated_at=at, **fields))


async def mark_risks_reviewed(session: AsyncSession, use_case_id: int, *, person_id: int, at: datetime) -> int:
    res = await session.execute(update(RiskEntry).where(RiskEntry.use_case_id == use_case_id)
                                .values(last_reviewed_at=at, last_reviewed_by_id=person_id))
    return res.rowcount or 0
