"""Everything one digest reports, gathered from the aggregate queries in storage/repo/digest.py.

Totals are computed once; the top-N lists once per visibility (leadership channels see restricted use cases
by name, other channels only in the counts). The `snapshot` of a sent digest is what the next one compares
against ("change since the last digest").
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.policy import DigestSchedule, Policy
from notifications.reminders import hours
from storage.repo import digest as q

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
    next_counts: dict[str, int] = field(default_factory=dict)
    next_items: list[tuple] = field(default_factory=list)

    # -- derived figures ---------------------------------------------------------------------
    def by_stage(self, status: str = "active") -> dict[str, int]:
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
        live = self.by_stage("active")
        return {"at": self.times.period_at.isoformat(), "stages": {k: live.get(k, 0) for k in stage_keys},
                "paused": self.total("paused"), "stopped": self.total("stopped"),
                "overdue_reviews": self.overdue_reviews, "open_incidents": sum(self.incidents_by_severity.values()),
                "limbo": self.limbo[0], "conditions_past_due": self.conditions[0],
                "kpis_at_target": self.kpis.get("at_target", 0)}


async def collect(session: AsyncSession, policy: Policy, schedule: DigestSchedule, times: Times,
                  visibilities: set[bool], previous: dict | None = None) -> dict[bool, DigestData]:
    """The digest's figures, and its lists for each visibility asked for."""
    keys = policy.stage_keys
    base = DigestData(schedule=schedule, times=times, previous=previous)
    base.stages = await q.stage_counts(session)
    base.kpis = await q.kpi_summary(session)
    base.moves = await q.moves_since(session, times.since, times.now)
    base.overdue_by_group = await q.overdue_by_group(session, times.now)
    r = policy.readiness
    bands = [(b.key, b.min_total, b.max_total) for b in r.bands]
    base.readiness = await q.readiness_bands(session, list(READINESS_STAGES), bands, r.hard_gate_keys,
                                             r.hard_gate_min)
    base.load = await q.review_load(session)
    base.escalations = await q.escalations_since(session, times.since)
    base.incidents_by_severity = await q.incidents_by_severity(session)
    base.median_to_value, base.valued = await q.median_days_to_value(session)
    base.stage_medians = await q.median_days_in_stage(session)
    out = {}
    for visible in sorted(visibilities):
        out[visible] = await _lists(session, policy, replace(base, visible=visible), keys)
    return out


async def _lists(session: AsyncSession, policy: Policy, d: DigestData, keys: list[str]) -> DigestData:
    n, v, t = d.schedule.top_n, d.visible, d.times
    wh = policy.reminders.working_hours
    today = hours.local_today(t.now, wh)
    d.value = await q.value_items(session, [s for s in keys if s in LATER_STAGES], n, v)
    d.recent_moves = await q.recent_moves(session, t.since, t.now, n, v)
    active = [s for s in keys if s != SCALED_STAGE]
    d.stalled = await q.stalled(session, t.now - timedelta(days=STALL_DAYS), active, n, v)
    d.overdue = await q.overdue_reviews(session, t.now, n, v)
    d.gates_stopped = await q.gates_stopped(session, t.since, n, v)
    d.conditions = await q.conditions_past_due(session, today, n, v)
    d.limbo = await q.limbo_pilots(session, today, n, v)
    rr = policy.risk_register
    d.risks = await q.top_risks(session, [c.key for c in rr.likelihood], [c.key for c in rr.impact], n, v)
    d.decisions = await q.decisions(session, policy.review.leadership_group, n, v)
    d.capacity = await q.low_capacity(session, list(READINESS_STAGES), CAPACITY_ITEM, LOW_CAPACITY_AT_MOST, n, v)
    d.incidents = await q.open_incidents(session, [s.key for s in policy.incidents.severities], n, v)
    until_day = hours.local_today(t.next_at, wh)
    d.next_counts, items = await q.due_before(session, t.now, t.next_at, today, until_day, n, v)
    d.next_items = sorted(items, key=lambda r: _sort_key(r[0]))[:n]
    return d


def _sort_key(when) -> str:
    return when.isoformat() if when is not None else ""
