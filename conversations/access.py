"""Who may see a use case, and who may answer or change its instruments.

Visibility: an unrestricted use case is visible to everyone in the organisation.
A restricted one (use_case.restricted) only to its business and delivery
owners, sponsor, proposer, people who joined it, reviewers (members of any
review group with a review on it) and members of the leadership group.
Group membership comes from the policy, by email.

Rights:
- answer a scorecard, mark the risk register reviewed: the business or delivery owner;
- record the review of an area scored 1: owners, sponsor, leadership or risk group members;
- add or change risks: owners, sponsor, proposer, risk or leadership group members (and a risk's own
  owner for that risk).
Group rights need a verified email from the organisation's own workspace / tenant (no guests).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.refusal import Refusal
from vocabulary.policy import Policy
from storage.repo import status as status_repo
from storage.repo import use_cases
from storage.repo.people import normalise_email
from storage.tables import Person, UseCase
from conversations.people import absence
from storage.types import utcnow

RISK_GROUP = "risk"


def owners(uc: UseCase) -> set[int]:
    return {p for p in (uc.business_owner_id, uc.delivery_owner_id) if p}


def involved(uc: UseCase) -> set[int]:
    return {p for p in (uc.business_owner_id, uc.delivery_owner_id, uc.sponsor_id, uc.proposer_id) if p}


def is_owner(person: Person, uc: UseCase) -> bool:
    return person.id in owners(uc)


def in_groups(policy: Policy, email: str | None, group_keys: list[str]) -> bool:
    email = normalise_email(email)
    if not email:
        return False
    for key in group_keys:
        try:
            members = policy.review.group(key).members
        except KeyError:
            continue
        if email in {normalise_email(m) for m in members}:
            return True
    return False


def leadership_groups(policy: Policy) -> list[str]:
    return list(dict.fromkeys([policy.review.leadership_group, *policy.review.leadership_actions_groups]))


def is_leader(policy: Policy, email: str | None) -> bool:
    return in_groups(policy, email, leadership_groups(policy))


@dataclass
class Viewer:
    """One person's visibility, worked out once to filter many use cases."""

    person_id: int
    leader: bool = False
    reviews_on: set[int] = field(default_factory=set)
    joined: set[int] = field(default_factory=set)

    def sees(self, uc: UseCase) -> bool:
        if not uc.restricted or self.leader:
            return True
        return self.person_id in involved(uc) or uc.id in self.reviews_on or uc.id in self.joined


async def viewer(session: AsyncSession, policy: Policy, person: Person) -> Viewer:
    groups = status_repo.groups_of(policy, person.email)
    return Viewer(person_id=person.id, leader=is_leader(policy, person.email),
                  reviews_on=await status_repo.review_use_case_ids(session, groups),
                  joined=await status_repo.contributor_use_case_ids(session, person.id))


async def can_see(session: AsyncSession, policy: Policy, person: Person, use_case: UseCase) -> bool:
    uc = use_case
    if not uc.restricted or person.id in involved(uc) or is_leader(policy, person.email):
        return True
    if uc.id in await status_repo.contributor_use_case_ids(session, person.id):
        return True
    if await status_repo.has_review_for(session, uc.id, status_repo.groups_of(policy, person.email)):
        return True
    # A delegate standing in for an away reviewer sees what that reviewer's groups review.
    stand_in = [g.key for g, _ in await absence.standing_in_for(session, policy, person, utcnow().date())]
    return bool(stand_in) and await status_repo.has_review_for(session, uc.id, stand_in)


async def visible_use_case(ctx, uc_id: int) -> UseCase:
    """Use case `uc_id`, when the person acting in `ctx` (a `Ctx`) may see it; else a refusal that names none."""
    uc = await use_cases.get(ctx.session, uc_id)
    if uc is None or not await can_see(ctx.session, ctx.policy, ctx.person, uc):
        raise Refusal(f"I could not find UC-{uc_id}. Type “my” to see the ideas you are part of.")
    return uc



def may_record_review(policy: Policy, person: Person, uc: UseCase, verified_email: str | None) -> bool:
    if person.id in owners(uc) or person.id == uc.sponsor_id:
        return True
    return in_groups(policy, verified_email, [*leadership_groups(policy), RISK_GROUP])


def may_edit_risks(policy: Policy, person: Person, uc: UseCase, verified_email: str | None) -> bool:
    if person.id in involved(uc):
        return True
    return in_groups(policy, verified_email, [*leadership_groups(policy), RISK_GROUP])
