"""Async database access on SQLite (default) and Postgres.

On SQLite every write goes through one connection, one transaction at a time
(eight writers on separate connections spend their time waiting on the file
lock); reads use a small pool of their own, which WAL mode lets run beside the
writer. On Postgres one pool serves both.
"""
from __future__ import annotations

import asyncio
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession


class DatabaseUrlError(ValueError):
    pass


def normalise_url(url: str) -> str:
    """Turn the operator's URL into the async driver URL SQLAlchemy needs."""
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://"):]
    if url.startswith("postgresql+asyncpg://") or url.startswith("sqlite+aiosqlite:///"):
        return url
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    raise DatabaseUrlError("expected a sqlite:///path or postgresql://user@host/db URL")


def sqlite_path(url: str) -> Path | None:
    u = make_url(normalise_url(url))
    if u.get_backend_name() != "sqlite":
        return None
    return Path(u.database or "")


def _sqlite_pragmas(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every sqlite test
        dbapi_conn.isolation_level = None  # let the "begin" hook below emit BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):  # pragma: no cover
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, connect_timeout: float = 5.0):
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        if self.is_sqlite:
            path = sqlite_path(self.url)
            if path is None or str(path) in ("", ":memory:"):
                raise DatabaseUrlError("SQLite needs a file path (sqlite:///./data/aiom.db)")
            path.parent.mkdir(parents=True, exist_ok=True)
            args = {"timeout": 15}
            self.write_engine = create_async_engine(self.url, pool_size=1, max_overflow=0,
                                                    pool_timeout=300, connect_args=args)
            self.read_engine = create_async_engine(self.url, pool_size=4, max_overflow=4, connect_args=args)
            _sqlite_pragmas(self.write_engine, immediate=True)
            _sqlite_pragmas(self.read_engine, immediate=False)
        else:
            args = {"timeout": connect_timeout, "command_timeout": 60,
                    "server_settings": {"application_name": f"aiom-{os.getpid()}"}}
            self.write_engine = create_async_engine(self.url, pool_size=pool_size, max_overflow=pool_size,
                                                    pool_pre_ping=False, connect_args=args)
            self.read_engine = self.write_engine
        self.dialect = "sqlite" if self.is_sqlite else "postgresql"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction, committed on success, rolled back on error."""
        if self._write_lock is not None:
            async with self._write_lock:
                async with self._session(self.write_engine) as s:
                    yield s
        else:
            async with self._session(self.write_engine) as s:
                yield s

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(self.read_engine, expire_on_commit=False) as s:
            yield s

    @asynccontextmanager
    async def _session(self, engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(engine, expire_on_commit=False) as s:
            try:
                yield s
                await s.commit()
            except BaseException:
                await s.rollback()
                raise

    async def ping(self, timeout: float = 3.0) -> bool:
        try:
            async def _q():
                async with self.read_engine.connect() as c:
                    await c.execute(text("SELECT 1"))
            await asyncio.wait_for(_q(), timeout)
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
