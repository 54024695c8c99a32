"""Everything one digest reports, gathered from the aggregate queries in storage/repo/digest.py.

Totals are computed once; the top-N lists once per visibility (leadership channels see restricted use cases
by name, other channels only in the counts). The `snapshot` of a sent digest is what the next one compares
against ("change since the last digest").
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from conversations.groups.open_reviews import undecidable_reviews
from vocabulary.policy import DigestSchedule, Policy
from vocabulary import hours
from storage.repo import digest as q
from storage.repo import digest_history as history_repo
from storage.repo import kpis as kpi_repo
from storage.repo import regulation as regulation_repo
from storage.repo import readiness_drops as drops_repo
from vocabulary.states import UseCaseStatus

STALL_DAYS = 30  # no stage change for this long counts as stalled (exploration to scale decision)
LOW_CAPACITY_AT_MOST = 2  # readiness "delivery capacity" at 2 (major gaps) or below is resourcing pressure
CAPACITY_ITEM = "delivery_capacity"
LATER_STAGES = ("controlled_rollout", "scale_decision", "ongoing_operation")
READINESS_STAGES = ("pilot", "controlled_rollout")
SCALED_STAGE = "ongoing_operation"


@dataclass
class Times:
    period_at: datetime  # the scheduled slot this digest is for
    since: datetime  # the slot of the previous digest: "since the last digest"
    next_at: datetime  # the next slot: "before the next digest"
    now: datetime
    late: bool = False


@dataclass
class DigestData:
    schedule: DigestSchedule
    times: Times
    visible: bool = True
    previous: dict | None = None
    stages: dict[tuple[str, str], int] = field(default_factory=dict)
    kpis: dict[str, int] = field(default_factory=dict)
    moves: list[tuple] = field(default_factory=list)
    overdue_by_group: dict[str, int] = field(default_factory=dict)
    readiness: dict[str, int] = field(default_factory=dict)
    load: dict[str, int] = field(default_factory=dict)
    escalations: dict[str, int] = field(default_factory=dict)
    incidents_by_severity: dict[str, int] = field(default_factory=dict)
    median_to_value: float | None = None
    valued: int = 0
    stage_medians: dict[str, float] = field(default_factory=dict)
    restricted_stages: dict[str, int] = field(default_factory=dict)  # live restricted use cases by stage
    # (count, rows) pairs and lists, per visibility
    value: list[tuple] = field(default_factory=list)
    recent_moves: list[tuple] = field(default_factory=list)
    stalled: tuple[int, list] = (0, [])
    overdue: list[tuple] = field(default_factory=list)
    gates_stopped: tuple[int, list] = (0, [])
    conditions: tuple[int, list] = (0, [])
    limbo: tuple[int, list] = (0, [])
    risks: tuple[int, list] = (0, [])
    decisions: tuple[int, list] = (0, [])
    capacity: tuple[int, list] = (0, [])
    incidents: list[tuple] = field(default_factory=list)
    flagged_kpis: list = field(default_factory=list)  # the top N flagged KPIs (storage.repo.kpis.FlaggedKpi)
    # Readiness drops after a passed gate, this period: (count, rows of storage.repo.readiness_drops.since)
    readiness_drops: tuple[int, list] = (0, [])
    # pairs that look like the same idea, one of them new or edited since the last digest (conversations.similar.pairs)
    duplicates: list = field(default_factory=list)
    next_counts: dict[str, int] = field(default_factory=dict)
    next_items: list[tuple] = field(default_factory=list)
    # Open reviews nobody can decide: (count, [(review id, use case id, title, group, reason)]).
    undecidable: tuple[int, list] = (0, [])
    ai_act: dict = field(default_factory=dict)  # the EU AI Act section (storage.repo.regulation.digest_summary)

    # -- derived figures ---------------------------------------------------------------------
    def by_stage(self, status: str = UseCaseStatus.ACTIVE) -> dict[str, int]:
        out: dict[str, int] = {}
        for (stage, st), n in self.stages.items():
            if st == status:
                out[stage] = out.get(stage, 0) + n
        return out

    def total(self, status: str | None = None) -> int:
        return sum(n for (_, st), n in self.stages.items() if status is None or st == status)

    @property
    def overdue_reviews(self) -> int:
        return sum(self.overdue_by_group.values())

    def pilots_scaled(self, stage_keys: list[str]) -> tuple[int, int]:
        """(use cases that reached scale, use cases that ever entered pilot), by current stage."""
        if "pilot" not in stage_keys:
            return 0, 0
        later = stage_keys[stage_keys.index("pilot"):]
        entered = sum(n for (stage, _), n in self.stages.items() if stage in later)
        scaled = sum(n for (stage, _), n in self.stages.items() if stage == SCALED_STAGE)
        return scaled, entered

    def snapshot(self, stage_keys: list[str]) -> dict:
        live = self.by_stage(UseCaseStatus.ACTIVE)
        return {"at": self.times.period_at.isoformat(), "stages": {k: live.get(k, 0) for k in stage_keys},
                "paused": self.total(UseCaseStatus.PAUSED), "stopped": self.total(UseCaseStatus.STOPPED),
                "overdue_reviews": self.overdue_reviews, "open_incidents": sum(self.incidents_by_severity.values()),
                "limbo": self.limbo[0], "conditions_past_due": self.conditions[0],
                "kpis_at_target": self.kpis.get("at_target", 0), **self.history_figures(stage_keys)}

    def history_figures(self, stage_keys: list[str]) -> dict:
        """What the trend and health charts need of this period (notifications/digest/history.py)."""
        scaled, entered = self.pilots_scaled(stage_keys)
        return {"restricted": {k: n for k, n in self.restricted_stages.items() if n},
                "health": {"scaled": scaled, "entered": entered, "to_value": self.median_to_value,
                           "valued": self.valued, "stage_days": dict(self.stage_medians)}}


PARALLEL = 3  # queries in flight at once, each on its own read connection


async def collect(db, policy: Policy, schedule: DigestSchedule, times: Times, visibilities: set[bool],
                  previous: dict | None = None) -> dict[bool, DigestData]:
    """The digest's figures, and its lists for each visibility asked for.

    The queries are independent, so they run a few at a time, each on its own read connection (SQLite in WAL
    mode and Postgres both serve concurrent readers; SQLite works outside the GIL): the digest costs about
    its longest aggregates rather than the sum of all. Each reads the committed state when it starts, so a
    change committed during the build may show in one section and not yet in another, which a periodic
    summary can live with.
    """
    gate = asyncio.Semaphore(PARALLEL)

    async def run(fn, *args):
        async with gate:
            async with db.read() as s:
                return await fn(s, *args)

    r, rr, t = policy.readiness, policy.risk_register, times
    keys = policy.stage_keys
    wh = policy.reminders.working_hours
    today, until_day = hours.local_today(t.now, wh), hours.local_today(t.next_at, wh)
    later, active = [s for s in keys if s in LATER_STAGES], [s for s in keys if s != SCALED_STAGE]
    figures = {  # the two heaviest first
        "stage_medians": run(q.median_days_in_stage),
        "readiness": run(q.readiness_bands, list(READINESS_STAGES), [(b.key, b.min_total, b.max_total)
                                                                     for b in r.bands],
                         r.hard_gate_keys, r.hard_gate_min, CAPACITY_ITEM, LOW_CAPACITY_AT_MOST),
        "stages": run(q.stage_counts), "kpis": run(q.kpi_summary), "moves": run(q.moves_since, t.since, t.now),
        "overdue_by_group": run(q.overdue_by_group, t.now), "load": run(q.review_load),
        "escalations": run(q.escalations_since, t.since), "incidents_by_severity": run(q.incidents_by_severity),
        "to_value": run(q.median_days_to_value), "restricted_stages": run(history_repo.restricted_stage_counts),
    }
    lists = {}
    for v in sorted(visibilities):
        n = schedule.top_n
        lists[v] = {
            "risks": run(q.top_risks, [c.key for c in rr.likelihood], [c.key for c in rr.impact], n, v, today),
            "value": run(q.value_items, later, n, v), "recent_moves": run(q.recent_moves, t.since, t.now, n, v),
            "stalled": run(q.stalled, t.now - timedelta(days=STALL_DAYS), active, n, v),
            "overdue": run(q.overdue_reviews, t.now, n, v), "gates_stopped": run(q.gates_stopped, t.since, n, v),
            "conditions": run(q.conditions_past_due, today, n, v), "limbo": run(q.limbo_pilots, today, n, v),
            "decisions": run(q.decisions, policy.review.leadership_group, n, v),
            "low": run(q.low_scores, list(READINESS_STAGES), CAPACITY_ITEM, LOW_CAPACITY_AT_MOST, n, v),
            "incidents": run(q.open_incidents, [s.key for s in policy.incidents.severities], n, v),
            "flagged_kpis": run(_flagged, n, v, today),
            "readiness_drops": run(drops_repo.since, t.since, n, v),
            "duplicates": run(_duplicates, policy.intake.similar_same_threshold, t.since, v),
            "next": run(q.due_before, t.now, t.next_at, today, until_day, n, v),
            "undecidable": run(undecidable_reviews, policy, n, v),
            "ai_act": run(regulation_repo.digest_summary, n, v),
        }
    names = list(figures) + [(v, k) for v, d in lists.items() for k in d]
    coros = list(figures.values()) + [c for d in lists.values() for c in d.values()]
    done = dict(zip(names, await asyncio.gather(*coros)))

    base = DigestData(schedule=schedule, times=times, previous=previous)
    for name in figures:
        if name == "to_value":
            base.median_to_value, base.valued = done[name]
        else:
            setattr(base, name, done[name])
    out = {}
    for v in lists:
        d = replace(base, visible=v)
        for name in ("risks", "value", "recent_moves", "stalled", "overdue", "gates_stopped", "conditions", "limbo",
                     "decisions", "incidents", "flagged_kpis", "undecidable", "ai_act", "readiness_drops",
                     "duplicates"):
            setattr(d, name, done[(v, name)])
        d.capacity = (base.readiness.get("low_item", 0), done[(v, "low")])
        d.next_counts, items = done[(v, "next")]
        d.next_items = sorted(items, key=lambda row: _sort_key(row[0]))[:schedule.top_n]
        out[v] = d
    return out


async def _duplicates(session, threshold: float, since, visible: bool) -> list:
    """Pairs that look like the same idea, among ideas written or edited since the last digest."""
    from conversations.similar.pairs import likely_duplicates

    return await likely_duplicates(session, threshold, include_restricted=visible, since=since)


async def _flagged(session, n: int, visible: bool, today=None) -> list:
    return await kpi_repo.flagged_kpis(session, limit=n, visible=visible, today=today)


def _sort_key(when) -> str:
    return when.isoformat() if when is not None else ""
