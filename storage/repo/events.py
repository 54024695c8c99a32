"""Inbound event ids already processed (Slack and Teams retry; a retry must change nothing twice)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import insert_ignore
from storage.tables import ProcessedEvent
from storage.types import utcnow


async def mark_processed(session: AsyncSession, platform: str, event_id: str) -> bool:
    """True the first time an id is seen; False for a repeat. Rolled back with the caller's transaction."""
    new = await insert_ignore(session, ProcessedEvent.__table__,
                              {"platform": platform, "event_id": event_id[:256], "at": utcnow()},
                              ["platform", "event_id"], returning=None)
    return bool(new)


async def prune(session: AsyncSession, older_than: datetime) -> int:
    res = await session.execute(delete(ProcessedEvent).where(ProcessedEvent.at < older_than))
    return res.rowcount or 0
