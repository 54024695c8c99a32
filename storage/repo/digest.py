"""The portfolio digest's aggregates, in SQL: counts with GROUP BY, medians with window functions, and the
top N of each list with LIMIT. Nothing here loops over the portfolio in Python, so a digest of 100,000 use
cases costs a few index scans, not 100,000 objects.

Lists take `visible`: False leaves restricted use cases out of the rows (they still count in every total),
for channels that are not leadership's. Every function returns plain tuples / dicts.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import dialect
from storage.tables import (
    Condition,
    GateRequest,
    Incident,
    Kpi,
    Person,
    ReviewRequest,
    RiskEntry,
    Scorecard,
    ScorecardAnswer,
    StageChange,
    UseCase,
)

OPEN_REVIEW = ("pending", "info_requested")
OPEN_INCIDENT = ("open", "acknowledged")


def days_between(session: AsyncSession, later, earlier):
    """SQL for the days between two timestamps (fractional), on SQLite and Postgres."""
    if dialect(session) == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _visible(q, visible: bool):
    return q if visible else q.where(UseCase.restricted.is_(False))


async def _rows(session: AsyncSession, q) -> list[tuple]:
    return [tuple(r) for r in (await session.execute(q)).all()]


async def _one(session: AsyncSession, q) -> tuple:
    return tuple((await session.execute(q)).one())


# -- portfolio ---------------------------------------------------------------------------------
async def stage_counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    q = select(UseCase.stage, UseCase.status, func.count()).group_by(UseCase.stage, UseCase.status)
    return {(s, st): n for s, st, n in await _rows(session, q)}


async def kpi_summary(session: AsyncSession) -> dict[str, int]:
    at_target = case((and_(Kpi.last_value.is_not(None),
                           or_(and_(Kpi.direction == "higher", Kpi.last_value >= Kpi.target),
                               and_(Kpi.direction == "lower", Kpi.last_value <= Kpi.target))), 1), else_=0)
    q = select(func.count(), func.coalesce(func.sum(at_target), 0),
               func.coalesce(func.sum(case((Kpi.flagged_at.is_not(None), 1), else_=0)), 0),
               func.coalesce(func.sum(case((Kpi.last_value.is_(None), 1), else_=0)), 0)).where(Kpi.active.is_(True))
    total, hit, flagged, unreported = await _one(session, q)
    return {"total": total, "at_target": int(hit), "flagged": int(flagged), "unreported": int(unreported)}


async def value_items(session: AsyncSession, stages: list[str], n: int, visible: bool) -> list[tuple]:
    """(id, title, outcome, stage, kpis, at target) of live use cases in the later stages, latest stage first."""
    rank = case({s: i for i, s in enumerate(stages)}, value=UseCase.stage, else_=-1)
    top = _visible(select(UseCase.id).where(UseCase.status == "active", UseCase.stage.in_(stages)), visible)
    top = top.order_by(rank.desc(), UseCase.value_reached_at.is_(None), UseCase.id.desc()).limit(n).subquery()
    hit = case((and_(Kpi.last_value.is_not(None),
                     or_(and_(Kpi.direction == "higher", Kpi.last_value >= Kpi.target),
                         and_(Kpi.direction == "lower", Kpi.last_value <= Kpi.target))), 1), else_=0)
    q = (select(UseCase.id, UseCase.title, UseCase.outcome, UseCase.stage, func.count(Kpi.id),
                func.coalesce(func.sum(hit), 0))
         .join(top, top.c.id == UseCase.id)
         .outerjoin(Kpi, and_(Kpi.use_case_id == UseCase.id, Kpi.active.is_(True)))
         .group_by(UseCase.id, UseCase.title, UseCase.outcome, UseCase.stage)
         .order_by(rank.desc(), UseCase.id.desc()))
    return await _rows(session, q)


# -- what moved and what stalled -------------------------------------------------------------------
def _stage_moved():
    return or_(StageChange.from_stage.is_(None), StageChange.from_stage != StageChange.to_stage)


async def moves_since(session: AsyncSession, since: datetime, now: datetime) -> list[tuple]:
    """(kind, from_stage, to_stage, count) of stage and status changes since `since` (index on at)."""
    q = (select(StageChange.kind, StageChange.from_stage, StageChange.to_stage, func.count())
         .where(StageChange.at > since, StageChange.at <= now)
         .group_by(StageChange.kind, StageChange.from_stage, StageChange.to_stage))
    return await _rows(session, q)


async def recent_moves(session: AsyncSession, since: datetime, now: datetime, n: int, visible: bool) -> list[tuple]:
    """(use case id, title, kind, from, to, at) of the latest moves between stages (new ideas left out)."""
    q = (select(UseCase.id, UseCase.title, StageChange.kind, StageChange.from_stage, StageChange.to_stage,
                StageChange.at)
         .join(UseCase, UseCase.id == StageChange.use_case_id)
         .where(StageChange.at > since, StageChange.at <= now, StageChange.from_stage.is_not(None),
                or_(StageChange.from_stage != StageChange.to_stage, StageChange.kind.in_(("stop", "pause"))))
         .order_by(StageChange.at.desc(), StageChange.id.desc()).limit(n))
    return await _rows(session, _visible(q, visible))


async def stalled(session: AsyncSession, before: datetime, stages: list[str], n: int,
                  visible: bool) -> tuple[int, list[tuple]]:
    """Active use cases that have not changed stage since `before`: count, and the (id, title, stage, since)
    of the longest stalled."""
    where = and_(UseCase.status == "active", UseCase.stage.in_(stages), UseCase.stage_entered_at <= before)
    (count,) = await _one(session, select(func.count()).select_from(UseCase).where(where))
    q = (select(UseCase.id, UseCase.title, UseCase.stage, UseCase.stage_entered_at).where(where)
         .order_by(UseCase.stage_entered_at, UseCase.id).limit(n))
    return count, await _rows(session, _visible(q, visible))


# -- blocked ----------------------------------------------------------------------------------------
def _overdue(now: datetime):
    return and_(ReviewRequest.status == "pending", ReviewRequest.paused_at.is_(None), ReviewRequest.due_at < now)


async def overdue_by_group(session: AsyncSession, now: datetime) -> dict[str, int]:
    q = (select(ReviewRequest.group_key, func.count()).where(_overdue(now)).group_by(ReviewRequest.group_key))
    return {g: c for g, c in await _rows(session, q)}


async def overdue_reviews(session: AsyncSession, now: datetime, n: int, visible: bool) -> list[tuple]:
    """(review id, use case id, title, group, due_at) of the longest overdue reviews."""
    q = (select(ReviewRequest.id, UseCase.id, UseCase.title, ReviewRequest.group_key, ReviewRequest.due_at)
         .join(UseCase, UseCase.id == ReviewRequest.use_case_id).where(_overdue(now))
         .order_by(ReviewRequest.due_at, ReviewRequest.id).limit(n))
    return await _rows(session, _visible(q, visible))


async def gates_stopped(session: AsyncSession, since: datetime, n: int, visible: bool) -> tuple[int, list[tuple]]:
    where = and_(GateRequest.status == "stopped", GateRequest.closed_at > since)
    (count,) = await _one(session, select(func.count()).select_from(GateRequest).where(where))
    q = (select(UseCase.id, UseCase.title, GateRequest.from_stage, GateRequest.to_stage)
         .join(UseCase, UseCase.id == GateRequest.use_case_id).where(where)
         .order_by(GateRequest.closed_at.desc()).limit(n))
    return count, await _rows(session, _visible(q, visible))


async def conditions_past_due(session: AsyncSession, today: date, n: int,
                              visible: bool) -> tuple[int, list[tuple]]:
    where = and_(Condition.status == "open", Condition.due_date < today)
    (count,) = await _one(session, select(func.count()).select_from(Condition).where(where))
    q = (select(Condition.id, UseCase.id, UseCase.title, Condition.due_date, Person.display_name)
         .join(UseCase, UseCase.id == Condition.use_case_id).outerjoin(Person, Person.id == Condition.owner_id)
         .where(where).order_by(Condition.due_date, Condition.id).limit(n))
    return count, await _rows(session, _visible(q, visible))


async def limbo_pilots(session: AsyncSession, today: date, n: int, visible: bool) -> tuple[int, list[tuple]]:
    """Active pilots past their exit date with no gate request under review (as the limbo reminders see it)."""
    deciding = exists().where(GateRequest.use_case_id == UseCase.id, GateRequest.status == "pending")
    where = and_(UseCase.status == "active", UseCase.pilot_exit_date < today, UseCase.stage == "pilot", ~deciding)
    (count,) = await _one(session, select(func.count()).select_from(UseCase).where(where))
    q = (select(UseCase.id, UseCase.title, UseCase.pilot_exit_date).where(where)
         .order_by(UseCase.pilot_exit_date, UseCase.id).limit(n))
    return count, await _rows(session, _visible(q, visible))


# -- risks and decisions -------------------------------------------------------------------------------
def risk_score(likelihood: list[str], impact: list[str]):
    lk = case({k: i + 1 for i, k in enumerate(likelihood)}, value=RiskEntry.likelihood, else_=1)
    im = case({k: i + 1 for i, k in enumerate(impact)}, value=RiskEntry.impact, else_=1)
    return lk * im


async def top_risks(session: AsyncSession, likelihood: list[str], impact: list[str], n: int,
                    visible: bool) -> tuple[int, list[tuple]]:
    """Open risks on live use cases: count, and the (use case id, title, area, description, likelihood, impact,
    owner name, score) of the highest likelihood × impact."""
    score = risk_score(likelihood, impact)
    where = and_(RiskEntry.status != "closed", UseCase.status.in_(("active", "paused")))
    (count,) = await _one(session, select(func.count()).select_from(RiskEntry)
                          .join(UseCase, UseCase.id == RiskEntry.use_case_id).where(where))
    q = (select(UseCase.id, UseCase.title, RiskEntry.area_key, RiskEntry.description, RiskEntry.likelihood,
                RiskEntry.impact, Person.display_name, score.label("score"))
         .join(UseCase, UseCase.id == RiskEntry.use_case_id).outerjoin(Person, Person.id == RiskEntry.owner_id)
         .where(where).order_by(score.desc(), RiskEntry.updated_at.desc(), RiskEntry.id.desc()).limit(n))
    return count, await _rows(session, _visible(q, visible))


async def decisions(session: AsyncSession, group: str, n: int, visible: bool) -> tuple[int, list[tuple]]:
    """Open reviews addressed to leadership: count, and (review id, use case id, title, stage, due_at, level)."""
    where = and_(ReviewRequest.group_key == group, ReviewRequest.status.in_(OPEN_REVIEW))
    (count,) = await _one(session, select(func.count()).select_from(ReviewRequest).where(where))
    q = (select(ReviewRequest.id, UseCase.id, UseCase.title, UseCase.stage, ReviewRequest.due_at, ReviewRequest.level)
         .join(UseCase, UseCase.id == ReviewRequest.use_case_id).where(where)
         .order_by(ReviewRequest.due_at, ReviewRequest.id).limit(n))
    return count, await _rows(session, _visible(q, visible))


# -- readiness and capacity ----------------------------------------------------------------------------
def _latest_readiness(stages: list[str]):
    """Per live use case in `stages`: its latest complete readiness scorecard id (a window over scorecards)."""
    rn = func.row_number().over(partition_by=Scorecard.use_case_id, order_by=Scorecard.attempt.desc()).label("rn")
    inner = (select(Scorecard.id.label("sc_id"), Scorecard.use_case_id.label("uc_id"), rn)
             .join(UseCase, UseCase.id == Scorecard.use_case_id)
             .where(Scorecard.instrument == "readiness", Scorecard.status == "complete",
                    UseCase.status == "active", UseCase.stage.in_(stages))).subquery()
    return select(inner.c.sc_id, inner.c.uc_id).where(inner.c.rn == 1).subquery()


async def readiness_bands(session: AsyncSession, stages: list[str], bands: list[tuple[str, int, int]],
                          hard_keys: list[str], hard_min: int) -> dict[str, int]:
    """Band -> number of live use cases in `stages` whose latest readiness total falls in it, plus
    "hard_gate_fail" (a hard-gate area below `hard_min`) and "scored"."""
    latest = _latest_readiness(stages)
    hard = case((and_(ScorecardAnswer.item_key.in_(hard_keys), ScorecardAnswer.value < hard_min), 1), else_=0)
    per = (select(latest.c.uc_id, func.sum(ScorecardAnswer.value).label("total"), func.max(hard).label("hard"))
           .join(ScorecardAnswer, ScorecardAnswer.scorecard_id == latest.c.sc_id).group_by(latest.c.uc_id)).subquery()
    band = case(*[(and_(per.c.total >= lo, per.c.total <= hi), literal(k)) for k, lo, hi in bands], else_=literal(""))
    q = select(band, func.count(), func.sum(per.c.hard)).group_by(band)
    out: dict[str, int] = {"hard_gate_fail": 0, "scored": 0}
    for b, c, h in await _rows(session, q):
        out[b] = c
        out["scored"] += c
        out["hard_gate_fail"] += int(h or 0)
    return out


async def low_capacity(session: AsyncSession, stages: list[str], item: str, at_most: int, n: int,
                       visible: bool) -> tuple[int, list[tuple]]:
    """Live use cases whose latest readiness scored `item` (delivery capacity) at or below `at_most`."""
    latest = _latest_readiness(stages)
    base = (select(UseCase.id, UseCase.title, UseCase.stage, ScorecardAnswer.value)
            .join(latest, latest.c.uc_id == UseCase.id)
            .join(ScorecardAnswer, and_(ScorecardAnswer.scorecard_id == latest.c.sc_id,
                                        ScorecardAnswer.item_key == item, ScorecardAnswer.value <= at_most)))
    (count,) = await _one(session, select(func.count()).select_from(base.subquery()))
    q = base.order_by(ScorecardAnswer.value, UseCase.id).limit(n)
    return count, await _rows(session, _visible(q, visible))


async def review_load(session: AsyncSession) -> dict[str, int]:
    q = (select(ReviewRequest.group_key, func.count()).where(ReviewRequest.status.in_(OPEN_REVIEW))
         .group_by(ReviewRequest.group_key))
    return {g: c for g, c in await _rows(session, q)}


async def escalations_since(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Reviews escalated since `since`, by the group they went to."""
    q = (select(ReviewRequest.group_key, func.count())
         .where(ReviewRequest.escalated_from_id.is_not(None), ReviewRequest.created_at > since)
         .group_by(ReviewRequest.group_key))
    return {g: c for g, c in await _rows(session, q)}


