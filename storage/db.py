"""Async database access on SQLite (default) and Postgres.

On SQLite every write goes through one connection, one transaction at a time
(eight writers on separate connections spend their time waiting on the file
lock); reads use a small pool of their own, which WAL mode lets run beside the
writer. On Postgres one pool serves both.
"""
from __future__ import annotations

import asyncio
import collections
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession

from storage import sqlite_inline


class DatabaseUrlError(ValueError):
    pass


class DatabaseUnavailable(Exception):
    """The database could not be reached; `str()` is one line naming it (password masked) and the reason."""


URL_EXAMPLES = "sqlite:///./data/aiom.db or postgresql://user:password@host:5432/aiom"


def normalise_url(url: str) -> str:
    """Turn the operator's URL into the async driver URL SQLAlchemy needs.

    Raises DatabaseUrlError, in our own words and never quoting the URL (it may hold a password), when the
    URL cannot work: an unknown scheme, SQLite without a file path, Postgres without a host or a database
    name, or a port that is not a number.
    """
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://"):]
    elif url.startswith("sqlite:///"):
        url = "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    elif not url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite:///")):
        raise DatabaseUrlError(f"expected a URL such as {URL_EXAMPLES}")
    _check_parts(url)
    return url


def _check_parts(url: str) -> None:
    try:
        u = make_url(url)
        port = u.port  # parsed lazily by some versions; a non-number raises here
    except Exception:  # the parser's own messages may quote the URL, password and all
        raise DatabaseUrlError("cannot be read as a database URL: the port must be a number and special "
                               "characters in the password percent-encoded (%40 for @); expected a URL such as "
                               f"{URL_EXAMPLES}") from None
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            raise DatabaseUrlError("SQLite needs a file path, for example sqlite:///./data/aiom.db")
        return
    if not (u.host or u.query.get("host")):
        raise DatabaseUrlError("PostgreSQL needs a host, for example postgresql://user:password@host:5432/aiom")
    if not u.database:
        raise DatabaseUrlError("PostgreSQL needs a database name after the host, for example "
                               "postgresql://user:password@host:5432/aiom")
    if port is not None and not 1 <= port <= 65535:
        raise DatabaseUrlError("the port must be a number from 1 to 65535")
    from storage.pg_connect import ConnectOptionError, pg_options

    try:
        pg_options(u)
    except ConnectOptionError as e:
        raise DatabaseUrlError(str(e)) from None


def masked_url(url: str) -> str:
    """The URL as the operator wrote it, with any password replaced by ***."""
    try:
        u = make_url(url.strip())
    except Exception:
        return "(the DATABASE_URL setting)"
    return u.render_as_string(hide_password=True)


def unreachable_reason(exc: BaseException) -> str:
    """Why connecting failed, in a few words (never the password: asyncpg and sqlite do not echo it)."""
    import socket
    import sqlite3

    import ssl

    seen: BaseException | None = exc
    while seen is not None:
        orig = getattr(seen, "orig", None)  # SQLAlchemy's wrapper around the driver's error
        e = orig if isinstance(orig, BaseException) else seen
        if isinstance(e, ssl.SSLCertVerificationError):
            why = e.verify_message or "not trusted"
            return (f"the server's TLS certificate was not accepted ({why}): check sslrootcert "
                    "(the CA that signed it) and, with sslmode=verify-full, that the host name matches it")
        if isinstance(e, ssl.SSLError):
            return f"the TLS handshake failed ({e.reason or e}): check sslmode, sslcert and sslkey"
        if "rejected SSL upgrade" in str(e):
            return "the server does not offer TLS, but sslmode asks for it (use sslmode=prefer or disable)"
        if isinstance(e, ConnectionRefusedError):
            return "the connection was refused (is the database server running, on that host and port?)"
        if isinstance(e, socket.gaierror):
            return "the host name is not known"
        if isinstance(e, TimeoutError):
            return "the server did not answer in time"
        if type(e).__module__.startswith("asyncpg"):
            name = type(e).__name__
            if name == "InvalidPasswordError":
                return "the server refused the user name or password"
            if name == "InvalidCatalogNameError":
                return "that database does not exist on the server (create it first)"
            text_ = str(e)
            if "rejected SSL upgrade" in text_:
                return "the server does not offer TLS, but sslmode asks for it (use sslmode=prefer or disable)"
            if name == "InvalidAuthorizationSpecificationError" and "no encryption" in text_:
                return ("the server accepts this user only over TLS (its pg_hba.conf says hostssl): "
                        "add ?sslmode=require or verify-full")
            if name == "InvalidAuthorizationSpecificationError":
                return f"the server refused this connection: {text_}"
            return str(e) or name
        if isinstance(e, sqlite3.Error):
            return f"SQLite could not open the file ({e})"
        if isinstance(e, OSError):
            return e.strerror or str(e)
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


def unreachable_message(url: str, exc: BaseException) -> str:
    return f"aiom cannot reach the database {masked_url(url)}: {unreachable_reason(exc)}"


def sqlite_path(url: str) -> Path | None:
    u = make_url(normalise_url(url))
    if u.get_backend_name() != "sqlite":
        return None
    return Path(u.database or "")


def _sqlite_pragmas(engine: AsyncEngine, *, immediate: bool, busy_ms: int = 15000) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every sqlite test
        dbapi_conn.isolation_level = None  # let the "begin" hook below emit BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):  # pragma: no cover
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() else default


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


