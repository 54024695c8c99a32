"""Scorecards (pilot selection, readiness, rollout and vendor checklists) and the risk register."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow
from vocabulary.states import ScorecardStatus


class Scorecard(SQLModel, table=True):
    """One shared answer set per use case, instrument and gate attempt."""

    __tablename__ = "scorecard"
    __table_args__ = (
        UniqueConstraint("use_case_id", "instrument", "attempt", name="uq_scorecard"),
        Index("ix_scorecard_status_activity", "status", "last_answer_at"),
        Index("ix_scorecard_remind", "status", "next_reminder_at", "last_answer_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id", index=True)
    instrument: str = Field(max_length=32)  # pilot_selection | readiness | rollout_checklist | vendor_checklist
    attempt: int = 1
    status: str = Field(default=ScorecardStatus.IN_PROGRESS, max_length=16)
    answered: int = 0
    started_by_id: int | None = Field(default=None, foreign_key="person.id")
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_answer_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the owners are nudged next (stamped by notifications/reminders/scorecards.py; NULL until the first).
    next_reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ScorecardAnswer(SQLModel, table=True):
    __tablename__ = "scorecard_answer"
    __table_args__ = (
        UniqueConstraint("scorecard_id", "item_key", name="uq_scorecard_answer"),
        # The digest: readiness totals and hard gates (covering), and low scores on one area.
        Index("ix_scorecard_answer_values", "scorecard_id", "item_key", "value"),
        Index("ix_scorecard_answer_item", "item_key", "value", "scorecard_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    scorecard_id: int = Field(foreign_key="scorecard.id", index=True)
    item_key: str = Field(max_length=64)
    # Scores 1..N; checklists store 1 (ready) / 0 (not ready).
    value: int
    note: str = Field(default="")
    answered_by_id: int | None = Field(default=None, foreign_key="person.id")
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # An area scored at the explicit-review level needs a recorded review.
    reviewed_by_id: int | None = Field(default=None, foreign_key="person.id")
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    review_note: str = Field(default="")


class RiskEntry(SQLModel, table=True):
    __tablename__ = "risk_entry"
    __table_args__ = (
        Index("ix_risk_use_case_status", "use_case_id", "status"),
        # The digest's top risks: highest likelihood x impact first, newest first.
        Index("ix_risk_score", "likelihood", "impact", "updated_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id")
    area_key: str = Field(max_length=64)
    description: str = Field(default="")
    likelihood: str = Field(default="medium", max_length=16)
    impact: str = Field(default="medium", max_length=16)
    owner_id: int | None = Field(default=None, foreign_key="person.id")
    control: str = Field(default="")
    status: str = Field(default="open", max_length=16)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_reviewed_by_id: int | None = Field(default=None, foreign_key="person.id")
