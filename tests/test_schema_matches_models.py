"""The migrations build exactly the tables the models describe (columns, types, nullability, indexes, keys)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers every table)
from storage.db import Database


async def test_migrated_schema_matches_the_table_models(db_url):
    db = Database(db_url)
    try:
        async with db.write_engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), SQLModel.metadata))
    finally:
        await db.dispose()
    assert diff == [], "the migrations and storage/tables disagree (write a migration):\n" + "\n".join(map(str, diff))
