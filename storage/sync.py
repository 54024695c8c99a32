"""Keep the database in step with the policy at start-up (the policy is the source of truth): the review-group
tables, and an audit entry whenever the effective policy differs from the one last recorded."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.policy import Policy
from storage import audit
from storage.policy_audit import audit_policy_change
from storage.repo.people import normalise_email
from storage.tables import ReviewGroupChannel, ReviewGroupMember, ReviewGroupRow


async def sync_review_groups(session: AsyncSession, policy: Policy, *, now: datetime | None = None) -> bool:
    """Make the tables match the policy; audit the change when anything differs. Returns True if changed.

    First, in the same transaction, a changed effective policy is audited (`settings.policy_changed`, see
    storage/policy_audit.py); that also takes the audit chain's lock, so processes starting together queue here.
    """
    await audit_policy_change(session, policy, now=now)
    wanted = {g.key: g for g in policy.review.groups}
    rows = {r.key: r for r in (await session.execute(select(ReviewGroupRow))).scalars().all()}
    members = (await session.execute(select(ReviewGroupMember))).scalars().all()
    channels = (await session.execute(select(ReviewGroupChannel))).scalars().all()
    by_id = {r.id: k for k, r in rows.items()}
    have = {(by_id.get(m.group_id), m.email) for m in members}
    have_ch = {(by_id.get(c.group_id), c.platform, c.channel_id) for c in channels}
    want = {(k, normalise_email(e)) for k, g in wanted.items() for e in g.members}
    want_ch = {(k, p, ch) for k, g in wanted.items() for p, chs in g.channels.items() for ch in chs}
    same_rows = set(rows) == set(wanted) and all(
        (rows[k].name, rows[k].quorum, rows[k].escalates_to) == (g.name, g.quorum, g.escalates_to)
        for k, g in wanted.items())
    if same_rows and have == want and have_ch == want_ch:
        return False
    await session.execute(delete(ReviewGroupMember))
    await session.execute(delete(ReviewGroupChannel))
    for key, row in rows.items():
        if key not in wanted:
            await session.delete(row)
    await session.flush()
    for key, g in wanted.items():
        row = rows.get(key) or ReviewGroupRow(key=key, name=g.name)
        row.name, row.quorum, row.escalates_to = g.name, g.quorum, g.escalates_to
        session.add(row)
        await session.flush()
        for e in sorted({normalise_email(e) for e in g.members}):
            session.add(ReviewGroupMember(group_id=row.id, email=e))
        for p, chs in g.channels.items():
            for ch in chs:
                session.add(ReviewGroupChannel(group_id=row.id, platform=p, channel_id=ch))
    await audit.append(session, action="settings.review_groups_synced", actor_label="policy", at=now,
                       entity="policy", data={"groups": {k: {"members": sorted(normalise_email(e) for e in g.members),
                                                             "channels": g.channels, "quorum": g.quorum}
                                                         for k, g in wanted.items()}})
    return True
