"""The effective policy: the policy file with the review-group settings stored in the database over it.

Every turn (a chat message, a click, a timed sweep) asks for it. One small read (the settings' row count and
version sum) tells whether anything changed since this process last looked; only then are the rows read and
the policy rebuilt. So a change an admin makes in one process takes effect in every other at its next turn,
without a restart.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.policy import Policy, ReviewGroup
from storage.repo import group_settings
from storage.repo.people import normalise_email
from storage.tables import ReviewGroupSetting

_CACHE: dict[int, tuple[tuple[int, int], Policy, Policy]] = {}  # id(base) -> (stamp, base, effective)


def apply(policy: Policy, settings: list[ReviewGroupSetting]) -> Policy:
    """`policy` with each group's stored members and channels in place of the file's (untouched when none)."""
    by_key = {s.key: s for s in settings}
    if not any(k in by_key for k in (g.key for g in policy.review.groups)):
        return policy
    groups = []
    for g in policy.review.groups:
        s = by_key.get(g.key)
        if s is None:
            groups.append(g)
            continue
        update: dict = {}
        if s.members is not None:
            update["members"] = sorted({e for e in (normalise_email(m) for m in s.members) if e})
        if s.channels is not None:
            update["channels"] = {**g.channels, **{p: list(c) for p, c in s.channels.items()}}
        groups.append(g.model_copy(update=update) if update else g)
    review = policy.review.model_copy(update={"groups": groups})
    return policy.model_copy(update={"review": review})


async def effective_policy(session: AsyncSession, base: Policy) -> Policy:
    stamp = await group_settings.stamp(session)
    hit = _CACHE.get(id(base))
    if hit is not None and hit[0] == stamp and hit[1] is base:
        return hit[2]
    policy = apply(base, await group_settings.all_settings(session)) if stamp[0] else base
    _CACHE[id(base)] = (stamp, base, policy)
    return policy


def effective_members(policy: Policy, group_key: str) -> list[str]:
    """The emails of the people who sit in the group today (the effective policy's, normalised)."""
    try:
        group: ReviewGroup = policy.review.group(group_key)
    except KeyError:
        return []
    return sorted({e for e in (normalise_email(m) for m in group.members) if e})
