"""Where a review group's membership can come from besides the policy file and chat: a Slack user group or a
Teams team roster. The platform adapters provide a `GroupSource` (bot/slack/usergroups.py,
bot/teams/roster.py); this module applies what one read to the group, audited."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.groups import changes
from vocabulary.interaction import PersonHint, Where
from conversations.people.lookup import person_for_hint
from vocabulary.policy import Policy
from storage.repo import group_settings
from storage.repo.people import normalise_email


class SourceError(Exception):
    """A source aiom cannot read: the sentence says what is missing (a scope, a membership, a name)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


@dataclass
class Roster:
    source: str  # "slack" | "teams"
    source_id: str  # the user group id, or the team id
    label: str  # "@security-review", or the team's name
    members: list[PersonHint] = field(default_factory=list)
    ref: dict = field(default_factory=dict)  # what reading it again needs (Teams: service URL, tenant)

    @property
    def emails(self) -> list[str]:
        return sorted({e for e in (normalise_email(m.email) for m in self.members) if e})

    @property
    def without_email(self) -> list[str]:
        return [m.name or m.external_id for m in self.members if not m.email]


class GroupSource(Protocol):
    platform: str

    async def find(self, where: Where, text: str) -> Roster:
        """The source an admin named in chat (`@security-review`, `this team`), read now; SourceError if not."""

    async def read(self, source_id: str, ref: dict) -> Roster:
        """A bound source read again (sync); SourceError when it can no longer be read."""


def describe_source(s) -> str:
    if s is None:
        return "the policy file"
    if s.source == "slack":
        return f"the Slack user group {s.source_label}"
    if s.source == "teams":
        return f"the Teams team {s.source_label}"
    return "set in chat" if s.members is not None else "the policy file"


async def apply_roster(session: AsyncSession, base: Policy, key: str, roster: Roster, *, now: datetime,
                       actor_id: int | None, actor_label: str, why: str) -> changes.Change:
    """Bind the group to `roster` (or refresh it): its members become the roster's, people are linked to their
    platform identities so cards reach them."""
    for hint in roster.members:
        if hint.email:
            await person_for_hint(session, hint)

    def edit(row, current):
        row.members = roster.emails
        row.source, row.source_id, row.source_label = roster.source, roster.source_id, roster.label[:200]
        row.source_ref = dict(roster.ref)
        row.synced_at = now

    return await changes.change(session, base, key, edit, now=now, actor_id=actor_id, actor_label=actor_label,
                                platform=roster.source, why=why)


async def refresh_bound(session: AsyncSession, base: Policy, roster: Roster, *, now: datetime,
                        why: str) -> list[changes.Change]:
    """Every group bound to this source takes its current members (after an event or a periodic read)."""
    out = []
    for row in await group_settings.by_source(session, roster.source, roster.source_id):
        if row.key in {g.key for g in base.review.groups}:
            out.append(await apply_roster(session, base, row.key, roster, now=now, actor_id=None,
                                          actor_label=f"{roster.source} sync", why=why))
    return out
