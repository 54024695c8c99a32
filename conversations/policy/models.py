"""The operating-model policy as typed data.

Everything an organisation may tune lives here: stages, the four instruments,
intake risk questions and the tier rule, review routing, deadlines, reminder
and digest schedules, KPI layers, incident severities. The built-in default
(`default.yaml`) reproduces the seed frameworks exactly; an organisation file
overrides parts of it (see `loader.py`).
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

Tier = Literal["low", "medium", "high"]
TIERS: tuple[str, ...] = ("low", "medium", "high")


def cron_problem(expr: str) -> str | None:
    """Why `expr` is not a usable five-field cron expression, or None."""
    if len(expr.split()) != 5:
        return f"{expr!r} is not a cron expression of five fields (minute hour day month weekday)"
    try:
        from apscheduler.triggers.cron import CronTrigger
    except ImportError:  # pragma: no cover - the scheduler is a dependency
        return None
    try:
        CronTrigger.from_crontab(expr, timezone="UTC")
    except Exception as exc:  # apscheduler raises ValueError and friends
        return f"invalid cron expression {expr!r}: {exc}"
    return None


def timezone_problem(name: str) -> str | None:
    """Why `name` is not a known IANA time zone, or None (also when no zone
    database is installed, so nothing can be checked)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
        return None
    except (ZoneInfoNotFoundError, ValueError):
        try:
            ZoneInfo("UTC")
        except ZoneInfoNotFoundError:  # pragma: no cover
            return None
        return f"unknown time zone {name!r}"


def _checked(check):
    def validate(value: str) -> str:
        if (problem := check(value)) is not None:
            raise ValueError(problem)
        return value
    return AfterValidator(validate)


