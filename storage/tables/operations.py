"""Live operation: KPIs with their time series, and incidents."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow
from vocabulary.states import IncidentStatus, KpiFlag


class Kpi(SQLModel, table=True):
    __tablename__ = "kpi"
    __table_args__ = (Index("ix_kpi_due", "active", "next_due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id", index=True)
    layer: str = Field(max_length=32)  # business_outcome | model_quality | operational_health
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=32)
    baseline: float
    target: float
    direction: str = Field(default="higher", max_length=8)  # higher | lower is better
    owner_id: int | None = Field(default=None, foreign_key="person.id")
    cadence: str = Field(max_length=32)
    active: bool = True
    next_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_value: float | None = None
    last_value_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_prompt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    flagged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Why it is flagged (while flagged_at is set): moving_away | not_reported.
    flag_reason: str = Field(default=KpiFlag.NONE, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class KpiValue(SQLModel, table=True):
    __tablename__ = "kpi_value"
    __table_args__ = (Index("ix_kpi_value_series", "kpi_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    kpi_id: int = Field(foreign_key="kpi.id")
    value: float
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reported_by_id: int | None = Field(default=None, foreign_key="person.id")


class Incident(SQLModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_open", "status", "severity"),
        Index("ix_incident_use_case", "use_case_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id")
    description: str
    severity: str = Field(max_length=16)
    affected: str = Field(default="")
    # open | acknowledged | closed
    status: str = Field(default=IncidentStatus.OPEN, max_length=16)
    reported_by_id: int | None = Field(default=None, foreign_key="person.id")
    reported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    acknowledged_by_id: int | None = Field(default=None, foreign_key="person.id")
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responder_id: int | None = Field(default=None, foreign_key="person.id")
    response: str = Field(default="")
    rollback_action: str | None = Field(default=None, max_length=16)  # pause | limit | reverse
    rollback_by_id: int | None = Field(default=None, foreign_key="person.id")
    rollback_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rollback_reason: str = Field(default="")
    cause: str = Field(default="")
    corrective_action: str = Field(default="")
    closed_by_id: int | None = Field(default=None, foreign_key="person.id")
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Bumped on every change (one change per concurrent click; unique keys for card updates).
    version: int = 1
