"""EU AI Act obligations a use case carries: tracked items with an owner, closed with evidence."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow
from vocabulary.states import ObligationStatus


class AiActObligation(SQLModel, table=True):
    __tablename__ = "ai_act_obligation"
    __table_args__ = (
        UniqueConstraint("use_case_id", "key", name="uq_ai_act_obligation"),
        # Open obligations of a use case (gates, status) and across the portfolio (digest).
        Index("ix_ai_act_obligation_open", "status", "use_case_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id", index=True)
    key: str = Field(max_length=64)
    title: str = Field(max_length=300)
    articles: str = Field(default="", max_length=300)
    owner_id: int | None = Field(default=None, foreign_key="person.id")
    # The gate out of this stage waits for it.
    before_leaving: str = Field(max_length=32)
    # open | done | withdrawn (no longer applies after a classification change)
    status: str = Field(default=ObligationStatus.OPEN, max_length=16)
    evidence: str = Field(default="")
    closed_by_id: int | None = Field(default=None, foreign_key="person.id")
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
