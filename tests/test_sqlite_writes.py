"""SQLite writes run on the loop's thread (storage/sqlite_inline.py) but never make the loop wait for another
process's lock: the server keeps answering while `aiom worker` (say) holds the database. They use SQLite files
of their own, so they run in the Postgres pass too."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import text

from storage import sqlite_inline
from storage.db import Database
from storage.migrate import upgrade
from storage.repo import people


def _path(db: Database) -> str:
    return db.url.split("sqlite+aiosqlite:///", 1)[1]


async def test_a_write_waits_for_another_process_lock_while_the_loop_keeps_serving(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/a.db")
    await upgrade(db)
    other = sqlite3.connect(_path(db), isolation_level=None)  # stands in for a second aiom process
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO person (email, display_name, timezone, created_at, updated_at) "
                      "VALUES ('held@example.com', 'Held', '', '2026-11-23 09:00:00', '2026-11-23 09:00:00')")

        async def write() -> int:
            async with db.write() as s:
                return (await people.create(s, email="mine@example.com", display_name="Mine")).id

        task = asyncio.create_task(write())
        ticks = 0
        for _ in range(20):  # the loop goes on serving other work while the write waits for the lock
            await asyncio.sleep(0.01)
            ticks += 1
        assert not task.done() and ticks == 20
        other.execute("COMMIT")  # the other process lets go: the write goes through, nothing lost
        assert await asyncio.wait_for(task, 10)
        async with db.read() as s:
            emails = (await s.execute(text("SELECT email FROM person ORDER BY id"))).scalars().all()
        assert emails == ["held@example.com", "mine@example.com"]
    finally:
        other.close()
        await db.dispose()


async def test_a_lock_held_past_the_timeout_is_a_clear_error_and_the_connection_stays_usable(tmp_path):
    path = str(tmp_path / "b.db")
    conn = await sqlite_inline.creator(path, lock_timeout=0.2)()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        cur = conn.cursor()
        await cur.execute("CREATE TABLE t (x INTEGER)")
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await cur.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        await cur.execute("BEGIN IMMEDIATE")
        await cur.execute("INSERT INTO t VALUES (?)", (7,))
        await conn.commit()
        await cur.execute("SELECT x FROM t")
        assert await cur.fetchall() == [(7,)]
    finally:
        other.close()
        await conn.close()