CronExpr = Annotated[str, _checked(cron_problem)]
TimeZone = Annotated[str, _checked(timezone_problem)]
Positive = Annotated[int, Field(ge=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StageDef(_Strict):
    key: str
    label: str
    proves: str
    move_on_when: str
    decided_by: str


class Choice(_Strict):
    key: str
    label: str


class InstrumentItem(_Strict):
    """One criterion / area / checkpoint of an instrument."""

    key: str
    name: str
    question: str
    # What a weak answer looks like (readiness red flags, selection "why it matters").
    low_looks_like: str = ""
    # What good looks like.
    good_looks_like: str = ""
    hard_gate: bool = False


class ScoredInstrument(_Strict):
    key: str
    name: str
    scale_min: int
    scale_max: int
    scale_labels: dict[int, str] = Field(default_factory=dict)
    items: list[InstrumentItem]

    @property
    def total_min(self) -> int:
        return self.scale_min * len(self.items)

    @property
    def total_max(self) -> int:
        return self.scale_max * len(self.items)

    def item(self, key: str) -> InstrumentItem:
        for it in self.items:
            if it.key == key:
                return it
        raise KeyError(key)


class PilotSelection(ScoredInstrument):
    # A total strictly above this is a strong candidate.
    strong_above: int


class Band(_Strict):
    key: str
    label: str
    min_total: int
    max_total: int
    action: str


class Readiness(ScoredInstrument):
    bands: list[Band]
    # A hard-gate area scored below this blocks scaling.
    hard_gate_min: int
    # An area scored at or below this needs an explicit review.
    explicit_review_at: int
    # The weakest band that may still pass the pilot -> controlled rollout gate.
    gate_min_band: str
    # Bands that pass the gate only with conditions attached.
    conditional_bands: list[str] = Field(default_factory=list)

    @property
    def hard_gate_keys(self) -> list[str]:
        return [i.key for i in self.items if i.hard_gate]


class Checklist(_Strict):
    key: str
    name: str
    items: list[InstrumentItem]


class RiskArea(_Strict):
    key: str
    name: str
    looks_like: str
    why_it_matters: str
    owner_role: str
    good_control: str


class RiskRegister(_Strict):
    areas: list[RiskArea]
    likelihood: list[Choice]
    impact: list[Choice]
    statuses: list[Choice]

    def area(self, key: str) -> RiskArea:
        for a in self.areas:
            if a.key == key:
                return a
        raise KeyError(key)


class RiskOption(_Strict):
    key: str
    label: str
    tier: Tier


class RiskQuestion(_Strict):
    key: str
    question: str
    help: str = ""
    options: list[RiskOption]


class TierRule(_Strict):
    """Tier = the highest tier any answer carries; then, if at least
    `count` answers carry tier `at`, the tier becomes `becomes` (when higher)."""

    class Escalation(_Strict):
        at: Tier
        count: int
        becomes: Tier

    escalations: list[Escalation] = Field(default_factory=list)


class Intake(_Strict):
    themes: list[Choice]
    timelines: list[Choice]
    risk_questions: list[RiskQuestion]
    tier_rule: TierRule
    outcome_hint: str
    text_max: Positive = 1500
    title_max: Positive = 120
    similar_threshold: Annotated[float, Field(ge=0, le=1)] = 0.35
    similar_max: Positive = 3


class Gate(_Strict):
    """A move between two consecutive stages and what it requires.

    `requires` are precondition keys understood by `conversations.rules.gates`.
    """

    from_stage: str
    to_stage: str
    requires: list[str]
    # Review groups by tier; `with_vendor` groups join when a vendor is involved.
    groups: dict[Tier, list[str]]
    with_vendor: list[str] = Field(default_factory=list)


class ReviewGroup(_Strict):
    key: str
    name: str
    members: list[str] = Field(default_factory=list)  # emails
    channels: dict[str, list[str]] = Field(default_factory=dict)  # platform -> channel ids
    quorum: int = 1
    escalates_to: str | None = None


class ReviewPolicy(_Strict):
    groups: list[ReviewGroup]
    deadline_days: dict[Tier, int]
    remind_every_days: Positive
    reminders_before_escalation: Annotated[int, Field(ge=0)]
    leadership_group: str
    # Groups whose members may pause, resume and redirect.
    leadership_actions_groups: list[str]

    def group(self, key: str) -> ReviewGroup:
        for g in self.groups:
            if g.key == key:
                return g
        raise KeyError(key)


class WorkingHours(_Strict):
    start_hour: int = 9
    end_hour: int = 17
    days: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])  # Monday=0
    default_timezone: TimeZone = "UTC"
    allow_outside: bool = False

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if any(not 0 <= d <= 6 for d in v):
            raise ValueError("days are 0 (Monday) to 6 (Sunday)")
        return v

    @model_validator(mode="after")
    def _hours(self) -> "WorkingHours":
        if not 0 <= self.start_hour < self.end_hour <= 24:
            raise ValueError("need 0 <= start_hour < end_hour <= 24")
        return self


class ReminderPolicy(_Strict):
    sweep_cron: CronExpr
    timezone: TimeZone
    working_hours: WorkingHours
    scorecard_stale_days: Positive
    intake_abandoned_days: Positive
    condition_remind_every_days: Positive
    limbo_remind_every_days: Positive
    # What to do with reminders that went stale during downtime: send one
    # catch-up reminder ("once") or skip to the next regular slot ("skip").
    after_downtime: Literal["once", "skip"] = "once"
    claim_seconds: Positive = 120


class DigestSchedule(_Strict):
    key: str
    name: str
    cron: CronExpr
    timezone: TimeZone
    channels: dict[str, list[str]] = Field(default_factory=dict)
    top_n: Positive = 5


class KpiLayer(_Strict):
    key: str
    label: str
    default_cadence: str
    examples: list[str] = Field(default_factory=list)


class KpiPolicy(_Strict):
    layers: list[KpiLayer]
    cadence_days: dict[str, Positive]
    missed_cadences_flag: Positive = 2


class Severity(_Strict):
    key: str
    label: str
    notify_groups: list[str]
    ack_within_minutes: int | None = None


