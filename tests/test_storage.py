"""Storage: migrations from empty, every table round-trips, the audit log is append-only and tamper-evident."""
from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage import audit
from storage.db import Database
from storage.migrate import current_revision, head_revision, upgrade
from storage.repo import events, outbox
from storage.tables import AuditEntry, AuditHead, Person
from tests.support.databases import is_postgres
from tests.support.proc import AIOM, ROOT, clean_env

T0 = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=timezone.utc)


async def test_migrations_from_empty_to_head(db_url):
    db = Database(db_url)
    try:
        assert await current_revision(db) == head_revision()
        await upgrade(db)  # a second run changes nothing
        assert await current_revision(db) == head_revision()
    finally:
        await db.dispose()


def test_processes_starting_together_do_not_race(tmp_path):
    """Four `aiom db upgrade` processes on one fresh database: one migrates, the others wait and find it done."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    if is_postgres():
        url = _fresh_postgres_database()
    env = clean_env(DATABASE_URL=url)
    procs = [subprocess.Popen([*AIOM, "db", "upgrade"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    try:
        results = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0, 0], results
        outs = [out.strip() for out, _ in results]
        assert sorted(outs) == sorted([f"database upgraded to revision {head_revision()}"]
                                      + [f"database is at revision {head_revision()} (up to date)"] * 3), results
        assert asyncio.run(_versions(url)) == sorted(head_revision().split(","))  # each head recorded once
    finally:
        if is_postgres():
            _drop_postgres_database(url)


def test_an_upgrade_waits_while_another_process_holds_the_migration_lock(tmp_path):
    """The lock is real: `aiom db upgrade` blocks on it (seen in the OS's or the server's lock table), and
    migrates once it is released."""
    import fcntl
    import time

    from storage.migrate import _LOCK_ID, lock_path

    if is_postgres():
        url = _fresh_postgres_database()
    else:
        url = f"sqlite:///{tmp_path / 'locked.db'}"
        if not Path("/proc/locks").exists():
            pytest.skip("needs /proc/locks (Linux) to see a process waiting for a file lock")
    release = None
    proc = None
    try:
        if is_postgres():
            holder = _PgLockHolder(url, _LOCK_ID)
            release, waiting = holder.release, holder.waiting
        else:
            fd = os.open(lock_path(Database(url)), os.O_RDWR | os.O_CREAT)
            fcntl.flock(fd, fcntl.LOCK_EX)
            release = lambda: os.close(fd)  # noqa: E731
            waiting = lambda pid: any(line.split()[1:3] == ["->", "FLOCK"] and line.split()[5] == str(pid)
                                      for line in Path("/proc/locks").read_text().splitlines())  # noqa: E731
        proc = subprocess.Popen([*AIOM, "db", "upgrade"], env=clean_env(DATABASE_URL=url), cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not waiting(proc.pid):
            assert proc.poll() is None, f"it migrated without waiting for the lock: {proc.communicate()}"
            assert time.monotonic() < deadline, "never reached the lock"
            time.sleep(0.05)
        release()
        release = None
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == f"database upgraded to revision {head_revision()}"
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.communicate()
        if release is not None:
            release()
        if is_postgres():
            _drop_postgres_database(url)


class _PgLockHolder:
    """Holds the migration's advisory lock on its own connection; says when an aiom process waits for it."""

    def __init__(self, url: str, key: int):
        import threading

        self._go = threading.Event()
        self._held = threading.Event()
        self._waiting: set[int] = set()
        self._url, self._key = url, key
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()
        assert self._held.wait(60), "could not take the advisory lock"

    async def _run(self) -> None:
        import asyncpg

        from sqlalchemy.engine import make_url

        from storage.db import normalise_url

        u = make_url(normalise_url(self._url))
        conn = await asyncpg.connect(user=u.username, password=u.password, host=u.host, port=u.port or 5432,
                                     database=u.database)
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", self._key)
            self._held.set()
            while not self._go.is_set():
                rows = await conn.fetch("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                                        "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND NOT l.granted")
                self._waiting = {int(r[0].rsplit("-", 1)[1]) for r in rows if r[0].startswith("aiom-")}
                await asyncio.sleep(0.05)
        finally:
            await conn.close()  # releases the lock

    def waiting(self, pid: int) -> bool:
        return pid in self._waiting

    def release(self) -> None:
        self._go.set()
        self._thread.join(60)


async def _versions(url: str) -> list[str]:
    db = Database(url)
    try:
        async with db.read() as s:
            return sorted((await s.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    finally:
        await db.dispose()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_enforced(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        for engine in (db.write_engine, db.read_engine):
            async with engine.connect() as c:
                assert (await c.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
                assert (await c.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await db.dispose()


async def test_a_row_pointing_at_nothing_is_refused(db_url):
    db = Database(db_url)
    try:
        with pytest.raises(IntegrityError, match="(?i)foreign key"):
            async with db.write() as s:
                await s.execute(text("INSERT INTO platform_identity (person_id, platform, tenant, external_id, "
                                     "extra, email_verified, updated_at) VALUES (999, 'slack', 'T1', 'U1', '{}', "
                                     "false, CURRENT_TIMESTAMP)"))
        async with db.read() as s:
            assert (await s.execute(text("SELECT count(*) FROM platform_identity"))).scalar() == 0
    finally:
        await db.dispose()


def _fresh_postgres_database() -> str:
    import uuid

    from sqlalchemy.engine import make_url

    from storage.db import normalise_url
    from tests.support.databases import test_database_url

    base = make_url(normalise_url(test_database_url()))
    name = f"aiom_race_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(base.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"'))
    return "postgresql://" + base.set(database=name).render_as_string(hide_password=False).split("://", 1)[1]


def _drop_postgres_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    from storage.db import normalise_url
    from tests.support.databases import test_database_url

    name = make_url(normalise_url(url)).database
    admin = make_url(normalise_url(test_database_url())).render_as_string(hide_password=False)
    asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(url: str, sql: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as c:
            await c.execute(text(sql))
    finally:
        await engine.dispose()


# A value no column has by default, of each column's type: unicode, quotes and newlines in text, a non-UTC
# offset and microseconds in timestamps (read back as the same instant, in UTC), nested JSON.
WHEN = datetime(2026, 11, 23, 10, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))
TEXT = 'Zoë said "ok" — 🚀\nline two; <@U1> & done'
JSON_DICT = {"é": [1, 2.5, None, True, "x"], "nested": {"k": "v"}}
JSON_LIST = ["a", {"b": [1, 2]}, 3]


def _models() -> dict[str, type]:
    import storage.tables as tables

    return {m.__tablename__: m for m in (getattr(tables, n) for n in tables.__all__)}


def _value(model: type, column) -> object:
    from sqlalchemy import Boolean, Date, DateTime, Float, Integer, JSON, LargeBinary, String
    from sqlalchemy.types import TypeDecorator

    t = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(t, Boolean):
        default = column.default.arg if column.default is not None else False
        return not default
    if isinstance(t, DateTime):
        return WHEN
    if isinstance(t, Date):
        return date(2027, 3, 31)
    if isinstance(t, Float):
        return 2.75
    if isinstance(t, Integer):
        return 42
    if isinstance(t, JSON):
        return JSON_LIST if model.model_fields[column.name].annotation is list else JSON_DICT
    if isinstance(t, String):
        return TEXT[: t.length] if t.length else TEXT * 3
    if isinstance(t, LargeBinary):
        return bytes(range(256)) * 8  # every byte value (a vector's float32s are arbitrary bytes)
    raise AssertionError(f"no test value for {model.__name__}.{column.name} ({t!r})")


async def test_every_table_round_trips(db_url):
    """One row in every table, each column set to a value that is not its default; read back unchanged."""
    from sqlmodel import SQLModel

    models = _models()
    written: dict[str, tuple[object, dict]] = {}  # table -> (primary key, column values)
    db = Database(db_url)
    try:
        async with db.write() as s:
            for table in SQLModel.metadata.sorted_tables:
                if table.name in ("audit_log", "audit_head"):
                    continue  # written only by storage.audit, below
                model, values, later = models[table.name], {}, {}
                for col in table.columns:
                    if col.primary_key:
                        continue
                    fks = list(col.foreign_keys)
                    if fks and fks[0].column.table is table:
                        later[col.name] = True  # points at its own table: at this row itself
                    elif fks:
                        values[col.name] = written[fks[0].column.table.name][0]
                    else:
                        values[col.name] = _value(model, col)
                row = model(**values)
                s.add(row)
                await s.flush()
                for name in later:
                    values[name] = row.id
                    setattr(row, name, row.id)
                await s.flush()
                written[table.name] = (row.id, values)
            entry = await audit.append(s, action="test.entry", actor_id=7, actor_label=TEXT, platform="teams",
                                       entity="use_case", entity_id=3, use_case_id=3, data=JSON_DICT,
                                       message_ref="teams:1:2", at=WHEN)
            logged = {c.name: getattr(entry, c.name) for c in AuditEntry.__table__.columns}
        assert set(written) | {"audit_log", "audit_head"} == set(SQLModel.metadata.tables)

        async with db.read() as s:
            for name, (pk, values) in written.items():
                got = await s.get(models[name], pk)
                assert got is not None, name
                for col, expected in values.items():
                    value = getattr(got, col)
                    assert value == expected, f"{name}.{col}: wrote {expected!r}, read {value!r}"
                    if isinstance(expected, datetime):
                        assert value.utcoffset() == timedelta(0), f"{name}.{col} is not read back in UTC"
            got_entry = await s.get(AuditEntry, logged["seq"])
            assert {c: getattr(got_entry, c) for c in logged} == logged
            assert got_entry.at == WHEN and got_entry.at.utcoffset() == timedelta(0)
            head = await s.get(AuditHead, 1)
            assert (head.seq, head.hash) == (logged["seq"], logged["hash"])
    finally:
        await db.dispose()


async def test_naive_datetimes_are_refused(db_url):
    db = Database(db_url)
    try:
        with pytest.raises(Exception, match="naive datetime"):
            async with db.write() as s:
                s.add(Person(email="n@example.com", created_at=datetime(2026, 1, 1)))
                await s.flush()
    finally:
        await db.dispose()


async def test_audit_log_rejects_update_and_delete_in_the_database(db_url):
    db = Database(db_url)
    try:
        async with db.write() as s:
            await audit.append(s, action="a")
        for sql in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
            with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
                async with db.write() as s:
                    await s.execute(text(sql))
        async with db.read() as s:
            assert (await audit.verify(s)) == (1, [])
    finally:
        await db.dispose()


def test_the_data_access_layer_offers_no_way_to_change_an_audit_entry():
    public = {n for n in dir(audit) if not n.startswith("_") and callable(getattr(audit, n))}
    writers = {n for n in public if any(w in n.lower() for w in ("update", "delete", "remove", "edit", "set"))}
    assert writers == set()
    assert "append" in public


async def _tamper(db: Database, sql: str, params: dict) -> None:
    """What an attacker with database access does: drop the guard, edit, put the guard back."""
    async with db.write() as s:
        if db.is_sqlite:
            await s.execute(text("DROP TRIGGER audit_log_no_update"))
            await s.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            await s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        await s.execute(text(sql), params)


@pytest.mark.parametrize("attack,expected", [
    ("UPDATE audit_log SET data = :d WHERE seq = 2", "entry 2: was edited"),
    ("DELETE FROM audit_log WHERE seq = 2", "entry 2: missing"),
    ("UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 1002 WHEN 3 THEN 2 END WHERE seq IN (2, 3)", "entry 2"),
])
async def test_tampering_is_detected(db_url, attack, expected):
    db = Database(db_url)
    try:
        async with db.write() as s:
            for i in range(4):
                await audit.append(s, action=f"step{i}", data={"i": i})
        await _tamper(db, attack, {"d": '{"i": 99}'})
        async with db.read() as s:
            _, problems = await audit.verify(s)
        assert problems, "tampering went unnoticed"
        assert any(str(p).startswith(expected) for p in problems), [str(p) for p in problems]
    finally:
        await db.dispose()


async def test_concurrent_audit_writers_keep_one_chain(db_url):
    db = Database(db_url)
    try:
        async def writer(n: int) -> None:
            for i in range(10):
                async with db.write() as s:
                    await audit.append(s, action="w", data={"writer": n, "i": i})

        await asyncio.gather(*(writer(n) for n in range(8)))
        async with db.read() as s:
            count, problems = await audit.verify(s)
        assert (count, problems) == (80, [])
    finally:
        await db.dispose()


async def test_processed_event_is_recognised_once(db_url):
    db = Database(db_url)
    try:
        async with db.write() as s:
            assert await events.mark_processed(s, "slack", "Ev1") is True
        async with db.write() as s:
            assert await events.mark_processed(s, "slack", "Ev1") is False
            assert await events.mark_processed(s, "teams", "Ev1") is True
    finally:
        await db.dispose()


async def test_outbox_dedupe_and_claim(db_url):
    db = Database(db_url)
    try:
        now = datetime.now(timezone.utc)
        async with db.write() as s:
            first = await outbox.enqueue(s, dedupe_key="d1", platform="slack", target="C1", message={}, now=now)
            again = await outbox.enqueue(s, dedupe_key="d1", platform="slack", target="C1", message={}, now=now)
        assert first and again is None
        async with db.write() as s:
            a = await outbox.claim(s, worker="a", now=now, lease=timedelta(seconds=60))
        async with db.write() as s:
            b = await outbox.claim(s, worker="b", now=now, lease=timedelta(seconds=60))
        assert [r.id for r in a] == [first] and b == []
        # the lease expires: another worker may take it over
        async with db.write() as s:
            c = await outbox.claim(s, worker="c", now=now + timedelta(seconds=61), lease=timedelta(seconds=60))
        assert [r.id for r in c] == [first]
    finally:
        await db.dispose()
