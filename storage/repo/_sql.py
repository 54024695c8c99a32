"""Dialect helpers shared by the data-access modules."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name


def _insert(session: AsyncSession, table: Table):
    return (postgresql.insert if dialect(session) == "postgresql" else sqlite.insert)(table)


async def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any],
                        conflict: list[str], returning: str | None = "id") -> Any:
    """INSERT … ON CONFLICT DO NOTHING; returns the new row's `returning` column, or None if it existed."""
    stmt = _insert(session, table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    if returning:
        stmt = stmt.returning(table.c[returning])
        return (await session.execute(stmt)).scalar_one_or_none()
    res = await session.execute(stmt)
    return res.rowcount or None


async def upsert(session: AsyncSession, table: Table, values: dict[str, Any], conflict: list[str],
                 update: dict[str, Any]) -> None:
    stmt = _insert(session, table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=conflict, set_=update)
    await session.execute(stmt)
