"""Use cases: the intake facts, risk tier, stage and status, and their history."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime, utcnow
from vocabulary.states import TierOverride, UseCaseStatus


class UseCase(SQLModel, table=True):
    __tablename__ = "use_case"
    __table_args__ = (
        Index("ix_use_case_stage_status", "stage", "status"),
        Index("ix_use_case_pilot_exit", "status", "pilot_exit_date"),
        # Pilots left in limbo: never flagged (NULL, exit date range) and flagged before (next flag range).
        Index("ix_use_case_limbo", "stage", "status", "limbo_next_reminder_at", "pilot_exit_date"),
        # The digest: stalled use cases, and time from idea to value.
        Index("ix_use_case_stalled", "status", "stage_entered_at", "stage"),
        Index("ix_use_case_value", "value_reached_at", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    problem: str = Field(default="")
    outcome: str = Field(default="")
    value_stream: str = Field(default="", max_length=500)
    theme: str = Field(default="", max_length=64)
    affected_users: str = Field(default="")
    data_used: str = Field(default="")
    data_sensitivity: str = Field(default="", max_length=64)
    vendor_involved: bool = False
    vendor_name: str = Field(default="", max_length=200)
    target_timeline: str = Field(default="", max_length=64)

    proposer_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    business_owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    delivery_owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    sponsor_id: int | None = Field(default=None, foreign_key="person.id", index=True)

    risk_answers: dict = Field(default_factory=dict, sa_type=JSONType)
    risk_tier: str = Field(default="low", max_length=8)  # tier computed from the answers
    risk_tier_reasons: list = Field(default_factory=list, sa_type=JSONType)
    tier_requested: str | None = Field(default=None, max_length=8)
    tier_justification: str = Field(default="")
    # none | pending | accepted | rejected
    tier_override_status: str = Field(default=TierOverride.NONE, max_length=16)

    stage: str = Field(default="exploration", max_length=32)
    # active | paused | stopped | withdrawn
    status: str = Field(default=UseCaseStatus.ACTIVE, max_length=16, index=True)
    status_reason: str = Field(default="")
    # Set by the "limit" rollback after an incident (who may still use it, since when, why); "" when unlimited.
    scope_limit: str = Field(default="")
    restricted: bool = False
    pilot_exit_date: date | None = None
    linked_to_id: int | None = Field(default=None, foreign_key="use_case.id")
    imported: bool = False
    external_ref: str | None = Field(default=None, max_length=128, unique=True)

    stage_entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The owners confirmed the risk register was reviewed (gates compare it with stage_entered_at).
    risk_reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the first KPI reached its target (time-to-value).
    value_reached_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When a pilot past its exit date with no decision is flagged next (notifications/reminders/limbo.py).
    limbo_next_reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Incremented on every edit of the facts; reviewers see what changed since their version.
    version: int = 1
    # The EU AI Act classification: prohibited | high_risk | transparency | minimal ("" = not assessed), the
    # role (provider | deployer | both | ""), and its detail (answers, reasons with articles, gpai, transparency,
    # the computed class and, once the risk group changed it, who/why). See vocabulary/rules/ai_act.py.
    ai_act_class: str = Field(default="", max_length=16, index=True)
    ai_act_role: str = Field(default="", max_length=16)
    ai_act: dict = Field(default_factory=dict, sa_type=JSONType)

    @property
    def effective_tier(self) -> str:
        if self.tier_override_status == TierOverride.ACCEPTED and self.tier_requested:
            return self.tier_requested
        return self.risk_tier


class UseCaseContributor(SQLModel, table=True):
    """People who joined a use case (for example from a similar-idea match)."""

    __tablename__ = "use_case_contributor"
    __table_args__ = (UniqueConstraint("use_case_id", "person_id", name="uq_contributor"),)
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(default="contributor", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StageChange(SQLModel, table=True):
    __tablename__ = "stage_change"
    # The digest's time in each stage reads every use case's moves in order, from this index alone.
    __table_args__ = (Index("ix_stage_change_timeline", "use_case_id", "at", "id", "from_stage", "to_stage"),)
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id", index=True)
    from_stage: str | None = Field(default=None, max_length=32)
    to_stage: str = Field(max_length=32)
    # Status moves (pause/resume/stop/withdraw/redirect) are recorded here too.
    kind: str = Field(default="advance", max_length=16)
    reason: str = Field(default="")
    by_person_id: int | None = Field(default=None, foreign_key="person.id")
    gate_request_id: int | None = Field(default=None, foreign_key="gate_request.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
