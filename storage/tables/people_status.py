"""People who are away (with an optional delegate), people who have left, and decisions made for someone away."""
from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class Absence(SQLModel, table=True):
    """A person away until a day (inclusive), optionally with a delegate. One row per person; `back` deletes it
    (the audit log keeps the history)."""

    __tablename__ = "absence"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    until: date  # the last day away
    delegate_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    since: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Leaver(SQLModel, table=True):
    """A person who has left the organisation: since when, and who or what said so."""

    __tablename__ = "leaver"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    left_at: datetime = Field(sa_type=UTCDateTime)
    # slack (user_change, deleted) | teams (roster miss, members removed) | admin (typed `leaver …`)
    source: str = Field(max_length=16)
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")


class DelegatedDecision(SQLModel, table=True):
    """A review decision a delegate made for an absent member (the decision row is the member's vote)."""

    __tablename__ = "delegated_decision"
    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="review_decision.id", unique=True)
    review_id: int = Field(foreign_key="review_request.id", index=True)
    for_person_id: int = Field(foreign_key="person.id")
    by_person_id: int = Field(foreign_key="person.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
