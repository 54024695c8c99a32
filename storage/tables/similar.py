"""The similar-ideas check: each use case's meaning vector, and what proposers answered to its notices."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class UseCaseVector(SQLModel, table=True):
    """The embedding of a use case's title, problem and outcome (one row per use case).

    A write replaces the row (delete + insert), so `id` only grows: a process holding the vectors in memory
    catches up by reading the rows above the highest id it has seen.
    """

    __tablename__ = "use_case_vector"
    # The marker a search checks first (count and highest id of one model) is read from this index alone.
    __table_args__ = (Index("ix_use_case_vector_model", "model", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id", unique=True)
    model: str = Field(max_length=64)
    dim: int
    # float32 little-endian, unit length
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # sha256 of the text the vector was computed from (an edit elsewhere shows as a mismatch)
    text_hash: str = Field(max_length=64)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SimilarAnswer(SQLModel, table=True):
    """A proposer's answer to a similar-ideas notice, one row per idea the notice named."""

    __tablename__ = "similar_answer"
    __table_args__ = (Index("ix_similar_answer_intake", "intake_key", "matched_id"),)
    id: int | None = Field(default=None, primary_key=True)
    # One intake (a random key kept in its flow state): a changed answer replaces the earlier one.
    intake_key: str = Field(max_length=32)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    matched_id: int = Field(foreign_key="use_case.id")
    # same: "this looks like the same idea" | related: "related ideas you may want to talk to"
    notice: str = Field(max_length=16)
    score: float
    # same | related | not_related | other (the proposer chose another idea of the same notice)
    answer: str = Field(max_length=16)
    model: str = Field(default="", max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
