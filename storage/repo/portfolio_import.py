"""Look-ups for the portfolio import: which rows are already in aiom, which people already exist."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.portfolio_columns import derived_ref
from storage.tables import Person, UseCase

CHUNK = 500


def _chunks(items: list[str]):
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


async def known_refs(session: AsyncSession, refs: list[str], titles: list[str]) -> dict[str, int]:
    """ref -> use case id, for stored references and for use cases created in chat (no stored reference),
    whose reference is derived from their exact title and business owner's email."""
    out: dict[str, int] = {}
    for part in _chunks(sorted(set(refs))):
        q = select(UseCase.external_ref, UseCase.id).where(UseCase.external_ref.in_(part))
        out.update({r: i for r, i in (await session.execute(q)).all()})
    for part in _chunks(sorted(set(titles))):
        q = (select(UseCase.id, UseCase.title, Person.email)
             .outerjoin(Person, Person.id == UseCase.business_owner_id)
             .where(UseCase.external_ref.is_(None), UseCase.title.in_(part)))
        for uc_id, title, email in (await session.execute(q)).all():
            out.setdefault(derived_ref(title, email), uc_id)
    return out


async def known_emails(session: AsyncSession, emails: list[str]) -> set[str]:
    out: set[str] = set()
    for part in _chunks(sorted(set(emails))):
        out |= set((await session.execute(select(Person.email).where(Person.email.in_(part)))).scalars().all())
    return out
