"""Rows for tests that need data without going through a conversation."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo import people, use_cases
from storage.tables import Person, UseCase


async def person(s: AsyncSession, email: str, name: str = "", tz: str | None = None) -> Person:
    existing = await people.by_email(s, email)
    return existing or await people.create(s, email=email, display_name=name or email.split("@")[0].title(),
                                           timezone=tz)


async def use_case(s: AsyncSession, *, title: str = "Claims triage assistant", proposer: str = "zoe@example.com",
                   business_owner: str = "anna.owner@example.com", delivery_owner: str = "bob.delivery@example.com",
                   stage: str = "exploration", tier: str = "low", vendor: bool = False,
                   now: datetime | None = None, **extra) -> UseCase:
    now = now or datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    p = await person(s, proposer)
    bo = await person(s, business_owner)
    do = await person(s, delivery_owner)
    fields = dict(title=title, problem="Claims handlers spend hours sorting new claims by urgency.",
                  outcome="Cut claims triage time by 30% while keeping human review for high-risk cases",
                  value_stream="Claims handling", theme="operational_excellence",
                  affected_users="Motor claims handlers", data_used="Claim forms", data_sensitivity="personal",
                  vendor_involved=vendor, vendor_name="Acme AI" if vendor else "", target_timeline="within_3_months",
                  proposer_id=p.id, business_owner_id=bo.id, delivery_owner_id=do.id, risk_tier=tier, stage=stage,
                  created_at=now, updated_at=now, stage_entered_at=now,
                  pilot_exit_date=(now + timedelta(days=90)).date() if stage == "pilot" else None)
    fields.update(extra)
    return await use_cases.create(s, **fields)


def day(y: int, m: int, d: int) -> date:
    return date(y, m, d)
