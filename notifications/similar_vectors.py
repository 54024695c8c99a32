"""The sweep that computes missing similar-ideas vectors in the background (imported ideas, or all of them after
the model changed), a batch per sweep; `aiom similar --reindex` does them all at once, with a progress bar."""
from __future__ import annotations

from datetime import datetime

from conversations.similar import search as similar_search
from notifications.services import Services

BATCH = 100


async def sweep(services: Services, now: datetime) -> int:
    async with services.db.write() as s:
        return await similar_search.backfill(s, BATCH)
