"""The portfolio, streamed for export: use cases in id order, a batch at a time (keyset pagination), each
batch with its owners, scorecards (the latest attempt of each instrument, with its answers, for the totals and
the next gate's preconditions), risks, pending reviews, open conditions, KPIs and open incidents by severity
read in a handful of grouped queries. Memory follows the batch size, not the portfolio."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo import incidents, kpis
from storage.tables import (
    Condition,
    Incident,
    Kpi,
    Person,
    ReviewRequest,
    RiskEntry,
    Scorecard,
    ScorecardAnswer,
    UseCase,
)
from vocabulary.states import OPEN_INCIDENT, OPEN_REVIEW, ConditionStatus

OPEN_RISK = ("open", "mitigating")
SCORED = ("pilot_selection", "readiness")  # the instruments whose totals the export shows


@dataclass
class ScoreSheet:
    instrument: str
    attempt: int
    status: str
    answered: int
    total: int
    low_hard_gates: list[str] = field(default_factory=list)


@dataclass
class Bundle:
    """One use case and everything the export shows about it (plain values, no ORM objects)."""

    uc: dict[str, Any]
    people: dict[int, tuple[str | None, str]]  # id -> (email, name), shared by the batch
    scores: dict[str, ScoreSheet]
    open_risks: list[dict[str, Any]]
    pending_reviews: int
    open_conditions: int
    kpis: list[dict[str, Any]]
    kpi_values: dict[int, list[float]]
    open_incidents: int
    # instrument -> {item: (value, reviewed)} of its latest attempt (every instrument started)
    answers: dict[str, dict[str, tuple[int, bool]]] = field(default_factory=dict)
    risk_entries: int = 0  # every risk register entry, whatever its status (the gate's "register started")
    incidents_by_severity: dict[str, int] = field(default_factory=dict)  # open ones


async def count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(UseCase))).scalar_one()


async def batches(session: AsyncSession, *, batch_size: int = 500, hard_gate_keys: tuple[str, ...] = (),
                  hard_gate_min: int = 0) -> AsyncIterator[list[Bundle]]:
    """Every use case, in id order, `batch_size` at a time."""
    table = UseCase.__table__
    last = 0
    while True:
        rows = (await session.execute(select(table).where(table.c.id > last).order_by(table.c.id)
                                      .limit(batch_size))).mappings().all()
        if not rows:
            return
        ucs = [dict(r) for r in rows]
        last = ucs[-1]["id"]
        yield await _bundle(session, ucs, hard_gate_keys, hard_gate_min)


async def _bundle(session: AsyncSession, ucs: list[dict], hard_gate_keys: tuple[str, ...],
                  hard_gate_min: int) -> list[Bundle]:
    ids = [u["id"] for u in ucs]
    scores, answers = await _scores(session, ids, hard_gate_keys, hard_gate_min)
    risks = await _open_risks(session, ids)
    risk_entries = await _counts(session, RiskEntry, ids, true())
    reviews = await _counts(session, ReviewRequest, ids, ReviewRequest.status.in_(OPEN_REVIEW))
    conditions = await _counts(session, Condition, ids, Condition.status == ConditionStatus.OPEN)
    kpi_rows = await _kpis(session, ids)
    values = await kpis.recent_values(session, [k["id"] for rows in kpi_rows.values() for k in rows])
    by_severity = await _open_incidents(session, ids)
    person_ids = {u[c] for u in ucs for c in ("business_owner_id", "delivery_owner_id", "sponsor_id", "proposer_id")}
    person_ids |= {k["owner_id"] for rows in kpi_rows.values() for k in rows}
    person_ids |= {r["owner_id"] for rows in risks.values() for r in rows}
    person_ids.discard(None)
    people = {}
    if person_ids:
        q = select(Person.id, Person.email, Person.display_name).where(Person.id.in_(person_ids))
        people = {i: (e, n) for i, e, n in (await session.execute(q)).all()}
    return [Bundle(uc=u, people=people, scores=scores.get(u["id"], {}), open_risks=risks.get(u["id"], []),
                   pending_reviews=reviews.get(u["id"], 0), open_conditions=conditions.get(u["id"], 0),
                   kpis=kpi_rows.get(u["id"], []), kpi_values=values,
                   open_incidents=sum(by_severity.get(u["id"], {}).values()), answers=answers.get(u["id"], {}),
                   risk_entries=risk_entries.get(u["id"], 0), incidents_by_severity=by_severity.get(u["id"], {}))
            for u in ucs]


async def _counts(session: AsyncSession, model, ids: list[int], where) -> dict[int, int]:
    q = select(model.use_case_id, func.count()).where(model.use_case_id.in_(ids), where) \
        .group_by(model.use_case_id)
    return {uc: n for uc, n in (await session.execute(q)).all()}


async def _scores(session: AsyncSession, ids: list[int], hard_gate_keys: tuple[str, ...], hard_gate_min: int
                  ) -> tuple[dict[int, dict[str, ScoreSheet]], dict[int, dict[str, dict[str, tuple[int, bool]]]]]:
    """The latest attempt of every instrument per use case: totals of the scored ones, and every answer."""
    q = select(Scorecard.id, Scorecard.use_case_id, Scorecard.instrument, Scorecard.attempt, Scorecard.status) \
        .where(Scorecard.use_case_id.in_(ids))
    latest: dict[tuple[int, str], tuple] = {}
    for sid, uc_id, instrument, attempt, status in (await session.execute(q)).all():
        if (uc_id, instrument) not in latest or attempt > latest[(uc_id, instrument)][2]:
            latest[(uc_id, instrument)] = (sid, status, attempt)
    if not latest:
        return {}, {}
    of_sheet = {v[0]: key for key, v in latest.items()}
    answers: dict[int, dict[str, dict[str, tuple[int, bool]]]] = {}
    q = select(ScorecardAnswer.scorecard_id, ScorecardAnswer.item_key, ScorecardAnswer.value,
               ScorecardAnswer.reviewed_at).where(ScorecardAnswer.scorecard_id.in_(list(of_sheet)))
    for sid, key, value, reviewed_at in (await session.execute(q)).all():
        uc_id, instrument = of_sheet[sid]
        answers.setdefault(uc_id, {}).setdefault(instrument, {})[key] = (value, reviewed_at is not None)
    out: dict[int, dict[str, ScoreSheet]] = {}
    for (uc_id, instrument), (sid, status, attempt) in latest.items():
        if instrument not in SCORED:
            continue
        given = answers.get(uc_id, {}).get(instrument, {})
        low = sorted(k for k, (v, _) in given.items() if k in hard_gate_keys and v < hard_gate_min) \
            if instrument == "readiness" else []
        out.setdefault(uc_id, {})[instrument] = ScoreSheet(
            instrument=instrument, attempt=attempt, status=status, answered=len(given),
            total=int(sum(v for v, _ in given.values())), low_hard_gates=low)
    return out, answers


async def _open_incidents(session: AsyncSession, ids: list[int]) -> dict[int, dict[str, int]]:
    q = select(Incident.use_case_id, Incident.severity, func.count()) \
        .where(Incident.use_case_id.in_(ids), Incident.status.in_(OPEN_INCIDENT)) \
        .group_by(Incident.use_case_id, Incident.severity)
    out: dict[int, dict[str, int]] = {}
    for uc_id, severity, n in (await session.execute(q)).all():
        out.setdefault(uc_id, {})[severity] = n
    return out


async def _open_risks(session: AsyncSession, ids: list[int]) -> dict[int, list[dict]]:
    q = select(RiskEntry.use_case_id, RiskEntry.id, RiskEntry.area_key, RiskEntry.description, RiskEntry.likelihood,
               RiskEntry.impact, RiskEntry.owner_id) \
        .where(RiskEntry.use_case_id.in_(ids), RiskEntry.status.in_(OPEN_RISK)).order_by(RiskEntry.id)
    out: dict[int, list[dict]] = {}
    for r in (await session.execute(q)).mappings().all():
        out.setdefault(r["use_case_id"], []).append(dict(r))
    return out


async def _kpis(session: AsyncSession, ids: list[int]) -> dict[int, list[dict]]:
    table = Kpi.__table__
    q = select(table).where(table.c.use_case_id.in_(ids), table.c.active.is_(True)).order_by(table.c.id)
    out: dict[int, list[dict]] = {}
    for r in (await session.execute(q)).mappings().all():
        out.setdefault(r["use_case_id"], []).append(dict(r))
    return out
