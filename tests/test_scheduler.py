"""The scheduler and the commands around it: jobs from the policy, one tick doing every sweep and due digest,
the catch-up at start, `aiom worker --once`, `aiom digest --preview`, and a failing sweep not stopping others."""
from __future__ import annotations

import asyncio
import subprocess
from datetime import datetime, timezone

from sqlalchemy import func, select

from bot.app import App
from bot.config import load_settings
from notifications import sweeps
from notifications.scheduler import Scheduler
from storage.tables import DigestRun, Outbox
from tests.conftest import TEST_POLICY
from tests.support import factories, portfolio
from tests.support.harness import RecordingDeliverer
from tests.support.proc import AIOM, ROOT, clean_env

UTC = timezone.utc


async def test_jobs_come_from_the_policy_with_coalescing_and_a_grace_time(harness):
    sched = Scheduler(harness.app.notifications)
    sched.start(catch_up=False)
    try:
        jobs = {j.id: j for j in sched._aps.get_jobs()}
        assert set(jobs) == {"sweep", "digest:weekly"}  # monthly and quarterly have no channels in this policy
        for job in jobs.values():
            assert (job.coalesce, job.misfire_grace_time, job.max_instances) == (True, 600, 1)
        assert str(jobs["sweep"].trigger) == "cron[month='*', day='*', day_of_week='*', hour='*', minute='*/15']"
        nxt = jobs["digest:weekly"].next_run_time
        assert (nxt.weekday(), nxt.hour, nxt.minute) == (0, 8, 0) and nxt.utcoffset().total_seconds() == 0
    finally:
        await sched.stop()


async def test_a_digest_in_a_non_utc_zone_fires_at_eight_local_time_across_the_clock_change(db_url, policy, clock):
    from zoneinfo import ZoneInfo

    from tests.support.harness import Harness

    data = policy.model_dump()
    for d in data["digests"]:
        if d["key"] == "weekly":
            d["timezone"] = "America/New_York"
    h = await Harness.start(db_url, policy=type(policy).model_validate(data), clock=clock)
    sched = Scheduler(h.app.notifications)
    sched.start(catch_up=False)
    try:
        job = sched._aps.get_job("digest:weekly")
        ny = ZoneInfo("America/New_York")
        nxt = job.next_run_time.astimezone(ny)
        assert (nxt.weekday(), nxt.hour, nxt.minute) == (0, 8, 0)
        # Monday 08:00 in New York is 13:00 UTC in winter (EST) and 12:00 UTC in summer (EDT).
        winter = job.trigger.get_next_fire_time(None, datetime(2026, 11, 29, 12, tzinfo=UTC))
        assert winter.astimezone(UTC) == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
        spring = job.trigger.get_next_fire_time(None, datetime(2027, 3, 13, 12, tzinfo=UTC))  # DST starts 14 Mar
        assert spring.astimezone(UTC) == datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
        assert spring.astimezone(ny).hour == 8
    finally:
        await sched.stop()
        await h.stop()


async def test_one_tick_runs_every_sweep_and_the_due_digest_then_finds_nothing_more(harness, clock):
    async with harness.app.db.write() as s:
        await portfolio.seed(s, harness.app.policy)
    clock.set(portfolio.NOW)
    sched = Scheduler(harness.app.notifications, drain=True)
    first = await sched.tick()
    assert first["digests"] == 1 and first["review_reminders"] == 1 and first["condition_reminders"] == 1
    assert first["limbo_pilots"] == 1
    assert any("Weekly portfolio digest" in m.fallback for c, m, _ in harness.out.posts if c == "#leadership")
    assert harness.out.posts_in("#security") == []  # 08:05: the channel reminder waits for working hours
    clock.set(portfolio.NOW.replace(hour=9, minute=0))
    await harness.app.dispatcher.drain()
    assert any("Security" in t and "still waits for a decision" in t for t in harness.out.posts_in("#security"))
    again = await sched.tick()
    assert set(again.values()) == {0}


async def test_a_failing_sweep_is_logged_and_the_others_still_run(harness, clock, caplog):
    async def broken(app, now):
        raise RuntimeError("database hiccup")

    sweeps.register("broken", broken)
    try:
        async with harness.app.db.write() as s:
            await portfolio.seed(s, harness.app.policy)
        clock.set(portfolio.NOW)
        result = await sweeps.run_all(harness.app.notifications, clock.now)
        assert result["broken"] == -1 and result["review_reminders"] == 1
        assert "sweep broken failed" in caplog.text
    finally:
        sweeps.SWEEPS[:] = [(n, f) for n, f in sweeps.SWEEPS if n != "broken"]


async def test_aiom_serve_starts_the_scheduler_and_catches_up_at_once(db_url, policy, clock):
    """After downtime, the first tick runs at start-up, not at the next cron slot."""
    settings = load_settings({"DATABASE_URL": db_url}, env_file=None)
    app = App.create(settings, policy=policy, clock=clock)
    out = RecordingDeliverer()
    app.add_deliverer(out)
    async with app.db.write() as s:
        await portfolio.seed(s, policy)
    clock.set(portfolio.NOW)
    await app.start(migrate=False)  # background: dispatcher and scheduler
    try:
        assert app.scheduler is not None
        await app.scheduler._startup
        for _ in range(50):  # the background dispatcher delivers; wait for it without a timing assertion
            if any(c == "#leadership" for c, _, _ in out.posts):
                break
            await asyncio.sleep(0.05)
        assert [c for c, _, _ in out.posts].count("#leadership") == 1
    finally:
        await app.stop()
    assert app.scheduler is None