class IncidentPolicy(_Strict):
    severities: list[Severity]
    rollback_groups: list[str]
    rollback_actions: list[Choice]


class Policy(_Strict):
    version: int = 1
    organisation: str
    stages: list[StageDef]
    pilot_selection: PilotSelection
    readiness: Readiness
    risk_register: RiskRegister
    rollout_checklist: Checklist
    vendor_checklist: Checklist
    intake: Intake
    gates: list[Gate]
    review: ReviewPolicy
    reminders: ReminderPolicy
    digests: list[DigestSchedule]
    kpis: KpiPolicy
    incidents: IncidentPolicy
    export_groups: list[str]

    @property
    def stage_keys(self) -> list[str]:
        return [s.key for s in self.stages]

    def stage(self, key: str) -> StageDef:
        for s in self.stages:
            if s.key == key:
                return s
        raise KeyError(key)

    def gate_from(self, stage: str) -> Gate | None:
        for g in self.gates:
            if g.from_stage == stage:
                return g
        return None

    @model_validator(mode="after")
    def _cross_references(self) -> "Policy":
        """Checks that span sections. Every problem is reported, each with its
        own location, through one `PolicyReferenceError`."""
        problems: list[tuple[str, str]] = []
        add = lambda loc, msg: problems.append((loc, msg))  # noqa: E731
        stages = self.stage_keys
        groups = {g.key for g in self.review.groups}

        def group_ref(loc: str, key: str | None) -> None:
            if key not in groups:
                add(loc, f"unknown review group {key!r} (known: {', '.join(sorted(groups))})")

        for where, entries in self._keyed_lists():
            seen: set[str] = set()
            for i, e in enumerate(entries):
                if e.key in seen:
                    add(f"{where}[{i}].key", f"duplicate key {e.key!r}")
                seen.add(e.key)
        for i, g in enumerate(self.gates):
            if g.from_stage not in stages or g.to_stage not in stages:
                add(f"gates[{i}]", f"unknown stage {g.from_stage!r} -> {g.to_stage!r}")
            elif stages.index(g.to_stage) != stages.index(g.from_stage) + 1:
                add(f"gates[{i}]", "a gate must move to the next stage")
            for tier in TIERS:
                if tier not in g.groups:
                    add(f"gates[{i}].groups", f"no groups for tier {tier!r}")
            for tier, keys in g.groups.items():
                for j, k in enumerate(keys):
                    group_ref(f"gates[{i}].groups.{tier}[{j}]", k)
            for j, k in enumerate(g.with_vendor):
                group_ref(f"gates[{i}].with_vendor[{j}]", k)
        for i, grp in enumerate(self.review.groups):
            if grp.escalates_to is not None:
                group_ref(f"review.groups[{i}].escalates_to", grp.escalates_to)
                if grp.escalates_to == grp.key:
                    add(f"review.groups[{i}].escalates_to", "a group cannot escalate to itself")
            if grp.quorum < 1:
                add(f"review.groups[{i}].quorum", "must be at least 1")
        group_ref("review.leadership_group", self.review.leadership_group)
        for where, keys in (("review.leadership_actions_groups", self.review.leadership_actions_groups),
                            ("incidents.rollback_groups", self.incidents.rollback_groups),
                            ("export_groups", self.export_groups)):
            for j, k in enumerate(keys):
                group_ref(f"{where}[{j}]", k)
        for i, sev in enumerate(self.incidents.severities):
            for j, k in enumerate(sev.notify_groups):
                group_ref(f"incidents.severities[{i}].notify_groups[{j}]", k)
        for tier in TIERS:
            if tier not in self.review.deadline_days:
                add("review.deadline_days", f"no deadline for tier {tier!r}")
        for tier, days in self.review.deadline_days.items():
            if days < 1:
                add(f"review.deadline_days.{tier}", "must be at least 1 day")
        for i, esc in enumerate(self.intake.tier_rule.escalations):
            if esc.count < 1:
                add(f"intake.tier_rule.escalations[{i}].count", "must be at least 1")
        self._check_instruments(add)
        for i, layer in enumerate(self.kpis.layers):
            if layer.default_cadence not in self.kpis.cadence_days:
                add(f"kpis.layers[{i}].default_cadence", f"unknown cadence {layer.default_cadence!r} "
                    f"(known: {', '.join(self.kpis.cadence_days)})")
        if problems:
            raise PolicyReferenceError(problems)
        return self

    def _keyed_lists(self) -> list[tuple[str, list]]:
        lists: list[tuple[str, list]] = [
            ("stages", self.stages), ("readiness.bands", self.readiness.bands),
            ("risk_register.areas", self.risk_register.areas), ("review.groups", self.review.groups),
            ("intake.themes", self.intake.themes), ("intake.timelines", self.intake.timelines),
            ("intake.risk_questions", self.intake.risk_questions), ("digests", self.digests),
            ("kpis.layers", self.kpis.layers), ("incidents.severities", self.incidents.severities),
            ("incidents.rollback_actions", self.incidents.rollback_actions)]
        for name in ("pilot_selection", "readiness", "rollout_checklist", "vendor_checklist"):
            lists.append((f"{name}.items", getattr(self, name).items))
        for name in ("likelihood", "impact", "statuses"):
            lists.append((f"risk_register.{name}", getattr(self.risk_register, name)))
        for i, q in enumerate(self.intake.risk_questions):
            lists.append((f"intake.risk_questions[{i}].options", q.options))
        return lists

    def _check_instruments(self, add) -> None:
        for name in ("pilot_selection", "readiness", "rollout_checklist", "vendor_checklist"):
            if not getattr(self, name).items:
                add(f"{name}.items", "needs at least one item")
        for name in ("pilot_selection", "readiness"):
            inst: ScoredInstrument = getattr(self, name)
            if inst.scale_min >= inst.scale_max:
                add(f"{name}.scale_max", "must be greater than scale_min")
            for score in inst.scale_labels:
                if not inst.scale_min <= score <= inst.scale_max:
                    add(f"{name}.scale_labels.{score}", f"score outside the scale {inst.scale_min}-{inst.scale_max}")
        ps, rd = self.pilot_selection, self.readiness
        if not ps.total_min <= ps.strong_above < ps.total_max:
            add("pilot_selection.strong_above", f"must lie within the total range {ps.total_min}-{ps.total_max}")
        for field in ("hard_gate_min", "explicit_review_at"):
            if not rd.scale_min <= getattr(rd, field) <= rd.scale_max:
                add(f"readiness.{field}", f"must lie within the scale {rd.scale_min}-{rd.scale_max}")
        band_keys = [b.key for b in rd.bands]
        if rd.gate_min_band not in band_keys:
            add("readiness.gate_min_band", f"unknown band {rd.gate_min_band!r}")
        for j, key in enumerate(rd.conditional_bands):
            if key not in band_keys:
                add(f"readiness.conditional_bands[{j}]", f"unknown band {key!r}")
        # Bands must tile the whole total range without gaps or overlaps.
        expect = rd.total_min
        for i, b in sorted(enumerate(rd.bands), key=lambda ib: (ib[1].min_total, ib[1].max_total)):
            if b.min_total != expect or b.max_total < b.min_total:
                add(f"readiness.bands[{i}]", f"band {b.key!r} covers {b.min_total}-{b.max_total}, but totals must be "
                    f"covered from {rd.total_min} to {rd.total_max} without gaps or overlaps (next expected "
                    f"total: {expect})")
                break
            expect = b.max_total + 1
        else:
            if expect != rd.total_max + 1:
                add("readiness.bands", f"totals {expect}-{rd.total_max} are not in any band")


class PolicyReferenceError(ValueError):
    """Raised by `Policy` validation: one (location, message) per problem."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{loc}: {msg}" for loc, msg in problems))
