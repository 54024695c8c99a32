"""What a use case's gate facts read, in two prebuilt statements: the latest attempt of each instrument with its
answers, and the counts (risks, open conditions, active KPIs). A review decision reads these on every approval
and card (conversations/stages/gate_facts.py); the same rows as storage.repo.instruments / status / kpis read
one statement at a time."""
from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import core
from storage.tables import Condition, Kpi, RiskEntry, Scorecard, ScorecardAnswer

_u = bindparam("u")
_COUNTS = select(
    select(func.count()).select_from(RiskEntry).where(RiskEntry.use_case_id == _u).scalar_subquery(),
    select(func.count()).select_from(Condition)
    .where(Condition.use_case_id == _u, Condition.status == "open").scalar_subquery(),
    select(func.count()).select_from(Kpi).where(Kpi.use_case_id == _u, Kpi.active.is_(True)).scalar_subquery(),
)
# Every attempt's id (ordered: the last one per instrument wins) and, with it, each of its answers.
_SCORES = (select(Scorecard.id, Scorecard.instrument, ScorecardAnswer.item_key, ScorecardAnswer.value)
           .select_from(Scorecard)
           .outerjoin(ScorecardAnswer, ScorecardAnswer.scorecard_id == Scorecard.id)
           .where(Scorecard.use_case_id == _u).order_by(Scorecard.attempt, Scorecard.id))


async def counts(session: AsyncSession, use_case_id: int) -> tuple[int, int, int]:
    """(risk entries, open conditions, active KPIs) of the use case."""
    risks, conditions, kpis = (await core(session, _COUNTS, {"u": use_case_id})).one()
    return int(risks), int(conditions), int(kpis)


async def latest_values(session: AsyncSession, use_case_id: int) -> dict[str, tuple[int, dict[str, int]]]:
    """Per instrument: (the id of its latest attempt, that attempt's answers, item key -> value)."""
    out: dict[str, tuple[int, dict[str, int]]] = {}
    for sc_id, instrument, key, value in (await core(session, _SCORES, {"u": use_case_id})).all():
        got = out.get(instrument)
        if got is None or got[0] != sc_id:  # a later attempt replaces an earlier one
            got = out[instrument] = (sc_id, {})
        if key is not None:
            got[1][key] = value
    return out
