"""Queries behind the status views: "my" (ideas, reviews waiting, scorecards owed), one use case, the portfolio.

The chat's `my` view and the Slack App Home both call `ideas_for`, `reviews_waiting_for` and
`scorecards_owed`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.policy import Policy
from storage.repo.people import normalise_email
from storage.tables import (
    Condition,
    Outbox,
    ReviewRequest,
    Scorecard,
    UseCase,
    UseCaseContributor,
)
from vocabulary.states import CLOSED_USE_CASE, OPEN_REVIEW, ConditionStatus, ScorecardStatus, UseCaseStatus

ROLE_ORDER = ("business_owner", "delivery_owner", "sponsor", "proposer", "contributor")


@dataclass(frozen=True)
class Idea:
    use_case: UseCase
    # How the person is involved, most responsible first: business_owner, delivery_owner, sponsor,
    # proposer, contributor.
    roles: tuple[str, ...]


async def ideas_for(session: AsyncSession, person_id: int, *, include_closed: bool = True,
                    limit: int = 100) -> list[Idea]:
    """Use cases the person proposed, owns, sponsors or joined; live ones first, most recently changed first."""
    joined = select(UseCaseContributor.use_case_id).where(UseCaseContributor.person_id == person_id)
    q = select(UseCase).where(or_(UseCase.proposer_id == person_id, UseCase.business_owner_id == person_id,
                                  UseCase.delivery_owner_id == person_id, UseCase.sponsor_id == person_id,
                                  UseCase.id.in_(joined)))
    if not include_closed:
        q = q.where(UseCase.status.not_in(CLOSED_USE_CASE))
    q = q.order_by(UseCase.status.in_(CLOSED_USE_CASE), UseCase.updated_at.desc(), UseCase.id.desc()).limit(limit)
    rows = list((await session.execute(q)).scalars().all())
    contributed = set((await session.execute(joined)).scalars().all())
    out = []
    for uc in rows:
        roles = [r for r, pid in (("business_owner", uc.business_owner_id), ("delivery_owner", uc.delivery_owner_id),
                                  ("sponsor", uc.sponsor_id), ("proposer", uc.proposer_id)) if pid == person_id]
        if uc.id in contributed:
            roles.append("contributor")
        out.append(Idea(uc, tuple(roles)))
    return out


def groups_of(policy: Policy, email: str | None) -> list[str]:
    """The review groups (keys) a person belongs to, by email, per the policy."""
    email = normalise_email(email)
    if not email:
        return []
    return [g.key for g in policy.review.groups if email in {normalise_email(m) for m in g.members}]


@dataclass(frozen=True)
class WaitingReview:
    review: ReviewRequest
    use_case: UseCase


async def reviews_waiting_for(session: AsyncSession, policy: Policy, email: str | None, *,
                              limit: int = 100) -> list[WaitingReview]:
    """Open review requests addressed to any group the person belongs to, soonest due first."""
    groups = groups_of(policy, email)
    if not groups:
        return []
    q = (select(ReviewRequest, UseCase).join(UseCase, UseCase.id == ReviewRequest.use_case_id)
         .where(ReviewRequest.group_key.in_(groups), ReviewRequest.status.in_(OPEN_REVIEW))
         .order_by(ReviewRequest.due_at, ReviewRequest.id).limit(limit))
    return [WaitingReview(rr, uc) for rr, uc in (await session.execute(q)).all()]


@dataclass(frozen=True)
class OwedScorecard:
    scorecard: Scorecard
    use_case: UseCase


async def scorecards_owed(session: AsyncSession, person_id: int, *, limit: int = 100) -> list[OwedScorecard]:
    """Scorecards still in progress on live use cases the person owns (business or delivery owner)."""
    q = (select(Scorecard, UseCase).join(UseCase, UseCase.id == Scorecard.use_case_id)
         .where(Scorecard.status == ScorecardStatus.IN_PROGRESS,
                or_(UseCase.business_owner_id == person_id, UseCase.delivery_owner_id == person_id),
                UseCase.status.not_in(CLOSED_USE_CASE))
         .order_by(Scorecard.last_answer_at, Scorecard.id).limit(limit))
    return [OwedScorecard(sc, uc) for sc, uc in (await session.execute(q)).all()]


# -- one use case ----------------------------------------------------------------------
async def open_condition_count(session: AsyncSession, use_case_id: int) -> int:
    q = select(func.count()).select_from(Condition).where(Condition.use_case_id == use_case_id,
                                                          Condition.status == ConditionStatus.OPEN)
    return (await session.execute(q)).scalar_one()


async def open_conditions(session: AsyncSession, use_case_id: int, limit: int = 50) -> list[Condition]:
    q = (select(Condition).where(Condition.use_case_id == use_case_id, Condition.status == ConditionStatus.OPEN)
         .order_by(Condition.due_date, Condition.id).limit(limit))
    return list((await session.execute(q)).scalars().all())


async def open_reviews(session: AsyncSession, use_case_id: int) -> list[ReviewRequest]:
    q = (select(ReviewRequest).where(ReviewRequest.use_case_id == use_case_id,
                                     ReviewRequest.status.in_(OPEN_REVIEW))
         .order_by(ReviewRequest.due_at, ReviewRequest.id))
    return list((await session.execute(q)).scalars().all())


async def recent_reminders(session: AsyncSession, use_case_id: int, limit: int = 3) -> list[Outbox]:
    q = (select(Outbox).where(Outbox.use_case_id == use_case_id, Outbox.purpose == "reminder")
         .order_by(Outbox.created_at.desc(), Outbox.id.desc()).limit(limit))
    return list((await session.execute(q)).scalars().all())


async def review_use_case_ids(session: AsyncSession, groups: list[str]) -> set[int]:
    """Use cases with a review (in any state) addressed to one of these groups."""
    if not groups:
        return set()
    q = select(ReviewRequest.use_case_id).where(ReviewRequest.group_key.in_(groups)).distinct()
    return set((await session.execute(q)).scalars().all())


async def has_review_for(session: AsyncSession, use_case_id: int, groups: list[str]) -> bool:
    if not groups:
        return False
    q = select(ReviewRequest.id).where(ReviewRequest.use_case_id == use_case_id,
                                       ReviewRequest.group_key.in_(groups)).limit(1)
    return (await session.execute(q)).first() is not None


async def contributor_use_case_ids(session: AsyncSession, person_id: int) -> set[int]:
    q = select(UseCaseContributor.use_case_id).where(UseCaseContributor.person_id == person_id)
    return set((await session.execute(q)).scalars().all())


# -- portfolio --------------------------------------------------------------------------
async def portfolio_use_cases(session: AsyncSession, limit: int = 5000) -> list[UseCase]:
    q = select(UseCase).order_by(UseCase.id).limit(limit)
    return list((await session.execute(q)).scalars().all())


async def all_open_reviews(session: AsyncSession, limit: int = 500) -> list[ReviewRequest]:
    q = (select(ReviewRequest).where(ReviewRequest.status.in_(OPEN_REVIEW))
         .order_by(ReviewRequest.due_at, ReviewRequest.id).limit(limit))
    return list((await session.execute(q)).scalars().all())


def pilot_past_exit(uc: UseCase, today: date) -> bool:
    return (uc.stage == "pilot" and uc.status == UseCaseStatus.ACTIVE and uc.pilot_exit_date is not None
            and uc.pilot_exit_date < today)
