"""Who may manage review groups in chat: the policy's `admins` (AIOM_ADMINS adds to them; in the local chat the
person who starts it is one). Only a platform-verified email counts."""
from __future__ import annotations

from conversations.policy import Policy
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
