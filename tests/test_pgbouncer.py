"""aiom behind PgBouncer in transaction pooling (Debian's pgbouncer), with AIOM_DB_PGBOUNCER=true.

In transaction pooling each transaction may land on a different server connection, so asyncpg's cached
prepared statements break; PgBouncer mode turns the caches off. Here many people talk to aiom at once
through a PgBouncer with two server connections, and the reminder sweep and the outbox run through it too.
"""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.app import App
from bot.config import load_settings
from tests.support.harness import Harness, RecordingDeliverer
from tests.support.pg_servers import start_pgbouncer
from tests.support.proc import AIOM, clean_env
from tests.test_reminders import channel_reminders, overdue_review, sweep_and_deliver

pytestmark = pytest.mark.postgres_only
UTC = timezone.utc


async def start(url: str, policy, clock, *, pgbouncer: bool) -> Harness:
    settings = load_settings({"DATABASE_URL": url, "AIOM_DB_PGBOUNCER": str(pgbouncer).lower()}, env_file=None)
    app = App.create(settings, policy=policy, clock=clock)
    out = RecordingDeliverer()
    app.add_deliverer(out)
    await app.start(migrate=True, background=False)  # the migration lock goes through PgBouncer too
    return Harness(app, out)


@pytest.fixture
def bouncer(db_url):
    u = make_url(db_url)
    folder = Path(tempfile.mkdtemp(prefix="aiom-pgbouncer-"))
    b = start_pgbouncer(folder, host=u.host or "127.0.0.1", port=u.port or 5432, pool_size=2)
    if isinstance(b, str):
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(b)
    yield b, u.database
    b.stop()
    shutil.rmtree(folder, ignore_errors=True)


async def test_turns_sweeps_and_delivery_through_transaction_pooling(bouncer, policy, clock):
    b, name = bouncer
    h = await start(b.url(name), policy, clock, pgbouncer=True)
    try:
        assert h.app.db.pgbouncer
        people = [h.person(f"p{i}@example.com") for i in range(24)]
        seen = await asyncio.gather(*(p.say("help") for p in people))
        assert all("What I can do" in s.text for s in seen)
        await overdue_review(h, clock)
        clock.set(datetime(2026, 11, 26, 22, 0, tzinfo=UTC))
        assert (await sweep_and_deliver(h, clock))["review_reminders"] == 1
        clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))  # the channel's morning: the outbox sends it
        await h.app.dispatcher.drain()
        assert len(channel_reminders(h, "#product")) == 1
    finally:
        await h.stop()


async def test_without_pgbouncer_mode_the_same_load_fails(bouncer, policy, clock):
    """The reason the mode exists: asyncpg's statement cache across pooled server connections."""
    b, name = bouncer
    h = await start(b.url(name), policy, clock, pgbouncer=False)
    try:
        errors: list[BaseException] = []
        for round_ in range(6):  # statements land on another server connection as soon as turns overlap
            people = [h.person(f"q{round_}-{i}@example.com") for i in range(24)]
            results = await asyncio.gather(*(p.say("help") for p in people), return_exceptions=True)
            errors = [r for r in results if isinstance(r, BaseException)]
            if errors:
                break
        assert errors and any("prepared statement" in str(e) for e in errors)
    finally:
        await h.stop()


def test_aiom_db_upgrade_through_pgbouncer(bouncer, db_url):
    b, name = bouncer
    env = clean_env(DATABASE_URL=b.url(name), AIOM_DB_PGBOUNCER="true")
    r = subprocess.run(AIOM + ["db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
