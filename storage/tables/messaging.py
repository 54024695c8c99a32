"""Conversation state, platform references, the inbound journal, the outbox, snoozes and digest runs."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime, utcnow
from vocabulary.states import DigestRunStatus, FlowStatus, InboundOutcome, OutboxStatus


class ConversationState(SQLModel, table=True):
    """Where a person is in a flow, saved after every answer."""

    __tablename__ = "conversation_state"
    __table_args__ = (
        UniqueConstraint("platform", "conversation_id", "thread_id", "user_key", name="uq_conversation_state"),
        Index("ix_conversation_state_activity", "status", "updated_at"),
        # Abandoned intakes not nudged yet (notifications/reminders/intakes.py).
        Index("ix_conversation_state_abandoned", "flow", "status", "nudged_at", "updated_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    conversation_id: str = Field(max_length=256)
    thread_id: str = Field(default="", max_length=256)
    user_key: str = Field(max_length=256)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    flow: str = Field(max_length=64)
    step: str = Field(default="", max_length=64)
    data: dict = Field(default_factory=dict, sa_type=JSONType)
    history: list = Field(default_factory=list, sa_type=JSONType)
    status: str = Field(default=FlowStatus.ACTIVE, max_length=16)
    # Platform id of the last prompt sent, so it can be replaced once answered.
    prompt_ref: str | None = Field(default=None, max_length=256)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    nudged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConversationRef(SQLModel, table=True):
    """Enough to reach a person or channel later, from any process (Teams ConversationReference, Slack channel)."""

    __tablename__ = "conversation_ref"
    __table_args__ = (UniqueConstraint("platform", "conversation_id", name="uq_conversation_ref"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    conversation_id: str = Field(max_length=256)
    kind: str = Field(default="personal", max_length=16)  # personal | channel | group
    tenant: str = Field(default="", max_length=64)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    service_url: str = Field(default="", max_length=512)
    reference: dict = Field(default_factory=dict, sa_type=JSONType)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MessageRef(SQLModel, table=True):
    """A message aiom posted that it may need to update in place (review card, use case root message)."""

    __tablename__ = "message_ref"
    __table_args__ = (UniqueConstraint("platform", "purpose", "channel", name="uq_message_ref"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    purpose: str = Field(max_length=128)  # e.g. "review:17", "use_case:4"
    channel: str = Field(max_length=256)
    message_id: str = Field(max_length=256)  # Slack ts / Teams activity id
    thread_id: str = Field(default="", max_length=256)
    extra: dict = Field(default_factory=dict, sa_type=JSONType)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InboundEntry(SQLModel, table=True):
    """The inbound journal: every accepted platform request, written before it is acknowledged.

    `event_id` is the de-duplication key (the engine's `Inbound.event_id`); `body` the raw request, so an
    entry whose processing never finished (a crash, a lost database) is replayed. `done_at` is set in the
    same transaction as the turn's effects; `lease_until` is when an unfinished entry may be taken again.
    Entries written by the engine alone (the local chat, replays of old rows) have an empty body.
    """

    __tablename__ = "inbound_entry"
    __table_args__ = (UniqueConstraint("platform", "event_id", name="uq_inbound_entry"),
                      Index("ix_inbound_entry_open", "done_at", "lease_until"),
                      Index("ix_inbound_entry_unsent", "replied_at", "lease_until"))
    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                           primary_key=True, autoincrement=True))
    platform: str = Field(max_length=16)
    event_id: str = Field(max_length=256)
    content_type: str = Field(default="", max_length=64)
    body: str = Field(default="", sa_type=Text)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = Field(default=InboundOutcome.NONE, max_length=16)
    # The turn's reply (conversations/replies.py), kept until `replied_at`: sent again if the process stopped
    # between the turn's commit and its sends.
    reply: list | None = Field(default=None, sa_type=JSONType)
    reply_state_id: int | None = Field(default=None)
    replied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Outbox(SQLModel, table=True):
    """Every outgoing notification, written before sending and stamped after."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_ready", "status", "not_before"),
                      Index("ix_outbox_subject", "subject"))
    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                           primary_key=True, autoincrement=True))
    dedupe_key: str = Field(max_length=256, unique=True)
    platform: str = Field(max_length=16)
    # post | update | dm
    kind: str = Field(default="post", max_length=16)
    # channel id (post/update) or person id as text (dm)
    target: str = Field(max_length=256)
    thread_id: str = Field(default="", max_length=256)
    # For updates: the purpose of the MessageRef to update.
    ref_purpose: str = Field(default="", max_length=128)
    message: dict = Field(default_factory=dict, sa_type=JSONType)
    purpose: str = Field(default="notice", max_length=32)  # notice | reminder | digest | reply
    subject: str = Field(default="", max_length=128)  # e.g. "review:17"
    use_case_id: int | None = Field(default=None, foreign_key="use_case.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    # pending | sending | sent | failed | snoozed (a reminder whose person snoozed it before it went out)
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    not_before: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    platform_message_id: str | None = Field(default=None, max_length=256)
    error: str = Field(default="")
    late: bool = False


class Snooze(SQLModel, table=True):
    __tablename__ = "snooze"
    __table_args__ = (UniqueConstraint("person_id", "subject", name="uq_snooze"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    subject: str = Field(max_length=128)
    until: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DigestRun(SQLModel, table=True):
    """One digest for one channel and period; the unique key makes it go out once."""

    __tablename__ = "digest_run"
    __table_args__ = (UniqueConstraint("digest_key", "platform", "channel", "period", name="uq_digest_run"),)
    id: int | None = Field(default=None, primary_key=True)
    digest_key: str = Field(max_length=64)
    platform: str = Field(max_length=16)
    channel: str = Field(max_length=256)
    period: str = Field(max_length=64)
    status: str = Field(default=DigestRunStatus.CLAIMED, max_length=16)
    late: bool = False
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outbox_id: int | None = None
    # What the digest counted, so the next one can show the change.
    snapshot: dict = Field(default_factory=dict, sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
