"""Mapping platform users, mentions and typed emails to aiom people."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.interaction import Actor, PersonHint
from storage.repo import people
from storage.tables import Person
from vocabulary.people import EMAIL_RE



def user_key(actor: Actor) -> str:
    return f"{actor.tenant}:{actor.external_id}" if actor.tenant else actor.external_id


async def person_for_actor(session: AsyncSession, actor: Actor) -> Person:
    """The aiom person behind a platform user, linking by verified email and creating on first sight."""
    ident = await people.identity(session, actor.platform, actor.tenant, actor.external_id)
    if ident is not None:
        person = await people.get(session, ident.person_id)
        changes = {}
        if actor.name and actor.name != person.display_name:
            changes["display_name"] = actor.name
        if actor.timezone and actor.timezone != person.timezone:
            changes["timezone"] = actor.timezone
        if actor.email and actor.email_verified and not person.email:
            if await people.by_email(session, actor.email) is None:
                changes["email"] = actor.email
        if changes:
            await people.update_profile(session, person.id, **changes)
            await session.refresh(person)
        if actor.extra and actor.extra != ident.extra:
            await people.touch_identity(session, ident.id, extra=dict(actor.extra))
        return person
    person = None
    created = False
    if actor.email and actor.email_verified:
        person = await people.by_email(session, actor.email)
    if person is None:
        person = await people.create(session, email=actor.email if actor.email_verified else None,
                                     display_name=actor.name or actor.email or actor.external_id,
                                     timezone=actor.timezone)
        created = True
    else:
        await people.update_profile(session, person.id, display_name=actor.name or None, timezone=actor.timezone)
    await people.link_identity(session, person_id=person.id, platform=actor.platform, tenant=actor.tenant,
                               external_id=actor.external_id, extra=dict(actor.extra),
                               email_verified=actor.email_verified)
    # Two first messages at once: the identity may have been linked by the other turn meanwhile (the insert
    # above then did nothing). Whoever linked it first wins; a person this turn made in vain is removed.
    ident = await people.identity(session, actor.platform, actor.tenant, actor.external_id)
    if ident is not None and ident.person_id != person.id:
        if created and person.email is None:
            await people.delete_unlinked(session, person)
        person = await people.get(session, ident.person_id)
    return person


async def person_for_hint(session: AsyncSession, hint: PersonHint) -> Person:
    """A person named in an answer: by platform identity, then by email; created from the email if new."""
    if hint.platform and hint.external_id:
        ident = await people.identity(session, hint.platform, hint.tenant, hint.external_id)
        if ident is not None:
            return await people.get(session, ident.person_id)
    person = await people.by_email(session, hint.email) if hint.email else None
    if person is None:
        person = await people.create(session, email=hint.email, display_name=hint.name or hint.email or "")
    if hint.platform and hint.external_id:
        await people.link_identity(session, person_id=person.id, platform=hint.platform, tenant=hint.tenant,
                                   external_id=hint.external_id, email_verified=bool(hint.email))
    return person


def parse_person(text: str, mentions: dict[str, PersonHint]) -> PersonHint | None:
    """An answer naming a person: a platform mention the adapter resolved, or an email address."""
    t = text.strip()
    if t in mentions:
        return mentions[t]
    for token, hint in mentions.items():
        if token in t:
            return hint
    t = t.strip("<>").removeprefix("mailto:").split("|")[0]
    if EMAIL_RE.match(t):
        return PersonHint(email=people.normalise_email(t), name=t)
    return None


def display(person: Person | None) -> str:
    if person is None:
        return "nobody yet"
    return person.display_name or person.email or f"person {person.id}"
