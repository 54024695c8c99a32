"""A SQLite connection for SQLAlchemy's aiosqlite dialect that runs each statement on the event loop's thread.

aiosqlite runs every statement on a thread of its own and hands the result back through the event loop. For
aiom's write connection that hand-off is the expensive part: a click's transaction is about ten short
statements, each of which finishes in microseconds inside SQLite but then waits for the loop to come back to
it, behind every other request the server is acknowledging - all while holding the one write connection. So
the write engine uses this connection instead: the same `sqlite3` calls, made directly, each one as short as
SQLite makes it (aiom's writes are small, indexed statements in WAL mode with synchronous=NORMAL). Reads,
which can be long (the digest, the export), keep aiosqlite's thread.

Waiting for the file lock must not block the loop: another process (`aiom worker`, a second `aiom serve`)
may hold the database's write lock. The connection's own busy timeout is kept tiny, and a `BEGIN` that
finds the database locked is retried asynchronously - the loop keeps serving - until `lock_timeout`.

It implements what `sqlalchemy.dialects.sqlite.aiosqlite` uses of an aiosqlite connection (passed through
`create_async_engine(..., async_creator=...)`), nothing more.
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any, Iterable

BUSY_TIMEOUT_MS = 20  # how long one attempt may wait for the lock inside SQLite (blocking the loop)


class InlineCursor:
    def __init__(self, conn: "InlineConnection"):
        self._owner = conn
        self._cursor = conn._conn.cursor()

    async def __aenter__(self) -> "InlineCursor":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = ()) -> "InlineCursor":
        if self._owner.lock_timeout and sql.lstrip()[:5].upper() == "BEGIN":
            await self._owner._begin(self._cursor, sql, parameters)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Any]) -> "InlineCursor":
        self._cursor.executemany(sql, seq_of_parameters)
        return self

    async def fetchall(self) -> list:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self):
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self):
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """Stands in for aiosqlite's request queue, which the dialect's isolation-level setter posts to."""

    def put_nowait(self, item) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as e:  # handed back through the future, as aiosqlite's thread would
            future.set_exception(e)


class InlineConnection:
    def __init__(self, conn: sqlite3.Connection, lock_timeout: float):
        self._conn = conn
        self._connection = conn  # the dialect checks this attribute to see whether the connection is open
        self._tx = _RunNow()
        self.lock_timeout = lock_timeout

    async def _begin(self, cursor: sqlite3.Cursor, sql: str, parameters: Any) -> None:
        """BEGIN (IMMEDIATE), waiting for another process's write lock without blocking the loop."""
        deadline = time.monotonic() + self.lock_timeout
        pause = 0.002
        while True:
            try:
                cursor.execute(sql, parameters)
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e).lower() and "busy" not in str(e).lower():
                    raise
                if time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        cur = self.cursor()
        return await cur.execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    def stop(self) -> None:  # the dialect's forced close
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)

    @property
    def isolation_level(self):
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value) -> None:
        self._conn.isolation_level = value


def creator(path: str, *, lock_timeout: float = 15.0):
    """An `async_creator` for `create_async_engine`: opens `path` with the standard library's sqlite3."""
    async def connect() -> InlineConnection:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        return InlineConnection(conn, lock_timeout)
    return connect
