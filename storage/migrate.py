"""Schema migrations (Alembic), applied by `aiom db upgrade` and on start.

Several processes starting together must not race: on Postgres the upgrade
runs in one transaction under a transaction-level advisory lock; on SQLite under an exclusive OS file
lock on `<database file>-migrate.lock`, next to the database, which others wait
on as long as it takes (SQLite's own busy timeout would give up during a long
migration). Whoever gets the lock first migrates; the others then find the
schema at head and change nothing. The current revision is read on the
upgrade's own connection before Alembic starts, so Alembic joins that
transaction and the whole upgrade commits once, all or nothing (on its own,
Alembic commits each SQLite migration separately).
"""
from __future__ import annotations

import asyncio
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.db import Database, sqlite_path

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


async def upgrade(db: Database, revision: str = "heads") -> bool:
    """Bring the schema to `revision`; True when this call applied a migration, False when it was there."""
    async with _in_process:
        if db.is_sqlite:
            async with sqlite_migration_lock(db):
                return await _upgrade_locked(db, revision)
        return await _upgrade_locked(db, revision)


def lock_path(db: Database) -> Path:
    path = sqlite_path(db.url)
    return path.with_name(path.name + "-migrate.lock")


def _lock_exclusive(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:
                continue
    fcntl.flock(fd, fcntl.LOCK_EX)


@asynccontextmanager
async def sqlite_migration_lock(db: Database) -> AsyncIterator[None]:
    """Hold the OS lock next to the SQLite file (released when the file is closed, even if the process dies)."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        await asyncio.to_thread(_lock_exclusive, fd)
        yield
    finally:
        os.close(fd)


async def _upgrade_locked(db: Database, revision: str) -> bool:
    cfg = alembic_config(db.url)

    def _upgrade(sync_conn) -> bool:
        before = MigrationContext.configure(sync_conn).get_current_heads()
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, revision)
        return set(MigrationContext.configure(sync_conn).get_current_heads()) != set(before)

    async with db.write_engine.connect() as conn:
        if db.is_sqlite:
            changed = await conn.run_sync(_upgrade)
            await conn.commit()
            return changed
        # A transaction-level lock: released by the commit, and it holds behind PgBouncer in transaction
        # pooling too (a session-level lock could be taken and released on two different server connections).
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
        changed = await conn.run_sync(_upgrade)
        await conn.commit()
        return changed


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
