"""Review-group settings changed in chat (storage/tables/group_settings.py): the data access."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import core, dialect, prepared
from storage.tables import ReviewGroupSetting


def _stamp_stmt(_dialect: str):
    return select(func.count(ReviewGroupSetting.id), func.coalesce(func.sum(ReviewGroupSetting.version), 0))


async def stamp(session: AsyncSession) -> tuple[int, int]:
    """(rows, sum of versions): changes whenever any group's settings change. One small read per turn, built
    once and run on the session's connection (see _sql.py: that is a third of the ORM path's cost)."""
    row = (await core(session, prepared(session, ("group_settings.stamp",), _stamp_stmt))).one()
    return int(row[0]), int(row[1])


async def all_settings(session: AsyncSession) -> list[ReviewGroupSetting]:
    return list((await session.execute(select(ReviewGroupSetting).order_by(ReviewGroupSetting.key))).scalars())


async def get(session: AsyncSession, key: str) -> ReviewGroupSetting | None:
    return (await session.execute(select(ReviewGroupSetting).where(ReviewGroupSetting.key == key))).scalar_one_or_none()


async def locked(session: AsyncSession, key: str, now: datetime) -> ReviewGroupSetting:
    """The group's settings row, created if missing and locked for this transaction (Postgres: FOR UPDATE), so
    two admins changing the same group queue one behind the other and each sees the other's change."""
    q = select(ReviewGroupSetting).where(ReviewGroupSetting.key == key).execution_options(populate_existing=True)
    if dialect(session) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        await session.execute(insert(ReviewGroupSetting).values(
            key=key, source="", source_id="", source_label="", source_ref={}, version=0, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["key"]))
        q = q.with_for_update()
    row = (await session.execute(q)).scalar_one_or_none()
    if row is None:  # SQLite: writes are one at a time, so nobody can insert it between the read and here
        row = ReviewGroupSetting(key=key, version=0, updated_at=now)
        session.add(row)
        await session.flush()
    return row


async def by_source(session: AsyncSession, source: str, source_id: str) -> list[ReviewGroupSetting]:
    return list((await session.execute(select(ReviewGroupSetting).where(
        ReviewGroupSetting.source == source, ReviewGroupSetting.source_id == source_id))).scalars())


async def bound(session: AsyncSession, source: str) -> list[ReviewGroupSetting]:
    return list((await session.execute(select(ReviewGroupSetting).where(
        ReviewGroupSetting.source == source).order_by(ReviewGroupSetting.key))).scalars())