class PriorityLock:
    """An asyncio lock whose `high` waiters go before the others (FIFO within each level).

    SQLite has one writer; aiom's writes take turns on this lock. Writing an inbound request to the journal
    before its acknowledgement (bot/journal.py) asks with `high`, so the ack waits for at most the transaction
    in progress - not for every turn queued behind it."""

    def __init__(self) -> None:
        self._locked = False
        self._high: collections.deque[asyncio.Future] = collections.deque()
        self._low: collections.deque[asyncio.Future] = collections.deque()

    def locked(self) -> bool:
        return self._locked

    async def acquire(self, high: bool = False) -> None:
        if not self._locked and not self._high and not self._low:
            self._locked = True
            return
        fut = asyncio.get_running_loop().create_future()
        (self._high if high else self._low).append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():  # handed over just as it was cancelled: pass it on
                self.release()
            raise

    def release(self) -> None:
        for queue in (self._high, self._low):
            while queue:
                fut = queue.popleft()
                if not fut.done():
                    fut.set_result(True)  # ownership passes straight to that waiter
                    return
        self._locked = False


class Database:
    """`pool_size` / `max_overflow` (Postgres connections per process: kept open / extra under load) default to
    AIOM_DB_POOL_SIZE (10) and AIOM_DB_MAX_OVERFLOW (same as the pool size); `pgbouncer` (default
    AIOM_DB_PGBOUNCER) turns asyncpg's statement caches off for PgBouncer in transaction pooling."""

    def __init__(self, url: str, *, pool_size: int | None = None, max_overflow: int | None = None,
                 pgbouncer: bool | None = None, connect_timeout: float = 5.0):
        pool_size = pool_size if pool_size is not None else _env_int("AIOM_DB_POOL_SIZE", 10)
        max_overflow = max_overflow if max_overflow is not None else _env_int("AIOM_DB_MAX_OVERFLOW", pool_size)
        self.pgbouncer = _env_flag("AIOM_DB_PGBOUNCER") if pgbouncer is None else pgbouncer
        self.operator_url = url
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = PriorityLock() if self.is_sqlite else None
        self._priority_engine: AsyncEngine | None = None
        if self.is_sqlite:
            path = sqlite_path(self.url)  # normalise_url refused a URL without one
            path.parent.mkdir(parents=True, exist_ok=True)
            # Writes: one connection whose statements run on the loop's thread (storage/sqlite_inline.py says
            # why); reads: aiosqlite's threaded connections, so a long read never holds up the loop.
            self.write_engine = create_async_engine(self.url, pool_size=1, max_overflow=0, pool_timeout=300,
                                                    async_creator=sqlite_inline.creator(str(path)))
            self.read_engine = create_async_engine(self.url, pool_size=4, max_overflow=4,
                                                   connect_args={"timeout": 15})
            _sqlite_pragmas(self.write_engine, immediate=True, busy_ms=sqlite_inline.BUSY_TIMEOUT_MS)
            _sqlite_pragmas(self.read_engine, immediate=False)
        else:
            from storage.pg_connect import pg_options, pgbouncer_args

            opts = pg_options(make_url(self.url))
            args = {"timeout": connect_timeout, "command_timeout": 60,
                    "server_settings": {"application_name": f"aiom-{os.getpid()}"}}
            args.update(opts.connect_args)
            url_ = opts.url
            if self.pgbouncer:
                args.update(pgbouncer_args())
                url_ = url_.update_query_dict({"prepared_statement_cache_size": "0"})
            self.sslmode = opts.sslmode
            self.write_engine = create_async_engine(url_, pool_size=pool_size, max_overflow=max_overflow,
                                                    pool_pre_ping=False, connect_args=args)
            self.read_engine = self.write_engine
            self._pg_args = args
            self._pg_url = url_  # libpq's parameters taken out (pg_connect), PgBouncer's cache setting added
        self.dialect = "sqlite" if self.is_sqlite else "postgresql"

    @asynccontextmanager
    async def write(self, priority: bool = False) -> AsyncIterator[AsyncSession]:
        """A session in one transaction, committed on success, rolled back on error.

        `priority` (a short write an HTTP acknowledgement waits for): on SQLite it goes before the writes
        waiting for the lock; on Postgres it uses a small pool of its own, so it never waits for a connection
        the turns hold."""
        if self._write_lock is not None:
            await self._write_lock.acquire(high=priority)
            try:
                async with self._session(self.write_engine) as s:
                    yield s
            finally:
                self._write_lock.release()
        else:
            async with self._session(self._priority() if priority else self.write_engine) as s:
                yield s

    def _priority(self) -> AsyncEngine:
        if self._priority_engine is None:
            self._priority_engine = create_async_engine(self._pg_url, pool_size=2, max_overflow=2,
                                                        pool_pre_ping=False, connect_args=self._pg_args)
        return self._priority_engine

    @asynccontextmanager
    async def priority_driver(self):
        """Postgres only: the driver's own connection (asyncpg) from the priority pool, for one statement that
        commits by itself - durable once it returns - in one round trip instead of the session's three (BEGIN,
        the statement, COMMIT). A connection that failed is dropped from the pool, not handed out again."""
        async with self._priority().connect() as conn:
            raw = await conn.get_raw_connection()
            try:
                yield raw.driver_connection
            except BaseException:
                await conn.invalidate()
                raise

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

    async def check(self, timeout: float = 10.0) -> None:
        """Connect once; raise DatabaseUnavailable (one line, password masked) if that fails."""
        try:
            async def _q():
                async with self.read_engine.connect() as c:
                    await c.execute(text("SELECT 1"))
            await asyncio.wait_for(_q(), timeout)
        except Exception as e:
            raise DatabaseUnavailable(unreachable_message(self.operator_url, e)) from e

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
        if self._priority_engine is not None:
            await self._priority_engine.dispose()
            self._priority_engine = None
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
