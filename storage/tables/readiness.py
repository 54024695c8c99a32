"""Readiness drops: a re-score lowered a use case's readiness after a gate that applies the readiness rules."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime, utcnow


class ReadinessDrop(SQLModel, table=True):
    """One drop, recorded when the re-score that caused it completes (the digest lists those of its period)."""

    __tablename__ = "readiness_drop"
    __table_args__ = (Index("ix_readiness_drop_at", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id", index=True)
    scorecard_id: int = Field(foreign_key="scorecard.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    stage: str = Field(max_length=32)
    total: int
    band: str = Field(max_length=32)
    before_total: int | None = None
    before_band: str = Field(default="", max_length=32)
    # What the latest scorecard now breaks, in words (band, hard gates, areas at 1 awaiting review).
    reasons: list = Field(default_factory=list, sa_type=JSONType)
