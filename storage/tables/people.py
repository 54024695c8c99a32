"""People and the platform identities that map to them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime, utcnow


class Person(SQLModel, table=True):
    """One human, the same on Slack, Teams and the console when the verified email matches."""

    __tablename__ = "person"
    id: int | None = Field(default=None, primary_key=True)
    email: str | None = Field(default=None, max_length=320, unique=True, index=True)
    display_name: str = Field(default="", max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PlatformIdentity(SQLModel, table=True):
    """A person's account on one platform (Slack user in a workspace, Teams AAD object in a tenant)."""

    __tablename__ = "platform_identity"
    __table_args__ = (UniqueConstraint("platform", "tenant", "external_id", name="uq_identity"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=16)  # slack | teams | console
    tenant: str = Field(default="", max_length=64)  # Slack team id / Teams tenant id
    external_id: str = Field(max_length=128)  # Slack user id / AAD object id / email
    # Platform extras: Teams channel-account id ("29:…"), Slack username, …
    extra: dict = Field(default_factory=dict, sa_type=JSONType)
    email_verified: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
