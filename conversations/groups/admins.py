"""Who may manage review groups in chat: the policy's `admins` (AIOM_ADMINS adds to them; in the local chat the
person who starts it is one). Only a platform-verified email counts."""
from __future__ import annotations

from vocabulary.policy import Policy
from storage.repo import people
from storage.repo.people import normalise_email

REFUSAL = ("Only an aiom admin can change review groups. Ask one of them ({who}), or ask whoever runs aiom to add "
           "you to AIOM_ADMINS.")


def admin_emails(policy: Policy) -> list[str]:
    return sorted({e for e in (normalise_email(a) for a in policy.admins) if e})


def is_admin(policy: Policy, email: str | None) -> bool:
    email = normalise_email(email)
    return bool(email) and email in admin_emails(policy)


def refusal(policy: Policy) -> str:
    who = ", ".join(admin_emails(policy)) or "nobody is named yet"
    return REFUSAL.format(who=who)


async def admin_ids(session, policy: Policy) -> list[int]:
    """The person ids of the admins aiom has already met (an admin it has never met cannot be messaged yet)."""
    found = [await people.by_email(session, e) for e in admin_emails(policy)]
    return [p.id for p in found if p is not None]
