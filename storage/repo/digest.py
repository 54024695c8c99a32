"""The portfolio digest's aggregates, in SQL: counts with GROUP BY, medians with window functions, and the
top N of each list with LIMIT. Nothing here loops over the portfolio in Python, so a digest of 100,000 use
cases costs a few index scans, not 100,000 objects.

Lists take `visible`: False leaves restricted use cases out of the rows (they still count in every total),
for channels that are not leadership's. Every function returns plain tuples / dicts.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Integer, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo import absences
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
from vocabulary.states import (
    LIVE_USE_CASE, OPEN_INCIDENT, OPEN_REVIEW, ConditionStatus, GateStatus, ReviewStatus, ScorecardStatus,
    UseCaseStatus,
)


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
    live = Kpi.active.is_(True)

    def n(cond):  # counted in one pass over the table (one primary-key look-up of its use case per KPI)
        return func.coalesce(func.sum(case((and_(live, cond), 1), else_=0)), 0)

    # KPIs of live use cases only (as the flagged list names them): a stopped or paused one reports nothing.
    q = select(n(literal(True)), n(at_target == 1), n(Kpi.flagged_at.is_not(None)), n(Kpi.last_value.is_(None))) \
        .select_from(Kpi).join(UseCase, UseCase.id == Kpi.use_case_id).where(UseCase.status == UseCaseStatus.ACTIVE)
    total, hit, flagged, unreported = await _one(session, q)
    return {"total": total, "at_target": int(hit), "flagged": int(flagged), "unreported": int(unreported)}


async def value_items(session: AsyncSession, stages: list[str], n: int, visible: bool) -> list[tuple]:
    """(id, title, outcome, stage, kpis, at target) of live use cases in the later stages: the latest stage
    first, newest first within it (index on stage, status)."""
    ids: list[int] = []
    for stage in reversed(stages):
        if len(ids) >= n:
            break
        q = _visible(select(UseCase.id).where(UseCase.stage == stage, UseCase.status == UseCaseStatus.ACTIVE), visible)
        ids += list((await session.execute(q.order_by(UseCase.id.desc()).limit(n - len(ids)))).scalars())
    if not ids:
        return []
    hit = case((and_(Kpi.last_value.is_not(None),
                     or_(and_(Kpi.direction == "higher", Kpi.last_value >= Kpi.target),
                         and_(Kpi.direction == "lower", Kpi.last_value <= Kpi.target))), 1), else_=0)
    q = (select(UseCase.id, UseCase.title, UseCase.outcome, UseCase.stage, func.count(Kpi.id),
                func.coalesce(func.sum(hit), 0))
         .outerjoin(Kpi, and_(Kpi.use_case_id == UseCase.id, Kpi.active.is_(True))).where(UseCase.id.in_(ids))
         .group_by(UseCase.id, UseCase.title, UseCase.outcome, UseCase.stage))
    rows = {r[0]: r for r in await _rows(session, q)}
    return [rows[i] for i in ids if i in rows]


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
    where = and_(UseCase.status == UseCaseStatus.ACTIVE, UseCase.stage.in_(stages), UseCase.stage_entered_at <= before)
    (count,) = await _one(session, select(func.count()).select_from(UseCase).where(where))
    q = (select(UseCase.id, UseCase.title, UseCase.stage, UseCase.stage_entered_at).where(where)
         .order_by(UseCase.stage_entered_at, UseCase.id).limit(n))
    return count, await _rows(session, _visible(q, visible))


# -- blocked ----------------------------------------------------------------------------------------
def _overdue(now: datetime):
    return and_(ReviewRequest.status == ReviewStatus.PENDING, ReviewRequest.paused_at.is_(None),
                ReviewRequest.due_at < now)


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
    where = and_(GateRequest.status == GateStatus.STOPPED, GateRequest.closed_at > since)
    (count,) = await _one(session, select(func.count()).select_from(GateRequest).where(where))
    q = (select(UseCase.id, UseCase.title, GateRequest.from_stage, GateRequest.to_stage)
         .join(UseCase, UseCase.id == GateRequest.use_case_id).where(where)
         .order_by(GateRequest.closed_at.desc()).limit(n))
    return count, await _rows(session, _visible(q, visible))


async def conditions_past_due(session: AsyncSession, today: date, n: int,
                              visible: bool) -> tuple[int, list[tuple]]:
    where = and_(Condition.status == ConditionStatus.OPEN, Condition.due_date < today)
    (count,) = await _one(session, select(func.count()).select_from(Condition).where(where))
    q = (select(Condition.id, UseCase.id, UseCase.title, Condition.due_date,
                absences.owner_name(Condition.owner_id, today))
         .join(UseCase, UseCase.id == Condition.use_case_id).outerjoin(Person, Person.id == Condition.owner_id)
         .where(where).order_by(Condition.due_date, Condition.id).limit(n))
    return count, await _rows(session, _visible(q, visible))


async def limbo_pilots(session: AsyncSession, today: date, n: int, visible: bool) -> tuple[int, list[tuple]]:
    """Active pilots past their exit date with no gate request under review (as the limbo reminders see it)."""
    deciding = exists().where(GateRequest.use_case_id == UseCase.id, GateRequest.status == GateStatus.PENDING)
    where = and_(UseCase.status == UseCaseStatus.ACTIVE, UseCase.pilot_exit_date < today, UseCase.stage == "pilot",
                 ~deciding)
    (count,) = await _one(session, select(func.count()).select_from(UseCase).where(where))
    q = (select(UseCase.id, UseCase.title, UseCase.pilot_exit_date).where(where)
         .order_by(UseCase.pilot_exit_date, UseCase.id).limit(n))
    return count, await _rows(session, _visible(q, visible))


# -- risks and decisions -------------------------------------------------------------------------------


async def top_risks(session: AsyncSession, likelihood: list[str], impact: list[str], n: int,
                    visible: bool, today: date | None = None) -> tuple[int, list[tuple]]:
    """Open risks on live use cases: count, and the (use case id, title, area, description, likelihood, impact,
    owner name, score) of the highest likelihood × impact (levels ranked in the policy's order), newest first.

    The count is all open risks less those on closed use cases (two index scans instead of a join over every
    risk); the list walks the (likelihood, impact) pairs from the highest score down, on index ix_risk_score,
    and stops once it has `n`.
    """
    (every,) = await _one(session, select(func.count()).select_from(RiskEntry).where(RiskEntry.status != "closed"))
    (closed,) = await _one(session, select(func.count()).select_from(UseCase)
                           .join(RiskEntry, RiskEntry.use_case_id == UseCase.id)
                           .where(UseCase.status.not_in(LIVE_USE_CASE), RiskEntry.status != "closed"))
    by_score: dict[int, list[tuple[str, str]]] = {}
    for i, lk in enumerate(likelihood):
        for j, im in enumerate(impact):
            by_score.setdefault((i + 1) * (j + 1), []).append((lk, im))
    out: list[tuple] = []
    for score in sorted(by_score, reverse=True):
        if len(out) >= n:
            break
        pairs = or_(*[and_(RiskEntry.likelihood == lk, RiskEntry.impact == im) for lk, im in by_score[score]])
        q = (select(UseCase.id, UseCase.title, RiskEntry.area_key, RiskEntry.description, RiskEntry.likelihood,
                    RiskEntry.impact, absences.owner_name(RiskEntry.owner_id, today), literal(score))
             .join(UseCase, UseCase.id == RiskEntry.use_case_id).outerjoin(Person, Person.id == RiskEntry.owner_id)
             .where(pairs, RiskEntry.status != "closed", UseCase.status.in_(LIVE_USE_CASE))
             .order_by(RiskEntry.updated_at.desc(), RiskEntry.id.desc()).limit(n - len(out)))
        out += await _rows(session, _visible(q, visible))
    return every - closed, out


async def decisions(session: AsyncSession, group: str, n: int, visible: bool) -> tuple[int, list[tuple]]:
    """Open reviews addressed to leadership: count, and (review id, use case id, title, stage, due_at, level,
    review status: pending, or info_requested while it waits for the owners' answer)."""
    where = and_(ReviewRequest.group_key == group, ReviewRequest.status.in_(OPEN_REVIEW))
    (count,) = await _one(session, select(func.count()).select_from(ReviewRequest).where(where))
    q = (select(ReviewRequest.id, UseCase.id, UseCase.title, UseCase.stage, ReviewRequest.due_at, ReviewRequest.level,
                ReviewRequest.status)
         .join(UseCase, UseCase.id == ReviewRequest.use_case_id).where(where)
         .order_by(ReviewRequest.due_at, ReviewRequest.id).limit(n))
    return count, await _rows(session, _visible(q, visible))


# -- readiness and capacity ----------------------------------------------------------------------------
def _latest_readiness(session: AsyncSession, stages: list[str]):
    """Latest complete readiness scorecards of live use cases in `stages` (no newer complete attempt)."""
    newer = aliased(Scorecard)
    later = exists().where(newer.use_case_id == Scorecard.use_case_id, newer.instrument == "readiness",
                           newer.status == ScorecardStatus.COMPLETE, newer.attempt > Scorecard.attempt)
    complete = Scorecard.status == ScorecardStatus.COMPLETE
    if dialect(session) == "sqlite":
        # Not an index condition: SQLite then walks the use cases and their scorecards instead of finding the
        # scorecards through a status index and sorting every answer for the GROUP BY.
        complete = func.coalesce(Scorecard.status, "") == ScorecardStatus.COMPLETE
    return and_(Scorecard.use_case_id == UseCase.id, Scorecard.instrument == "readiness", complete,
                UseCase.status == UseCaseStatus.ACTIVE, UseCase.stage.in_(stages), ~later)


async def readiness_bands(session: AsyncSession, stages: list[str], bands: list[tuple[str, int, int]],
                          hard_keys: list[str], hard_min: int, item: str, at_most: int) -> dict[str, int]:
    """Band -> live use cases in `stages` whose latest readiness total falls in it; with "scored",
    "hard_gate_fail" (a hard-gate area below `hard_min`) and "low_item" (`item` scored `at_most` or less).
    One pass over the answers (covering index ix_scorecard_answer_values)."""
    hard = case((and_(ScorecardAnswer.item_key.in_(hard_keys), ScorecardAnswer.value < hard_min), 1), else_=0)
    low = case((and_(ScorecardAnswer.item_key == item, ScorecardAnswer.value <= at_most), 1), else_=0)
    per = (select(func.sum(ScorecardAnswer.value).label("total"), func.max(hard).label("hard"),
                  func.max(low).label("low"))
           .select_from(UseCase).join(Scorecard, _latest_readiness(session, stages))
           .join(ScorecardAnswer, ScorecardAnswer.scorecard_id == Scorecard.id)
           .group_by(Scorecard.id)).subquery()
    band = case(*[(and_(per.c.total >= lo, per.c.total <= hi), literal(k)) for k, lo, hi in bands], else_=literal(""))
    q = select(band, func.count(), func.sum(per.c.hard), func.sum(per.c.low)).group_by(band)
    out: dict[str, int] = {"hard_gate_fail": 0, "scored": 0, "low_item": 0}
    for b, c, h, lo in await _rows(session, q):
        out[b] = c
        out["scored"] += c
        out["hard_gate_fail"] += int(h or 0)
        out["low_item"] += int(lo or 0)
    return out


async def low_scores(session: AsyncSession, stages: list[str], item: str, at_most: int, n: int,
                     visible: bool) -> list[tuple]:
    """(id, title, stage, value) of live use cases whose latest readiness scored `item` at `at_most` or less,
    lowest first (index ix_scorecard_answer_item)."""
    q = (select(UseCase.id, UseCase.title, UseCase.stage, ScorecardAnswer.value)
         .select_from(ScorecardAnswer).join(Scorecard, Scorecard.id == ScorecardAnswer.scorecard_id)
         .join(UseCase, _latest_readiness(session, stages))
         .where(ScorecardAnswer.item_key == item, ScorecardAnswer.value <= at_most)
         .order_by(ScorecardAnswer.value, UseCase.id).limit(n))
    return await _rows(session, _visible(q, visible))


async def review_load(session: AsyncSession) -> dict[str, int]:
    q = (select(ReviewRequest.group_key, func.count()).where(ReviewRequest.status.in_(OPEN_REVIEW))
         .group_by(ReviewRequest.group_key))
    return {g: c for g, c in await _rows(session, q)}


async def escalations_since(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Reviews escalated since `since`, by the group they went to."""
    escalated = select(ReviewRequest.id).where(ReviewRequest.escalated_from_id.is_not(None),
                                               ReviewRequest.created_at > since)  # index ix_review_escalated
    q = (select(ReviewRequest.group_key, func.count()).where(ReviewRequest.id.in_(escalated))
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


def whole_days(session: AsyncSession, later, earlier):
    d = days_between(session, later, earlier)
    return cast(func.floor(d), Integer) if dialect(session) == "postgresql" else cast(d, Integer)


def median_of(histogram: list[tuple[int, int]]) -> float | None:
    """The median of a histogram [(value, count)] sorted by value (a walk over its buckets, not over rows)."""
    total = sum(c for _, c in histogram)
    if not total:
        return None
    lo, hi = (total + 1) // 2, (total + 2) // 2
    seen, found = 0, []
    for value, count in histogram:
        seen += count
        while len(found) < 2 and seen >= (lo, hi)[len(found)]:
            found.append(value)
    return (found[0] + found[1]) / 2


async def median_days_in_stage(session: AsyncSession) -> dict[str, float]:
    """Median whole days of the completed stays in each stage (entering a stage to leaving it).

    Each use case's moves are read in order from the covering index ix_stage_change_timeline; LEAD gives the
    next move; SQL counts the stays per (stage, whole days), and the median is read off that histogram.
    """
    nxt = func.lead(StageChange.at).over(partition_by=StageChange.use_case_id,
                                         order_by=(StageChange.at, StageChange.id))
    stays = (select(StageChange.to_stage.label("g"), StageChange.at.label("entered"), nxt.label("left"))
             .where(_stage_moved())).subquery()
    days = (select(stays.c.g, whole_days(session, stays.c.left, stays.c.entered).label("d"))
            .where(stays.c.left.is_not(None))).subquery()  # each stay's days computed once, then counted
    q = select(days.c.g, days.c.d, func.count()).group_by(days.c.g, days.c.d)
    hist: dict[str, list[tuple[int, int]]] = {}
    for g, d, c in sorted(await _rows(session, q), key=lambda r: (r[0], r[1])):
        hist.setdefault(g, []).append((d, c))
    return {g: m for g, h in hist.items() if (m := median_of(h)) is not None}


# -- what falls due before the next digest -------------------------------------------------------------
async def due_before(session: AsyncSession, now: datetime, until: datetime, today: date, until_day: date,
                     n: int, visible: bool) -> tuple[dict[str, int], list[tuple]]:
    """Counts of reviews, conditions, pilot exits and KPI values falling due in [now, until), and the first
    `n` of each as (when, kind, use case id, title, ref id)."""
    parts = {
        "reviews": (ReviewRequest, ReviewRequest.due_at, "review", ReviewRequest.id,
                    and_(ReviewRequest.status == ReviewStatus.PENDING, ReviewRequest.paused_at.is_(None),
                         ReviewRequest.due_at >= now, ReviewRequest.due_at < until)),
        "conditions": (Condition, Condition.due_date, "condition", Condition.id,
                       and_(Condition.status == ConditionStatus.OPEN, Condition.due_date >= today,
                            Condition.due_date <= until_day)),
        "pilot_exits": (UseCase, UseCase.pilot_exit_date, "pilot", UseCase.id,
                        and_(UseCase.status == UseCaseStatus.ACTIVE, UseCase.pilot_exit_date >= today,
                             UseCase.pilot_exit_date <= until_day, UseCase.stage == "pilot")),
        "kpi_values": (Kpi, Kpi.next_due_at, "kpi", Kpi.id,
                       and_(Kpi.active.is_(True), Kpi.next_due_at >= now, Kpi.next_due_at < until)),
    }
    counts: dict[str, int] = {}
    items: list[tuple] = []
    for name, (model, when, kind, ref, where) in parts.items():
        (counts[name],) = await _one(session, select(func.count()).select_from(model).where(where))
        q = select(when, literal(kind), UseCase.id, UseCase.title, ref).where(where)
        if model is not UseCase:
            q = q.join(UseCase, UseCase.id == model.use_case_id)
        items += await _rows(session, _visible(q.order_by(when).limit(n), visible))
    return counts, items
