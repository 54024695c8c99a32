"""Working hours in the recipient's own timezone: when a personal reminder may arrive.

A reminder found due at night or on a weekend is still written to the outbox at once (so it is recorded
exactly once), with `not_before` set to the next instant the recipient is at work; the dispatcher holds it
until then. Times are computed in the recipient's zone with zoneinfo, so "9:00" stays 9:00 local across a
daylight-saving change.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vocabulary.policy.models import WorkingHours


def zone(name: str | None, hours: WorkingHours) -> ZoneInfo:
    """The person's zone (from Slack or Teams), else the policy's default; an unknown name falls back too."""
    for candidate in (name, hours.default_timezone, "UTC"):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def _local(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """`hour`:00 on `day` in `tz` as an aware UTC instant (24 means midnight at the end of the day).

    A wall time that does not exist (inside a spring-forward gap) lands just after the gap (PEP 495, fold=0
    reads it with the offset in force before the change).
    """
    if hour >= 24:
        return _local(day + timedelta(days=1), 0, tz)
    return datetime.combine(day, time(hour), tz).astimezone(timezone.utc)


def is_working(now: datetime, tz: ZoneInfo, hours: WorkingHours) -> bool:
    local = now.astimezone(tz)
    if local.weekday() not in hours.days:
        return False
    return _local(local.date(), hours.start_hour, tz) <= now < _local(local.date(), hours.end_hour, tz)


def next_allowed(now: datetime, tz_name: str | None, hours: WorkingHours) -> datetime:
    """`now` when the recipient is within working hours (or the policy allows any hour); otherwise the start of
    their next working day, as an aware UTC datetime."""
    if hours.allow_outside or not hours.days:
        return now
    tz = zone(tz_name, hours)
    if is_working(now, tz, hours):
        return now
    today = now.astimezone(tz).date()
    for i in range(0, 8):
        day = today + timedelta(days=i)
        if day.weekday() not in hours.days:
            continue
        start = _local(day, hours.start_hour, tz)
        if start > now:
            return start
    return now  # unreachable with at least one working day


def local_today(now: datetime, hours: WorkingHours) -> date:
    """Today's date where the organisation works (the policy's default zone): due dates are dates there."""
    return now.astimezone(zone(None, hours)).date()


def describe(when: datetime, tz_name: str | None, hours: WorkingHours) -> str:
    """A short local time for messages, e.g. "Tue 24 Nov, 09:00 EST"."""
    return when.astimezone(zone(tz_name, hours)).strftime("%a %d %b, %H:%M %Z")
