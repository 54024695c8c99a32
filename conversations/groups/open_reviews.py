"""Open reviews nobody can decide, for the digest: every open review of a group that cannot decide any review,
plus those of small groups whose only eligible members are the use case's own proposer, owners or sponsor."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.groups.decidability import group_decidability
from conversations.groups.effective import effective_members, effective_policy
from vocabulary.policy import Policy
from storage.repo import people
from storage.tables import ReviewRequest, UseCase
from vocabulary.states import OPEN_REVIEW, UseCaseStatus

SMALL = 4  # groups this small are checked review by review (their members may be the use case's own people)


async def undecidable_reviews(session: AsyncSession, base: Policy, n: int, visible: bool) -> tuple[int, list[tuple]]:
    """(count, [(review id, use case id, title, group key, reason)] for the first n)."""
    policy = await effective_policy(session, base)
    whole = {g.key: group_decidability(policy, g.key) for g in policy.review.groups}
    check = [k for k, d in whole.items() if not d.can_decide or len(effective_members(policy, k)) <= SMALL]
    if not check:
        return 0, []
    q = (select(ReviewRequest.id, UseCase.id, UseCase.title, ReviewRequest.group_key, UseCase.proposer_id,
                UseCase.business_owner_id, UseCase.delivery_owner_id, UseCase.sponsor_id)
         .join(UseCase, UseCase.id == ReviewRequest.use_case_id)
         .where(ReviewRequest.status.in_(OPEN_REVIEW), ReviewRequest.group_key.in_(check),
                UseCase.status == UseCaseStatus.ACTIVE)
         .order_by(ReviewRequest.due_at, ReviewRequest.id))
    rows = (await session.execute(q)).all()
    ids = {i for r in rows for i in r[4:] if i}
    emails = {pid: p.email for pid, p in (await people.get_many(session, list(ids))).items() if p.email}
    out = []
    for rid, uc_id, title, key, *involved in rows:
        d = whole.get(key)
        if d is None:
            continue
        if d.can_decide:
            d = group_decidability(policy, key, excluded=[emails[i] for i in involved if i in emails])
        if not d.can_decide:
            out.append((rid, uc_id, title, key, d.reason))
    count = len(out)
    if not visible:
        restricted = set((await session.execute(select(UseCase.id).where(
            UseCase.id.in_({r[1] for r in out}), UseCase.restricted.is_(True)))).scalars())
        out = [r for r in out if r[1] not in restricted]
    return count, out[:n]
