"""People and platform identities."""
from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import insert_ignore
from storage.tables import PlatformIdentity, Person
from storage.types import utcnow


def normalise_email(email: str | None) -> str | None:
    if not email:
        return None
    email = email.strip().lower()
    return email or None


async def get(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


_MANY = select(Person).where(Person.id.in_(bindparam("ids", expanding=True)))


async def get_many(session: AsyncSession, ids: list[int]) -> dict[int, Person]:
    if not ids:
        return {}
    rows = (await session.execute(_MANY, {"ids": list(set(ids))})).scalars().all()
    return {p.id: p for p in rows}


async def by_email(session: AsyncSession, email: str) -> Person | None:
    email = normalise_email(email)
    if not email:
        return None
    return (await session.execute(select(Person).where(Person.email == email))).scalar_one_or_none()


async def create(session: AsyncSession, *, email: str | None, display_name: str = "",
                 timezone: str | None = None) -> Person:
    """A new person; with an email, an upsert: when someone else created that email's person meanwhile (two
    first messages at once), that person is returned (INSERT … ON CONFLICT DO NOTHING, then read)."""
    email = normalise_email(email)
    if email is None:
        p = Person(email=None, display_name=display_name[:200], timezone=timezone)
        session.add(p)
        await session.flush()
        return p
    now = utcnow()
    pid = await insert_ignore(session, Person.__table__, {"email": email, "display_name": display_name[:200],
                                                          "timezone": timezone, "created_at": now,
                                                          "updated_at": now}, ["email"])
    if pid is not None:
        return await session.get(Person, pid)
    found = await by_email(session, email)
    if found is None:  # pragma: no cover - the conflicting row is committed before ON CONFLICT gives way
        raise RuntimeError(f"no person for {email} after a conflict on it")
    return found


async def delete_unlinked(session: AsyncSession, person: Person) -> None:
    """Remove a person created in this transaction that lost a race for its identity (nothing refers to it)."""
    await session.delete(person)
    await session.flush()


async def update_profile(session: AsyncSession, person_id: int, *, display_name: str | None = None,
                         timezone: str | None = None, email: str | None = None) -> None:
    values = {}
    if display_name:
        values["display_name"] = display_name[:200]
    if timezone:
        values["timezone"] = timezone
    if email:
        values["email"] = normalise_email(email)
    if values:
        values["updated_at"] = utcnow()
        await session.execute(update(Person).where(Person.id == person_id).values(**values))


async def identity(session: AsyncSession, platform: str, tenant: str, external_id: str) -> PlatformIdentity | None:
    q = select(PlatformIdentity).where(PlatformIdentity.platform == platform,
                                       PlatformIdentity.tenant == tenant,
                                       PlatformIdentity.external_id == external_id)
    return (await session.execute(q)).scalar_one_or_none()


_IDENTITIES = (select(PlatformIdentity).where(PlatformIdentity.person_id == bindparam("p"))
               .order_by(PlatformIdentity.updated_at.desc()))


_WITH_IDENTITIES = (select(Person, PlatformIdentity)
                    .outerjoin(PlatformIdentity, PlatformIdentity.person_id == Person.id)
                    .where(Person.id == bindparam("p")).order_by(PlatformIdentity.updated_at.desc()))


async def with_identities(session: AsyncSession, person_id: int) -> tuple[Person | None, list[PlatformIdentity]]:
    """The person and their platform identities (newest first), in one statement (the outbox's DMs)."""
    rows = (await session.execute(_WITH_IDENTITIES, {"p": person_id})).all()
    if not rows:
        return None, []
    return rows[0][0], [i for _, i in rows if i is not None]


async def identities_of(session: AsyncSession, person_id: int) -> list[PlatformIdentity]:
    return list((await session.execute(_IDENTITIES, {"p": person_id})).scalars().all())


async def link_identity(session: AsyncSession, *, person_id: int, platform: str, tenant: str, external_id: str,
                        extra: dict | None = None, email_verified: bool = False) -> None:
    await insert_ignore(session, PlatformIdentity.__table__,
                        {"person_id": person_id, "platform": platform, "tenant": tenant,
                         "external_id": external_id, "extra": extra or {}, "email_verified": email_verified,
                         "updated_at": utcnow()},
                        ["platform", "tenant", "external_id"], returning=None)


async def touch_identity(session: AsyncSession, identity_id: int, extra: dict | None = None) -> None:
    values: dict = {"updated_at": utcnow()}
    if extra is not None:
        values["extra"] = extra
    await session.execute(update(PlatformIdentity).where(PlatformIdentity.id == identity_id).values(**values))


async def emails_with_identity(session: AsyncSession, platform: str) -> list[str]:
    """The emails of the people aiom knows on `platform` (they used it there, or a roster named them)."""
    q = select(Person.email).join(PlatformIdentity, PlatformIdentity.person_id == Person.id) \
        .where(PlatformIdentity.platform == platform, Person.email.is_not(None)).distinct()
    return [e for e in (await session.execute(q)).scalars().all() if e]
