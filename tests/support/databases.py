"""One fresh, migrated database per test, on SQLite (default) or Postgres.

Set AIOM_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test to run on
Postgres: the suite creates its own uniquely named database on that server
(so parallel runs never collide), migrates it once, empties it between tests
and drops it at the end.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import Database, normalise_url
from storage.migrate import upgrade

ENV = "AIOM_TEST_DATABASE_URL"


def test_database_url() -> str | None:
    return os.environ.get(ENV) or None


def is_postgres() -> bool:
    url = test_database_url()
    return bool(url and url.startswith(("postgresql", "postgres:")))


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


class SqliteTemplate:
    def __init__(self, workdir: Path):
        self.template = workdir / "template.db"
        asyncio.run(_migrate(f"sqlite:///{self.template}"))

    def fresh(self, path: Path) -> str:
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def close(self) -> None:
        pass


class PostgresDatabase:
    def __init__(self, server_url: str):
        base = make_url(normalise_url(server_url))
        self.name = f"aiom_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.admin_url = base.render_as_string(hide_password=False)
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))
        asyncio.run(_migrate(self.url))
        self.tables: list[str] = asyncio.run(self._tables())

    async def _admin(self, sql: str) -> None:
        engine = create_async_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as c:
                await c.execute(text(sql))
        finally:
            await engine.dispose()

    async def _tables(self) -> list[str]:
        engine = create_async_engine(self.url)
        try:
            async with engine.connect() as c:
                rows = await c.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public' "
                                            "AND tablename <> 'alembic_version'"))
                return [r[0] for r in rows]
        finally:
            await engine.dispose()

    async def reset(self) -> None:
        engine = create_async_engine(self.url)
        try:
            async with engine.begin() as c:
                await c.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in self.tables)
                                     + " RESTART IDENTITY CASCADE"))
                await c.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
        finally:
            await engine.dispose()

    def fresh(self, path: Path) -> str:
        asyncio.run(self.reset())
        return "postgresql://" + self.url.split("://", 1)[1]

    def close(self) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
