"""Deleting what has served its purpose, a batch at a time (each batch its own short transaction, so a sweep
never holds the write lock long): processed inbound entries, expired Slack forms, old button stashes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo import events
from storage.tables import MessageRef

FORM_PURPOSE = "form:"  # bot/slack/forms_store.py
STASH_PURPOSE = "button:"  # bot/slack/stash.py


async def prune_inbound(session: AsyncSession, older_than: datetime, batch: int) -> int:
    return await events.prune(session, older_than, batch)


async def prune_refs(session: AsyncSession, prefix: str, older_than: datetime, batch: int) -> int:
    """Message references whose purpose starts with `prefix`, last written before `older_than`."""
    ids = (select(MessageRef.id).where(MessageRef.purpose.startswith(prefix, autoescape=True),
                                       MessageRef.updated_at < older_than).limit(batch))
    res = await session.execute(delete(MessageRef).where(MessageRef.id.in_(ids.scalar_subquery()))
                                .execution_options(synchronize_session=False))
    return res.rowcount or 0
