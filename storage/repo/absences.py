"""Absences (away until a day, with an optional delegate), leavers, delegated decisions and held reminders."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import bindparam, case, delete, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Absence, DelegatedDecision, Leaver, Outbox, Person
from storage.types import utcnow
from vocabulary.states import OutboxStatus

HELD = OutboxStatus.HELD  # a reminder kept back while its person is away


async def absence_of(session: AsyncSession, person_id: int) -> Absence | None:
    return (await session.execute(select(Absence).where(Absence.person_id == person_id))).scalar_one_or_none()


async def away_on(session: AsyncSession, person_ids, today: date) -> dict[int, Absence]:
    """The absences of these people that cover `today`."""
    ids = {p for p in person_ids if p is not None}
    if not ids:
        return {}
    q = select(Absence).where(Absence.person_id.in_(ids), Absence.until >= today)
    return {a.person_id: a for a in (await session.execute(q)).scalars().all()}


async def delegating_to(session: AsyncSession, delegate_id: int, today: date) -> list[Absence]:
    q = select(Absence).where(Absence.delegate_id == delegate_id, Absence.until >= today).order_by(Absence.person_id)
    return list((await session.execute(q)).scalars().all())


async def set_away(session: AsyncSession, person_id: int, until: date, delegate_id: int | None,
                   now: datetime) -> Absence:
    row = await absence_of(session, person_id)
    if row is None:
        row = Absence(person_id=person_id, until=until, delegate_id=delegate_id, since=now, updated_at=now)
        session.add(row)
    else:
        row.until, row.delegate_id, row.updated_at = until, delegate_id, now
    await session.flush()
    return row


async def clear_away(session: AsyncSession, person_id: int) -> bool:
    res = await session.execute(delete(Absence).where(Absence.person_id == person_id))
    return bool(res.rowcount)


async def ended_before(session: AsyncSession, today: date, limit: int = 200) -> list[Absence]:
    q = select(Absence).where(Absence.until < today).order_by(Absence.id).limit(limit)
    return list((await session.execute(q)).scalars().all())


async def release_held(session: AsyncSession, person_id: int, now: datetime) -> int:
    """Send the reminders held while the person was away: one per subject (the latest), the rest dropped."""
    rows = (await session.execute(select(Outbox.id, Outbox.subject).where(
        Outbox.person_id == person_id, Outbox.status == HELD).order_by(Outbox.id))).all()
    latest = {}
    for oid, subject in rows:
        latest[subject or f"#{oid}"] = oid
    keep = set(latest.values())
    drop = [oid for oid, _ in rows if oid not in keep]
    if keep:
        await session.execute(update(Outbox).where(Outbox.id.in_(keep))
                              .values(status=OutboxStatus.PENDING, not_before=now))
    if drop:
        await session.execute(update(Outbox).where(Outbox.id.in_(drop)).values(status=OutboxStatus.SNOOZED,
                                                                                error="superseded while away"))
    return len(keep)


async def hold(session: AsyncSession, outbox_id: int) -> None:
    """Keep a reminder already written back until its person is back."""
    await session.execute(update(Outbox).where(Outbox.id == outbox_id, Outbox.status == OutboxStatus.PENDING)
                          .values(status=HELD))


async def held_count(session: AsyncSession, person_id: int) -> int:
    rows = (await session.execute(select(Outbox.id).where(Outbox.person_id == person_id,
                                                          Outbox.status == HELD))).all()
    return len(rows)


async def leaver_of(session: AsyncSession, person_id: int) -> Leaver | None:
    return (await session.execute(select(Leaver).where(Leaver.person_id == person_id))).scalar_one_or_none()


async def leavers_among(session: AsyncSession, person_ids) -> dict[int, Leaver]:
    ids = {p for p in person_ids if p is not None}
    if not ids:
        return {}
    q = select(Leaver).where(Leaver.person_id.in_(ids))
    return {r.person_id: r for r in (await session.execute(q)).scalars().all()}


async def mark_left(session: AsyncSession, person_id: int, *, source: str, at: datetime,
                    recorded_by_id: int | None = None) -> Leaver | None:
    """Record that the person left; None when they were already recorded (a retried event changes nothing)."""
    if await leaver_of(session, person_id) is not None:
        return None
    row = Leaver(person_id=person_id, left_at=at, source=source, recorded_by_id=recorded_by_id)
    session.add(row)
    await session.flush()
    return row


async def drop_pending_reminders(session: AsyncSession, person_id: int) -> int:
    """A leaver's reminders still waiting in the outbox are never sent."""
    res = await session.execute(update(Outbox).where(
        Outbox.person_id == person_id, Outbox.purpose == "reminder", Outbox.status.in_((OutboxStatus.PENDING, HELD)))
        .values(status=OutboxStatus.SNOOZED, error="the person has left"))
    return res.rowcount or 0


async def record_delegated(session: AsyncSession, *, decision_id: int, review_id: int, for_person_id: int,
                           by_person_id: int, at: datetime | None = None) -> None:
    session.add(DelegatedDecision(decision_id=decision_id, review_id=review_id, for_person_id=for_person_id,
                                  by_person_id=by_person_id, at=at or utcnow()))
    await session.flush()


_DELEGATED = select(DelegatedDecision).where(DelegatedDecision.review_id.in_(bindparam("ids", expanding=True)))


async def delegated_for_reviews(session: AsyncSession, review_ids) -> dict[int, DelegatedDecision]:
    """decision id -> the delegation behind it, for these reviews."""
    ids = list(set(review_ids))
    if not ids:
        return {}
    return {d.decision_id: d for d in (await session.execute(_DELEGATED, {"ids": ids})).scalars().all()}


def owner_name(person_id_col, today: date | None):
    """A SQL expression for an item owner's name as listings show it: "Pat (owner has left)", "Pat (away)" while
    an absence covers `today`, else the name (display name, else email). Needs `Person` joined on the owner."""
    name = func.coalesce(func.nullif(Person.display_name, ""), Person.email)
    left = exists().where(Leaver.person_id == person_id_col)
    whens = [(left, name + literal(" (owner has left)"))]
    if today is not None:
        whens.append((exists().where(Absence.person_id == person_id_col, Absence.until >= today),
                      name + literal(" (away)")))
    return case(*whens, else_=name)
