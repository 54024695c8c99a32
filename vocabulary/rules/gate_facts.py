"""What a stage gate looks at and what it answers, as plain data: the facts about a use case (gathered from the
database by `conversations.stages.gate_facts`), each precondition that does not hold, and the check's result.
The rules that judge them are in gates.py and ai_act_gate.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Missing:
    key: str
    what: str
    how: str


@dataclass(frozen=True)
class OpenObligation:
    title: str
    articles: str
    owner: str
    before_leaving: str


@dataclass
class GateFacts:
    """Everything the preconditions look at, as plain data."""

    use_case_id: int | None = None
    problem_stated: bool = False
    outcome_stated: bool = False
    business_owner_named: bool = False
    delivery_owner_named: bool = False
    # Pilot selection: the total once every criterion is scored, else None.
    pilot_selection_total: int | None = None
    pilot_selection_answered: int = 0
    readiness_answers: dict[str, int] = field(default_factory=dict)
    readiness_complete: bool = False
    # Readiness areas at the explicit-review level -> whether a review is recorded.
    areas_at_one_reviewed: dict[str, bool] = field(default_factory=dict)
    risk_entries: int = 0
    risk_reviewed_at: datetime | None = None
    stage_entered_at: datetime | None = None
    rollout_answers: dict[str, int] = field(default_factory=dict)
    rollout_complete: bool = False
    vendor_involved: bool = False
    vendor_answered: int = 0
    vendor_complete: bool = False
    open_conditions: int = 0
    kpis_with_baselines: int = 0
    # The EU AI Act classification and its open obligations (see vocabulary/rules/ai_act_gate.py).
    ai_act_class: str = ""
    open_obligations: list[OpenObligation] = field(default_factory=list)

    @property
    def owners_named(self) -> bool:
        return self.business_owner_named and self.delivery_owner_named


@dataclass
class GateCheck:
    missing: list[Missing]
    # The gate passes only with conditions attached (a conditional readiness band).
    needs_conditions: bool = False

    @property
    def ok(self) -> bool:
        return not self.missing

    @property
    def keys(self) -> list[str]:
        return [m.key for m in self.missing]
