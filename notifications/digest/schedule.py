"""Digest slots from the policy's cron expressions: the last slot at or before now, the one before, the next.

APScheduler's CronTrigger only looks forward, so the last slot is found by looking back over a window that
doubles until it holds a fire time, then stepping forward to the last one not after `now`.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

from apscheduler.triggers.cron import CronTrigger

from vocabulary.policy import DigestSchedule

MAX_LOOKBACK = timedelta(days=800)
TICK = timedelta(microseconds=1)


@lru_cache(maxsize=64)
def trigger(cron: str, tz: str) -> CronTrigger:
    return CronTrigger.from_crontab(cron, timezone=tz)


def _trigger(s: DigestSchedule) -> CronTrigger:
    return trigger(s.cron, s.timezone)


def next_fire(s: DigestSchedule, after: datetime) -> datetime | None:
    """The first slot strictly after `after` (UTC)."""
    t = _trigger(s).get_next_fire_time(None, after + TICK)
    return t.astimezone(timezone.utc) if t else None


def last_fire(s: DigestSchedule, now: datetime) -> datetime | None:
    """The latest slot at or before `now` (UTC), or None if there was none in the last two years."""
    trig = _trigger(s)
    window = timedelta(hours=1)
    first = None
    while window <= MAX_LOOKBACK:
        t = trig.get_next_fire_time(None, now - window)
        if t is not None and t <= now:
            first = t
            break
        window *= 2
    if first is None:
        return None
    while True:
        nxt = trig.get_next_fire_time(first, first + TICK)
        if nxt is None or nxt > now:
            return first.astimezone(timezone.utc)
        first = nxt


def previous_fire(s: DigestSchedule, slot: datetime) -> datetime | None:
    return last_fire(s, slot - TICK)


def period_id(slot: datetime) -> str:
    """The digest_run period for a slot, e.g. "2026-11-23T08:00Z" (sorts in time order)."""
    return slot.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def parse_period(period: str) -> datetime:
    return datetime.strptime(period, "%Y-%m-%dT%H:%MZ").replace(tzinfo=timezone.utc)
