"""Incidents: data access only. Every change is conditional on the version read, so two clicks at once
change an incident once (the second sees the new state and is told who was first)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import dialect
from storage.tables import Incident
from vocabulary.states import OPEN_INCIDENT, IncidentStatus


async def create(session: AsyncSession, **fields) -> Incident:
    inc = Incident(**fields)
    session.add(inc)
    await session.flush()
    return inc


async def get(session: AsyncSession, incident_id: int) -> Incident | None:
    return await session.get(Incident, incident_id)


async def change(session: AsyncSession, incident: Incident, **values) -> bool:
    """Apply `values` if nobody changed the incident since it was read; refreshes `incident` either way."""
    res = await session.execute(update(Incident)
                                .where(Incident.id == incident.id, Incident.version == incident.version)
                                .values(version=Incident.version + 1, **values))
    await session.refresh(incident)
    return bool(res.rowcount)


async def open_for_use_case(session: AsyncSession, use_case_id: int) -> list[Incident]:
    q = select(Incident).where(Incident.use_case_id == use_case_id, Incident.status.in_(OPEN_INCIDENT)) \
        .order_by(Incident.reported_at, Incident.id)
    return list((await session.execute(q)).scalars().all())


async def open_counts(session: AsyncSession, use_case_ids: list[int]) -> dict[int, int]:
    if not use_case_ids:
        return {}
    q = select(Incident.use_case_id, func.count()).where(Incident.use_case_id.in_(use_case_ids),
                                                         Incident.status.in_(OPEN_INCIDENT)) \
        .group_by(Incident.use_case_id)
    return {uc: n for uc, n in (await session.execute(q)).all()}


async def due_for_escalation(session: AsyncSession, now: datetime, ack_minutes: dict[str, int],
                             limit: int = 200) -> list[Incident]:
    """Unacknowledged, never escalated incidents past their severity's acknowledgement time."""
    out: list[Incident] = []
    for severity, minutes in ack_minutes.items():
        q = (select(Incident).where(Incident.status == IncidentStatus.OPEN, Incident.severity == severity,
                                    Incident.escalated_at.is_(None),
                                    Incident.reported_at <= now - timedelta(minutes=minutes))
             .order_by(Incident.reported_at, Incident.id).limit(limit))
        if dialect(session) == "postgresql":
            q = q.with_for_update(skip_locked=True)
        out.extend((await session.execute(q)).scalars().all())
    return out


async def claim_escalation(session: AsyncSession, incident_id: int, now: datetime) -> bool:
    """Stamp escalated_at once (a second process or a second run finds it stamped)."""
    res = await session.execute(update(Incident)
                                .where(Incident.id == incident_id, Incident.escalated_at.is_(None),
                                       Incident.status == IncidentStatus.OPEN)
                                .values(escalated_at=now, version=Incident.version + 1))
    return bool(res.rowcount)
