"""Scratch databases: a SQLite file in the run's temporary folder, or a uniquely named Postgres database created
on the benchmark server (postgresql://postgres@127.0.0.1:5432 unless told otherwise) and dropped afterwards."""
from __future__ import annotations

import asyncio
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
KINDS = ("sqlite", "postgres")


def admin_url(url: str | None = None) -> str:
    """The Postgres server to create scratch databases on (a URL naming any database there it may connect to)."""
    url = url or os.environ.get("AIOM_BENCH_POSTGRES_URL") or DEFAULT_POSTGRES
    rest = url.split("://", 1)[1]
    return url if "/" in rest else url + "/postgres"


async def admin_sql(admin: str, sql: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage.db import normalise_url

    engine = create_async_engine(normalise_url(admin), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as c:
            await c.execute(text(sql))
    finally:
        await engine.dispose()


def new_url(kind: str, tmp: Path, admin: str | None = None) -> str:
    """A fresh database's URL (for Postgres: the name on the admin server; create it with `create`)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    return admin_url(admin).rsplit("/", 1)[0] + f"/aiom_bench_{uuid.uuid4().hex[:8]}"


async def create(url: str, admin: str | None = None) -> None:
    if url.startswith("postgres"):
        await admin_sql(admin_url(admin), f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')


async def drop(url: str, admin: str | None = None) -> None:
    if url.startswith("postgres"):
        await admin_sql(admin_url(admin), f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        return
    path = url.split("sqlite:///", 1)[1]
    for p in (path, f"{path}-wal", f"{path}-shm"):
        Path(p).unlink(missing_ok=True)


@contextmanager
def scratch(kind: str, tmp: Path, admin: str | None = None) -> Iterator[str]:
    """An empty database of `kind`, migrated to the latest schema, which is gone again afterwards."""
    url = new_url(kind, tmp, admin)
    asyncio.run(create(url, admin))
    try:
        asyncio.run(migrate(url))
        yield url
    finally:
        asyncio.run(drop(url, admin))


async def migrate(url: str) -> None:
    from storage.db import Database
    from storage.migrate import upgrade

    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()
