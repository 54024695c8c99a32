"""The append-only, hash-chained audit log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_use_case", "use_case_id", "seq"),)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                            primary_key=True, autoincrement=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None)
    actor_label: str = Field(default="", max_length=320)
    platform: str = Field(default="", max_length=16)
    action: str = Field(max_length=64)
    entity: str = Field(default="", max_length=64)
    entity_id: str = Field(default="", max_length=64)
    use_case_id: int | None = Field(default=None)
    data: dict = Field(default_factory=dict, sa_type=JSONType)
    message_ref: str = Field(default="", max_length=256)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """Single row holding the chain's tip; locked by every writer so the chain cannot fork."""

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default=GENESIS_HASH, max_length=64)
