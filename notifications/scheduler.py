"""The scheduler: runs the timed sweeps and the digests on the policy's cron schedules.

APScheduler 3 (AsyncIOScheduler) only decides *when* to look; the database decides *what* is due and what was
already sent. Every job reads due rows and stamps them (or claims a digest run) in the database, so:

- several aiom processes (`aiom serve` replicas, `aiom worker`s) may run the same jobs against one database
  and each reminder or digest still goes out once;
- a run that APScheduler missed (the process was down, asleep, or busy) loses nothing: the next run finds the
  same rows still due. That is why the jobs use `coalesce=True` (after a stall, several due runs collapse into
  one: running the same sweep three times in a row would only find nothing the second and third time) and a
  modest `misfire_grace_time` (a run up to ten minutes late still happens; later than that it is dropped, and
  the next regular sweep, at most one sweep interval later, catches up from the database, including a missed
  digest, which it sends marked late). `max_instances=1` keeps a slow sweep from overlapping itself.
- on start the scheduler runs one catch-up tick at once, so a restart after downtime does not wait for the
  next cron slot.

Jobs live in APScheduler's memory store and are rebuilt from the policy at every start; nothing about the
schedule is persisted except in the rows the sweeps stamp.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from notifications import sweeps
from notifications.digest import runs as digests
from notifications.services import Services

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 600, "max_instances": 1}


class Scheduler:
    def __init__(self, services: Services, *, drain: bool = False):
        """`drain`: deliver the outbox right after each tick (for processes without a background dispatcher,
        such as the local chat)."""
        self.services = services
        self.drain = drain
        self._aps: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        self._startup: asyncio.Task | None = None
        # What an operator's metrics read: per job id, how late its last run started (seconds), when it last
        # succeeded (Unix time) and how many runs failed; `queued` adds up what the sweeps and digests queued.
        self.lag: dict[str, float] = {}
        self.last_success: dict[str, float] = {}
        self.failures: dict[str, int] = {}
        self.queued: dict[str, int] = {}

    # -- what the jobs do ---------------------------------------------------------------------
    async def tick(self, now: datetime | None = None) -> dict[str, int]:
        """One pass: every sweep, then every digest that is due (on time, or late after downtime)."""
        async with self._lock:
            now = now or self.services.clock()
            out = await sweeps.run_all(self.services, now)
            out["digests"] = await digests.run_due(self.services, now)
            for k, v in out.items():
                if v > 0:
                    self.queued[k] = self.queued.get(k, 0) + v
            await self._deliver()
            if any(v for v in out.values()):
                log.info("scheduler tick at %s: %s", now.isoformat(timespec="seconds"), out)
            return out

    async def digest(self, key: str, now: datetime | None = None) -> int:
        """A digest's own cron slot: send it now rather than at the next sweep."""
        async with self._lock:
            n = await digests.run_due(self.services, now or self.services.clock(), only=key)
            if n > 0:
                self.queued["digests"] = self.queued.get("digests", 0) + n
            await self._deliver()
            return n

    async def _deliver(self) -> None:
        dispatcher = self.services.dispatcher
        if self.drain and dispatcher is not None:
            await dispatcher.drain()

    async def _job_tick(self) -> None:
        try:
            await self.tick()
            self.last_success["sweep"] = time.time()
        except Exception:
            self.failures["sweep"] = self.failures.get("sweep", 0) + 1
            log.exception("scheduled sweep failed; the next one retries from the database")

    async def _job_digest(self, key: str) -> None:
        try:
            await self.digest(key)
            self.last_success[f"digest:{key}"] = time.time()
        except Exception:
            self.failures[f"digest:{key}"] = self.failures.get(f"digest:{key}", 0) + 1
            log.exception("digest %s failed; the next sweep retries it from the database", key)

    async def _job_group_sync(self) -> None:
        from notifications import group_sync

        try:
            await group_sync.sweep(self.services)
        except Exception:
            log.exception("review group sync failed; the next one retries")

    def _submitted(self, event) -> None:
        """APScheduler hands a due run to the loop: remember how late it is against its slot."""
        times = getattr(event, "scheduled_run_times", None) or []
        if times:
            self.lag[event.job_id] = max(0.0, (datetime.now(timezone.utc) - times[-1]).total_seconds())

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self, *, catch_up: bool = True) -> None:
        policy = self.services.policy
        aps = AsyncIOScheduler(timezone=timezone.utc, job_defaults=dict(JOB_DEFAULTS))
        rem = policy.reminders
        aps.add_job(self._job_tick, CronTrigger.from_crontab(rem.sweep_cron, timezone=rem.timezone),
                    id="sweep", name="reminder sweeps and digest catch-up", replace_existing=True)
        for d in policy.digests:
            if not d.channels:
                continue
            aps.add_job(self._job_digest, CronTrigger.from_crontab(d.cron, timezone=d.timezone), args=[d.key],
                        id=f"digest:{d.key}", name=d.name, replace_existing=True)
        if self.services.group_sources:  # review groups that follow a Slack user group or a Teams team
            from apscheduler.triggers.interval import IntervalTrigger

            from notifications import group_sync

            aps.add_job(self._job_group_sync, IntervalTrigger(minutes=group_sync.EVERY_MINUTES), id="group-sync",
                        name="review groups: re-read bound user groups and teams", replace_existing=True)

        from apscheduler.events import EVENT_JOB_SUBMITTED

        aps.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        aps.start()
        self._aps = aps
        if catch_up:
            self._startup = asyncio.create_task(self._job_tick(), name="scheduler-catch-up")
        for job in aps.get_jobs():
            log.info("scheduled %s: next at %s", job.name, job.next_run_time)

    def next_runs(self) -> list[tuple[str, datetime | None]]:
        return [(j.id, j.next_run_time) for j in self._aps.get_jobs()] if self._aps else []

    async def stop(self) -> None:
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        self._aps = None
        if self._startup is not None and not self._startup.done():
            self._startup.cancel()
            try:
                await self._startup
            except (asyncio.CancelledError, Exception):
                pass
        async with self._lock:  # let a running tick finish before the database closes
            pass