# -- incidents ------------------------------------------------------------------------------------------
async def incidents_by_severity(session: AsyncSession) -> dict[str, int]:
    q = (select(Incident.severity, func.count()).where(Incident.status.in_(OPEN_INCIDENT))
         .group_by(Incident.severity))
    return {s: c for s, c in await _rows(session, q)}


async def open_incidents(session: AsyncSession, severities: list[str], n: int, visible: bool) -> list[tuple]:
    rank = case({s: i for i, s in enumerate(severities)}, value=Incident.severity, else_=len(severities))
    q = (select(Incident.id, UseCase.id, UseCase.title, Incident.severity, Incident.status, Incident.reported_at)
         .join(UseCase, UseCase.id == Incident.use_case_id).where(Incident.status.in_(OPEN_INCIDENT))
         .order_by(rank, Incident.reported_at).limit(n))
    return await _rows(session, _visible(q, visible))


# -- operating-model health ----------------------------------------------------------------------------
async def _median(session: AsyncSession, values, group=None) -> dict:
    """Median of a derived table's `d` column (per `g` when grouped), with window functions."""
    part = [values.c.g] if group else []
    rn = func.row_number().over(partition_by=part or None, order_by=values.c.d).label("rn")
    cnt = func.count().over(partition_by=part or None).label("cnt")
    cols = [values.c.g] if group else [literal("all").label("g")]
    ranked = select(*cols, values.c.d, rn, cnt).subquery()
    q = (select(ranked.c.g, func.avg(ranked.c.d))
         .where(ranked.c.rn.in_([(ranked.c.cnt + 1) // 2, (ranked.c.cnt + 2) // 2])).group_by(ranked.c.g))
    return {g: float(v) for g, v in await _rows(session, q) if v is not None}


async def median_days_to_value(session: AsyncSession) -> tuple[float | None, int]:
    d = days_between(session, UseCase.value_reached_at, UseCase.created_at)
    values = select(d.label("d")).where(UseCase.value_reached_at.is_not(None)).subquery()
    (count,) = await _one(session, select(func.count()).select_from(values))
    med = await _median(session, values)
    return med.get("all"), count


async def median_days_in_stage(session: AsyncSession) -> dict[str, float]:
    """Median days of the completed stays in each stage (entering a stage to leaving it, from stage_change)."""
    nxt = func.lead(StageChange.at).over(partition_by=StageChange.use_case_id,
                                         order_by=(StageChange.at, StageChange.id))
    stays = (select(StageChange.to_stage.label("g"), StageChange.at.label("entered"), nxt.label("left"))
             .where(_stage_moved())).subquery()
    values = (select(stays.c.g, days_between(session, stays.c.left, stays.c.entered).label("d"))
              .where(stays.c.left.is_not(None))).subquery()
    return await _median(session, values, group=True)


# -- what falls due before the next digest -------------------------------------------------------------
async def due_before(session: AsyncSession, now: datetime, until: datetime, today: date, until_day: date,
                     n: int, visible: bool) -> tuple[dict[str, int], list[tuple]]:
    """Counts of reviews, conditions, pilot exits and KPI values falling due in [now, until), and the first
    `n` as (when, kind, use case id, title, ref id)."""
    def cols(when, kind: str, ref):
        return (when.label("w"), literal(kind).label("k"), UseCase.id.label("u"), UseCase.title.label("t"),
                ref.label("r"), UseCase.restricted.label("x"))

    parts = {
        "reviews": (select(*cols(ReviewRequest.due_at, "review", ReviewRequest.id))
                    .join(UseCase, UseCase.id == ReviewRequest.use_case_id)
                    .where(ReviewRequest.status == "pending", ReviewRequest.due_at >= now,
                           ReviewRequest.due_at < until)),
        "conditions": (select(*cols(Condition.due_date, "condition", Condition.id))
                       .join(UseCase, UseCase.id == Condition.use_case_id)
                       .where(Condition.status == "open", Condition.due_date >= today,
                              Condition.due_date <= until_day)),
        "pilot_exits": (select(*cols(UseCase.pilot_exit_date, "pilot", UseCase.id))
                        .where(UseCase.status == "active", UseCase.stage == "pilot",
                               UseCase.pilot_exit_date >= today, UseCase.pilot_exit_date <= until_day)),
        "kpi_values": (select(*cols(Kpi.next_due_at, "kpi", Kpi.id))
                       .join(UseCase, UseCase.id == Kpi.use_case_id)
                       .where(Kpi.active.is_(True), Kpi.next_due_at >= now, Kpi.next_due_at < until)),
    }
    counts: dict[str, int] = {}
    items: list[tuple] = []
    for name, q in parts.items():
        sub = q.subquery()
        (counts[name],) = await _one(session, select(func.count()).select_from(sub))
        lq = select(sub).order_by(sub.c.w).limit(n)
        if not visible:
            lq = lq.where(sub.c.x.is_(False))
        items.extend(await _rows(session, lq))
    return counts, items
