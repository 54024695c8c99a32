"""Messages aiom posted and may update in place or thread under."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import upsert
from storage.tables import MessageRef
from storage.types import utcnow


async def remember(session: AsyncSession, *, platform: str, purpose: str, channel: str, message_id: str,
                   thread_id: str = "", extra: dict | None = None, now=None) -> None:
    now = now or utcnow()
    await upsert(session, MessageRef.__table__,
                 {"platform": platform, "purpose": purpose, "channel": channel, "message_id": message_id,
                  "thread_id": thread_id, "extra": extra or {}, "updated_at": now},
                 ["platform", "purpose", "channel"], ["message_id", "thread_id", "extra", "updated_at"])


async def find(session: AsyncSession, platform: str, purpose: str, channel: str) -> MessageRef | None:
    return (await session.execute(_FIND, {"pl": platform, "p": purpose, "c": channel})).scalar_one_or_none()


_FIND = select(MessageRef).where(MessageRef.platform == bindparam("pl"), MessageRef.purpose == bindparam("p"),
                                 MessageRef.channel == bindparam("c"))
_ALL_FOR = select(MessageRef).where(MessageRef.purpose == bindparam("p"))


async def all_for(session: AsyncSession, purpose: str) -> list[MessageRef]:
    return list((await session.execute(_ALL_FOR, {"p": purpose})).scalars().all())
