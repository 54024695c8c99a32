"""Can this group decide a review? The one place that answers, for the gate, the card, `groups`, the digest,
`aiom policy check` and start-up.

A group can decide when at least `quorum` of its members may decide (members who are not the use case's
proposer, owners or executive sponsor) and, when aiom knows the platforms it runs on, can be reached on one of
them. Later rules (people away, delegates, leavers) extend `eligible` here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.groups.effective import effective_members
from vocabulary.platforms import Platforms, finds_people_by_email
from vocabulary.policy import Policy
from storage.repo import people
from storage.repo.people import normalise_email


@dataclass(frozen=True)
class Decidability:
    group_key: str
    group_name: str
    reason: str = ""  # why nobody can decide; "" when the group can
    deciders: list[str] = field(default_factory=list)  # emails of the members who may decide

    @property
    def can_decide(self) -> bool:
        return not self.reason


def _name(policy: Policy, key: str) -> str:
    try:
        return policy.review.group(key).name
    except KeyError:
        return key


def group_decidability(policy: Policy, group_key: str, *, excluded: Iterable[str] = (),
                       reachable: Callable[[str], bool] | None = None) -> Decidability:
    """`excluded`: emails of people who may not decide here (the use case's proposer, owners, sponsor);
    `reachable(email)`: whether aiom can put a card in front of that member (None: not judged)."""
    name = _name(policy, group_key)
    try:
        quorum = max(1, policy.review.group(group_key).quorum)
    except KeyError:
        return Decidability(group_key, name, f"{name} is not a review group in the policy")
    members = effective_members(policy, group_key)
    if not members:
        return Decidability(group_key, name, f"{name} has no members")
    out = {normalise_email(e) for e in excluded}
    eligible = [m for m in members if m not in out]
    if not eligible:
        who = ", ".join(members)
        return Decidability(group_key, name, f"the only member{'s' if len(members) > 1 else ''} of {name} "
                                             f"({who}) may not decide: they are this use case's proposer, "
                                             "owner or sponsor")
    if reachable is not None:
        eligible = [m for m in eligible if reachable(m)]
        if not eligible:
            return Decidability(group_key, name, f"none of the members of {name} can be reached on the platforms "
                                                 "aiom runs on (they have never used aiom there)")
    if len(eligible) < quorum:
        return Decidability(group_key, name, f"{name} needs {quorum} approvals but only {len(eligible)} of its "
                                             "members may decide", eligible)
    return Decidability(group_key, name, "", eligible)


def undecidable_groups(policy: Policy) -> list[Decidability]:
    """Every review group that could not decide any review today (no members, or fewer than its quorum)."""
    out = [group_decidability(policy, g.key) for g in policy.review.groups]
    return [d for d in out if not d.can_decide]


async def reachability(session: AsyncSession, platforms: Platforms) -> Callable[[str], bool] | None:
    """Who aiom can reach: anyone, where a platform finds people by email (Slack, the local chat); otherwise (Teams)
    only people who have talked to the bot there or sit in a team roster it read. None when no platform is known."""
    if not platforms:
        return None
    if any(finds_people_by_email(platforms, p) for p in platforms):
        return lambda email: True
    cache: dict[str, bool] = {}
    for platform in platforms:
        for email in await people.emails_with_identity(session, platform):
            cache[email] = True
    return lambda email: cache.get(normalise_email(email) or "", False)


async def for_use_case(session: AsyncSession, policy: Policy, group_key: str, involved_ids: Iterable[int | None],
                       platforms: set[str]) -> Decidability:
    ids = [i for i in involved_ids if i]
    found = await people.get_many(session, ids) if ids else {}
    excluded = [p.email for p in found.values() if p.email]
    return group_decidability(policy, group_key, excluded=excluded, reachable=await reachability(session, platforms))