async def test_the_local_chat_prints_reminders_and_digests_from_its_own_scheduler(db_url, policy, clock):
    from bot.console.deliverer import ConsoleDeliverer

    settings = load_settings({"DATABASE_URL": db_url}, env_file=None)
    app = App.create(settings, policy=policy, clock=clock)
    printed: list[str] = []
    app.add_deliverer(ConsoleDeliverer(printed.append))
    async with app.db.write() as s:
        await portfolio.seed(s, policy)
    clock.set(portfolio.NOW.replace(hour=9))  # on time for nothing late: Monday 09:05
    await app.start(migrate=False, background=False, scheduler=True)  # what `aiom chat` does
    try:
        await app.scheduler._startup  # the catch-up pass at start, which delivers as it goes
    finally:
        await app.stop()
    text = "\n".join(printed)
    assert "posted in #security" in text and "still waits for a decision" in text
    assert "message for bob.delivery@example.com" in text  # his overdue condition


def _run(args: list[str], db_url: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([*AIOM, *args], env=clean_env(DATABASE_URL=db_url, AIOM_POLICY=str(TEST_POLICY), **env),
                          cwd=ROOT, capture_output=True, text=True, timeout=180)


async def test_aiom_worker_once_sends_what_is_due_and_a_second_run_sends_nothing(db_url, policy):
    from storage.db import Database

    db = Database(db_url)
    try:
        async with db.write() as s:
            await portfolio.seed(s, policy)
            await factories.person(s, "sam.security@example.com", "Sam", tz="UTC")
    finally:
        await db.dispose()
    now = ["--now", "2026-11-30T10:00:00Z"]
    first = await asyncio.to_thread(_run, ["worker", "--once", "--console", *now], db_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("Weekly portfolio digest") >= 1 and "posted in #leadership" in first.stdout
    assert "posted in #security" in first.stdout and "message for sam.security@example.com" in first.stdout
    second = await asyncio.to_thread(_run, ["worker", "--once", "--console", *now], db_url)
    assert second.returncode == 0, second.stderr
    assert "posted in" not in second.stdout and "message for" not in second.stdout
    db = Database(db_url)
    try:
        async with db.read() as s:
            statuses = (await s.execute(select(Outbox.status, func.count()).group_by(Outbox.status))).all()
            runs = (await s.execute(select(func.count()).select_from(DigestRun))).scalar_one()
    finally:
        await db.dispose()
    assert dict(statuses) == {"sent": dict(statuses)["sent"]} and runs == 2  # the seeded one and this week's


async def test_aiom_worker_without_any_platform_says_what_to_set(db_url):
    done = await asyncio.to_thread(_run, ["worker", "--once"], db_url)
    assert done.returncode == 2 and "set the Slack or Teams settings" in done.stderr


async def test_aiom_digest_preview_prints_without_sending_or_recording(db_url, policy):
    from storage.db import Database

    db = Database(db_url)
    try:
        async with db.write() as s:
            await portfolio.seed(s, policy)
    finally:
        await db.dispose()
    now = ["--now", "2026-11-30T08:05:00Z"]
    done = await asyncio.to_thread(_run, ["digest", "--preview", "--channel", "CPRODUCT", *now], db_url)
    assert done.returncode == 0, done.stderr
    assert "Preview of the weekly digest for CPRODUCT (slack); nothing was sent or recorded." in done.stdout
    assert "Weekly portfolio digest · 30 Nov 2026" in done.stdout and "Secret HR screening" not in done.stdout
    lead = await asyncio.to_thread(_run, ["digest", "--preview", *now], db_url)
    assert "Secret HR screening" in lead.stdout
    db = Database(db_url)
    try:
        async with db.read() as s:
            assert (await s.execute(select(func.count()).select_from(Outbox))).scalar_one() == 0
            assert (await s.execute(select(func.count()).select_from(DigestRun))).scalar_one() == 1  # the seeded
    finally:
        await db.dispose()
    bad = await asyncio.to_thread(_run, ["digest", "--preview", "--digest", "daily"], db_url)
    assert bad.returncode == 2 and "There is no digest 'daily'" in bad.stderr


def test_the_worker_rehearsal_time_must_be_an_iso_time():
    from bot.commands.worker import parse_now

    assert parse_now("2026-11-30T08:05:00Z") == datetime(2026, 11, 30, 8, 5, tzinfo=UTC)
    assert parse_now("2026-11-30T09:05:00+01:00") == datetime(2026, 11, 30, 8, 5, tzinfo=UTC)


async def test_aiom_worker_runs_until_told_to_stop(db_url):
    import signal

    env = clean_env(DATABASE_URL=db_url, AIOM_POLICY=str(TEST_POLICY), AIOM_LOG_LEVEL="INFO")
    p = subprocess.Popen([*AIOM, "worker", "--console"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        for _ in range(600):  # until it says it is running
            line = await asyncio.to_thread(p.stderr.readline)
            if "aiom worker running" in line or not line:
                break
        assert "aiom worker running (console)" in line, line
        p.send_signal(signal.SIGTERM)
        _, err = await asyncio.to_thread(p.communicate, timeout=60)
        assert p.returncode == 0, err
    finally:
        if p.poll() is None:
            p.kill()
