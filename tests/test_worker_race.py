"""Several aiom processes against one database: each reminder and digest goes out once; a process killed after
claiming leaves its work to the next one once the claim expires.

Real `aiom worker --once` subprocesses, each delivering to Slack (a fake Web API in this test's event loop that
counts every post) and printing what it sends to the local chat on its own stdout.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from storage.db import Database
from storage.tables import DigestRun, Outbox, ReviewRequest
from tests.conftest import TEST_POLICY
from tests.support import factories, portfolio
from tests.support.fake_slack import FakeSlack
from tests.support.proc import AIOM, ROOT, clean_env

UTC = timezone.utc
T = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # Monday: the weekly digest (08:00) is on time, people at work
CLAIM_SECONDS = 2


def policy_file(tmp_path: Path) -> Path:
    data = yaml.safe_load(TEST_POLICY.read_text())
    data["reminders"] = {"claim_seconds": CLAIM_SECONDS, "working_hours": {"start_hour": 8}}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


async def seed(db_url: str, reviews: int) -> list[int]:
    """`reviews` overdue security reviews (due last Thursday) and the digest's portfolio; returns review ids."""
    db = Database(db_url)
    try:
        async with db.write() as s:
            from vocabulary.policy import load_policy

            await portfolio.seed(s, load_policy(TEST_POLICY))
            await factories.person(s, "sam.security@example.com", "Sam", tz="UTC")
            ids = []
            for i in range(reviews):
                uc = await factories.use_case(s, title=f"Race case {i}", now=T - timedelta(days=10))
                rr = await portfolio.review(s, uc, "security", datetime(2026, 11, 26, 9, tzinfo=UTC),
                                            frm="exploration", to="pilot")
                ids.append(rr.id)
        async with db.write() as s:  # the seeded previous digest was on the console only: not a channel here
            await s.execute(DigestRun.__table__.delete())
        return ids
    finally:
        await db.dispose()


def worker(db_url: str, policy: Path, slack_url: str, now: datetime, *extra: str) -> subprocess.Popen:
    env = clean_env(DATABASE_URL=db_url, AIOM_POLICY=str(policy), SLACK_BOT_TOKEN="xoxb-test",
                    SLACK_SIGNING_SECRET="s" * 32, SLACK_API_URL=slack_url)
    return subprocess.Popen([*AIOM, "worker", "--once", "--console", "--now", now.isoformat(), *extra], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def finish(p: subprocess.Popen) -> tuple[str, str]:
    out, err = await asyncio.to_thread(p.communicate, timeout=240)
    assert p.returncode == 0, err[-3000:]
    return out, err


def posts(fake: FakeSlack, channel: str, needle: str) -> list:
    return [c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == channel
            and needle in fake.seen_text([c])]


@pytest.mark.postgres_only
async def test_three_workers_racing_send_each_reminder_and_the_digest_once(db_url, tmp_path):
    ids = await seed(db_url, reviews=30)
    fake = await FakeSlack().start()
    for uid, email in (("USAM", "sam.security@example.com"), ("UANNA", "anna.owner@example.com"),
                       ("UBOB", "bob.delivery@example.com")):
        fake.add_user(uid, email, tz="UTC")
    try:
        procs = [worker(db_url, policy_file(tmp_path), fake.base_url, T) for _ in range(3)]
        outputs = [await finish(p) for p in procs]
    finally:
        await fake.stop()
    # Slack: one post per review in the security channel, one DM to Sam per review, one digest in leadership's.
    for rid in ids:
        assert len(posts(fake, "CSECURITY", f"review #{rid}")) == 1, rid
        assert len(posts(fake, "DSAM", f"review #{rid}")) == 1, rid
    assert len(posts(fake, "CLEADERSHIP", "Weekly portfolio digest")) == 1
    # The local chat's copies, printed by whichever process sent them: once in all three outputs together.
    printed = "".join(out for out, _ in outputs)
    for rid in ids:
        assert printed.count(f"review #{rid}\n") == 1, rid  # the "#security" copy (Sam's DM went to Slack)
    assert printed.count("== Weekly portfolio digest") == 1
    db = Database(db_url)
    try:
        async with db.read() as s:
            rows = (await s.execute(select(Outbox))).scalars().all()
            runs = (await s.execute(select(DigestRun))).scalars().all()
            counts = (await s.execute(select(ReviewRequest.reminder_count).where(ReviewRequest.id.in_(ids)))).all()
    finally:
        await db.dispose()
    assert rows and [(r.dedupe_key, r.status, r.attempts, r.error) for r in rows
                     if (r.status, r.attempts) != ("sent", 1)] == []
    assert len({r.dedupe_key for r in rows}) == len(rows)
    assert sorted((r.platform, r.channel, r.status) for r in runs) == [("console", "#leadership", "queued"),
                                                                      ("slack", "CLEADERSHIP", "queued")]
    assert {c for (c,) in counts} == {1}


class BlackHole:
    """A server that accepts requests and never answers: a send that is stuck in the air."""

    def __init__(self):
        self.connections = 0

    async def start(self) -> "BlackHole":
        async def on_conn(reader, writer):
            self.connections += 1
            try:
                await reader.read()  # until the client goes away
            finally:
                writer.close()

        self.server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/api/"
        return self

    async def stop(self) -> None:
        self.server.close()


async def test_a_worker_killed_after_claiming_lets_the_next_one_deliver_once_its_claim_expires(db_url, tmp_path):
    await seed(db_url, reviews=1)
    policy = policy_file(tmp_path)
    hole = await BlackHole().start()
    fake = await FakeSlack().start()
    db = Database(db_url)
    try:
        first = worker(db_url, policy, hole.url, T)
        claimed = None
        for _ in range(600):  # until the first worker holds a claim on an outbox row and is sending it
            async with db.read() as s:
                claimed = (await s.execute(select(Outbox).where(Outbox.status == "sending",
                                                                Outbox.platform == "slack"))).scalars().first()
            if claimed is not None:
                break
            assert first.poll() is None, first.communicate()[1][-3000:]
            await asyncio.sleep(0.1)
        assert claimed is not None and claimed.claimed_by.endswith(f":{first.pid}")
        os.kill(first.pid, signal.SIGKILL)
        await asyncio.to_thread(first.wait)

        # Within the claim nobody else takes it; after it expires the next worker delivers it.
        early = worker(db_url, policy, fake.base_url, T + timedelta(seconds=CLAIM_SECONDS - 1))
        await finish(early)
        what = claimed.message["fallback"]
        assert posts(fake, claimed.target, what) == []
        late = worker(db_url, policy, fake.base_url, T + timedelta(seconds=CLAIM_SECONDS + 1))
        await finish(late)
        await finish(worker(db_url, policy, fake.base_url, T + timedelta(minutes=5)))
        assert len(posts(fake, claimed.target, what)) == 1
        async with db.read() as s:
            row = await s.get(Outbox, claimed.id)
        assert (row.status, row.attempts) == ("sent", 2) and not row.claimed_by.endswith(f":{first.pid}")
    finally:
        await db.dispose()
        await fake.stop()
        await hole.stop()
