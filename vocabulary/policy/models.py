"""The operating-model policy as typed data.

Everything an organisation may tune lives here: stages, the four instruments,
intake risk questions and the tier rule, review routing, deadlines, reminder
and digest schedules, KPI layers, incident severities. The built-in default
(`default.yaml`) reproduces the seed frameworks exactly; an organisation file
overrides parts of it (see `loader.py`).
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vocabulary.policy.fields import (  # noqa: F401
    TIERS,
    CronExpr,
    Positive,
    Tier,
    TimeZone,
    cron_problem,
    timezone_problem,
)
from vocabulary.policy.problems import PolicyReferenceError  # noqa: F401
from vocabulary.policy.references import check_references
from vocabulary.policy.regulation import EuAiAct, Framework
from vocabulary.policy.regulation_checks import check_regulation


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
    # Cosine of the ideas' meaning vectors (conversations/similar/search.py): at least similar_threshold shows
    # a match as a related idea, at least similar_same_threshold asks whether it is the same idea.
    similar_threshold: Annotated[float, Field(ge=0, le=1)] = 0.35
    similar_same_threshold: Annotated[float, Field(ge=0, le=1)] = 0.65
    similar_max: Positive = 3


class Gate(_Strict):
    """A move between two consecutive stages and what it requires.

    `requires` are precondition keys understood by `vocabulary.rules.gates`.
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
    # Housekeeping (notifications/housekeeping.py): processed inbound requests are kept this long (a platform
    # retry inside it is still recognised), stored Slack forms past their day and oversized-button stashes
    # this long after they were written.
    inbound_retention_days: Positive = 14
    stash_retention_days: Positive = 90


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
    # Who manages review groups in chat (emails); AIOM_ADMINS adds to them.
    admins: list[str] = Field(default_factory=list)
    # Regulation and frameworks as data (built in: eu_ai_act.yaml and frameworks.yaml; see regulation.py).
    eu_ai_act: EuAiAct | None = None
    frameworks: list[Framework] = Field(default_factory=list)

    def framework(self, key: str) -> Framework:
        for f in self.frameworks:
            if f.key == key:
                return f
        raise KeyError(key)

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
        """Checks that span sections (see references.py): every problem, each with its own location."""
        check_references(self)
        return self

    @model_validator(mode="after")
    def _regulation_references(self) -> "Policy":
        check_regulation(self)
        return self
