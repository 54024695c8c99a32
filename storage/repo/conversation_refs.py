"""Stored platform conversation references, so any process can message proactively after a restart."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import upsert
from storage.tables import ConversationRef
from storage.types import utcnow


async def save(session: AsyncSession, *, platform: str, conversation_id: str, kind: str, tenant: str = "",
               person_id: int | None = None, service_url: str = "", reference: dict | None = None) -> None:
    now = utcnow()
    values = {"platform": platform, "conversation_id": conversation_id, "kind": kind, "tenant": tenant,
              "person_id": person_id, "service_url": service_url, "reference": reference or {}, "updated_at": now}
    update = [k for k in values if k not in ("platform", "conversation_id")
              and not (k == "person_id" and person_id is None)]  # an unknown person keeps the one on record
    await upsert(session, ConversationRef.__table__, values, ["platform", "conversation_id"], update)


async def get(session: AsyncSession, platform: str, conversation_id: str) -> ConversationRef | None:
    q = select(ConversationRef).where(ConversationRef.platform == platform,
                                      ConversationRef.conversation_id == conversation_id)
    return (await session.execute(q)).scalar_one_or_none()


async def personal_for(session: AsyncSession, platform: str, person_id: int) -> ConversationRef | None:
    q = (select(ConversationRef).where(ConversationRef.platform == platform, ConversationRef.person_id == person_id,
                                       ConversationRef.kind == "personal")
         .order_by(ConversationRef.updated_at.desc()).limit(1))
    return (await session.execute(q)).scalar_one_or_none()
