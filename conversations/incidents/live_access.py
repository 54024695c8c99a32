"""Who may act on live operation: owners by person, policy groups by verified email."""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from vocabulary.interaction import PersonHint
from conversations.people.lookup import parse_person, person_for_hint
from vocabulary.policy import Policy
from storage.repo import use_cases
from storage.repo.people import normalise_email
from storage.tables import Person, UseCase


def verified_email(ctx: Ctx) -> str | None:
    """The actor's email when the platform verified it and they belong to this workspace / tenant."""
    a = ctx.inbound.actor
    if a.guest or not a.email_verified:
        return None
    return normalise_email(a.email)


def group_members(policy: Policy, group_keys: list[str]) -> set[str]:
    out: set[str] = set()
    for key in group_keys:
        try:
            out |= {normalise_email(e) for e in policy.review.group(key).members}
        except KeyError:
            continue
    return out


def in_groups(ctx: Ctx, group_keys: list[str]) -> bool:
    email = verified_email(ctx)
    return bool(email) and email in group_members(ctx.policy, group_keys)


def is_owner(ctx: Ctx, uc: UseCase) -> bool:
    return ctx.person.id in (uc.business_owner_id, uc.delivery_owner_id)


def group_names(policy: Policy, group_keys: list[str]) -> str:
    names = []
    for key in group_keys:
        try:
            names.append(policy.review.group(key).name)
        except KeyError:
            names.append(key)
    return " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]


async def use_case_for(ctx: Ctx, uc_id: int | None, usage: str) -> UseCase:
    if uc_id is None:
        raise Refusal(f"Which use case? For example: {usage}")
    uc = await use_cases.get(ctx.session, uc_id)
    if uc is None or not can_see(ctx, uc):
        raise Refusal(f"I could not find UC-{uc_id}. Type “my” to see your use cases.")
    return uc


def can_see(ctx: Ctx, uc: UseCase) -> bool:
    if not uc.restricted:
        return True
    if ctx.person.id in (uc.proposer_id, uc.business_owner_id, uc.delivery_owner_id, uc.sponsor_id):
        return True
    return in_groups(ctx, [g.key for g in ctx.policy.review.groups])


async def person_from_form(ctx: Ctx, raw) -> Person | None:
    """The person a form's person field names: a platform user pick (a dict) or a typed mention / email."""
    if isinstance(raw, dict) and (raw.get("email") or raw.get("external_id")):
        hint = PersonHint(email=raw.get("email"), name=raw.get("name", ""), platform=raw.get("platform", ""),
                          external_id=raw.get("external_id", ""), tenant=raw.get("tenant", ""))
    else:
        hint = parse_person(raw, ctx.inbound.mentions) if isinstance(raw, str) and raw.strip() else None
    return await person_for_hint(ctx.session, hint) if hint is not None else None
