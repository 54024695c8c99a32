"""Review groups, gate requests, review requests, decisions, conditions and questions."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow
from vocabulary.states import ConditionStatus, GateStatus, ReviewStatus


class ReviewGroupRow(SQLModel, table=True):
    """A review group as last synchronised from the policy."""

    __tablename__ = "review_group"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    quorum: int = 1
    escalates_to: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReviewGroupMember(SQLModel, table=True):
    __tablename__ = "review_group_member"
    __table_args__ = (UniqueConstraint("group_id", "email", name="uq_group_member"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="review_group.id", index=True)
    email: str = Field(max_length=320, index=True)


class ReviewGroupChannel(SQLModel, table=True):
    __tablename__ = "review_group_channel"
    __table_args__ = (UniqueConstraint("group_id", "platform", "channel_id", name="uq_group_channel"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="review_group.id", index=True)
    platform: str = Field(max_length=16)
    channel_id: str = Field(max_length=256)


class GateRequest(SQLModel, table=True):
    """An owner's request to move a use case through a gate."""

    __tablename__ = "gate_request"
    __table_args__ = (
        Index("ix_gate_use_case_status", "use_case_id", "status"),
        Index("ix_gate_status_closed", "status", "closed_at"),  # the digest: gates stopped since the last one
    )
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id")
    from_stage: str = Field(max_length=32)
    to_stage: str = Field(max_length=32)
    attempt: int = 1
    # pending | passed | stopped | withdrawn | cancelled
    status: str = Field(default=GateStatus.PENDING, max_length=16)
    requested_by_id: int | None = Field(default=None, foreign_key="person.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    use_case_version: int = 1


class ReviewRequest(SQLModel, table=True):
    """One review group's part of a gate request."""

    __tablename__ = "review_request"
    __table_args__ = (
        # The reminder sweep reads only due rows: (status, next_reminder_at).
        Index("ix_review_due", "status", "next_reminder_at"),
        Index("ix_review_gate", "gate_request_id"),
        Index("ix_review_use_case", "use_case_id", "status"),
        # The digest: overdue and soon-due reviews by group, leadership's decisions, escalations.
        Index("ix_review_open_due", "status", "paused_at", "due_at", "group_key"),
        Index("ix_review_group", "group_key", "status", "due_at"),
        Index("ix_review_escalated", "escalated_from_id", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    gate_request_id: int = Field(foreign_key="gate_request.id")
    use_case_id: int = Field(foreign_key="use_case.id")
    group_key: str = Field(max_length=64)
    level: int = 0  # escalation level: 0 = the group the gate named
    escalated_from_id: int | None = Field(default=None, foreign_key="review_request.id")
    # pending | info_requested | approved | approved_with_conditions | escalated | stopped | cancelled
    status: str = Field(default=ReviewStatus.PENDING, max_length=32)
    quorum: int = 1
    due_at: datetime = Field(sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The use case version the group last saw (for "changed since you last looked").
    seen_version: int = 1
    reminder_count: int = 0
    last_reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewDecision(SQLModel, table=True):
    __tablename__ = "review_decision"
    # The same person clicking twice counts once.
    __table_args__ = (UniqueConstraint("review_id", "person_id", name="uq_decision_person"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review_request.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    # approve | approve_with_conditions | escalate | stop | info
    decision: str = Field(max_length=32)
    reason: str = Field(default="")
    platform: str = Field(default="", max_length=16)
    message_ref: str = Field(default="", max_length=256)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Condition(SQLModel, table=True):
    __tablename__ = "condition"
    __table_args__ = (
        Index("ix_condition_due", "status", "due_date"),
        Index("ix_condition_use_case", "use_case_id", "status"),
        Index("ix_condition_review", "review_id", "status"),  # a review's own conditions, a reviewer's drafts
        # The chase sweep: never-chased overdue rows (NULL, due_date range) and chased rows (next_reminder_at range).
        Index("ix_condition_remind", "status", "next_reminder_at", "due_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(foreign_key="use_case.id")
    review_id: int | None = Field(default=None, foreign_key="review_request.id")
    text: str
    owner_id: int | None = Field(default=None, foreign_key="person.id")
    due_date: date
    status: str = Field(default=ConditionStatus.OPEN, max_length=16)
    evidence: str = Field(default="")
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_by_id: int | None = Field(default=None, foreign_key="person.id")
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the owner is chased next (stamped by notifications/reminders/conditions.py; NULL until the first chase).
    next_reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InfoRequest(SQLModel, table=True):
    """A reviewer's question to the owners; the review clock pauses until it is answered."""

    __tablename__ = "info_request"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review_request.id", index=True)
    question: str
    asked_by_id: int | None = Field(default=None, foreign_key="person.id")
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answer: str | None = None
    answered_by_id: int | None = Field(default=None, foreign_key="person.id")
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
