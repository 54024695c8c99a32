"""Schema migrations (Alembic), applied by `aiom db upgrade` and on start.

Several processes starting together must not race: on Postgres the upgrade
runs under a session-level advisory lock; on SQLite under an exclusive
transaction on the file.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = 0x61696F6D  # "aiom"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The head revision(s), comma-separated when branches exist."""
    return ",".join(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))


async def current_revision(db: Database) -> str | None:
    async with db.write_engine.connect() as conn:
        heads = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
    return ",".join(sorted(heads)) or None


_in_process = asyncio.Lock()  # alembic keeps module-level state: one migration at a time per process


async def upgrade(db: Database, revision: str = "heads") -> None:
    async with _in_process:
        await _upgrade_locked(db, revision)


async def _upgrade_locked(db: Database, revision: str) -> None:
    cfg = alembic_config(db.url)

    def _upgrade(sync_conn) -> None:
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, revision)

    async with db.write_engine.connect() as conn:
        if db.is_sqlite:
            await conn.run_sync(_upgrade)
            await conn.commit()
            return
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_ID})
        try:
            await conn.commit()
            await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_ID})
            await conn.commit()


async def autogenerate(url: str, message: str) -> str:
    """Write a new migration for whatever the table definitions add (developers; needs a database at head)."""
    db = Database(url)
    cfg = alembic_config(db.url)
    out: list[str] = []

    def _rev(sync_conn) -> None:
        cfg.attributes["connection"] = sync_conn
        script = command.revision(cfg, message=message, autogenerate=True)
        out.append(script.path if script else "")

    try:
        await upgrade(db)
        async with db.write_engine.connect() as conn:
            await conn.run_sync(_rev)
    finally:
        await db.dispose()
    return out[0]
