"""Review-group settings changed in chat: stored over the policy file, which stays the starting point.

One row per group that an admin changed. A column left NULL keeps what the policy file says; `version` goes up
with every change, so every process notices a change with one cheap read (see conversations/groups/effective.py).
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime, utcnow


class ReviewGroupSetting(SQLModel, table=True):
    __tablename__ = "review_group_setting"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    # Member emails (lower case); NULL: the policy file's members.
    members: list | None = Field(default=None, sa_type=JSONType, nullable=True)
    # platform -> channel ids; a platform named here replaces the policy's channels on that platform.
    channels: dict | None = Field(default=None, sa_type=JSONType, nullable=True)
    # Where the membership comes from: "" (typed in chat or the file), "slack" (a user group) or "teams" (a team).
    source: str = Field(default="", max_length=16)
    source_id: str = Field(default="", max_length=256)  # the Slack user group id, or the Teams team id
    source_label: str = Field(default="", max_length=200)  # @handle, or the team's name
    # Anything the source needs to be read again (a Teams service URL and tenant).
    source_ref: dict = Field(default_factory=dict, sa_type=JSONType)
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: int | None = Field(default=None, foreign_key="person.id")
