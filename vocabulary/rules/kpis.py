"""KPI rules: plain functions over numbers and datetimes, shared by chat, sweeps, status, digest and export.

Definitions (the README's "Live operation" section repeats them):

- *At target*: higher-is-better KPIs are at target when value >= target; lower-is-better when value <= target.
- *Gap*: how far a value falls short of the target in the KPI's direction (0 when at or beyond it).
- *Trend*: the last step of the series ``[baseline, value1, value2, ...]``: "improving" when the latest value
  is better than the one before it (in the KPI's direction), "worsening" when worse, "steady" when equal,
  "no values" before the first report.
- *Movement*: which way the latest value went from the one before it (the baseline before the second report):
  "up", "down" or "flat"; the status view's arrow shows it, whatever the direction (a lower-is-better KPI
  that went down shows "↓ improving").
- *Moving away from target*: the latest value is not at target AND either
  (a) the last two steps of ``[baseline, *values]`` were both strictly worse (two consecutive values moving
  the wrong way; the first value is compared with the baseline), or
  (b) the latest value is further from the target than the baseline was (gap(latest) > gap(baseline)).
- *Not reported*: at least ``limit`` whole cadences have passed since the last value (or since the KPI was
  defined, when it has none): ``floor((now - last_reported) / cadence_days) >= limit``.
- *Schedule*: due dates are stamped on the KPI (``next_due_at``) and move in whole cadences from the first
  one (``created_at + cadence``), so a monthly KPI stays on the same day of the cycle however late the
  answers come.
- *Time to value*: whole days from the use case's creation to the first KPI value at target.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import floor
from typing import Sequence

from vocabulary.states import KpiFlag

HIGHER = "higher"
LOWER = "lower"
DIRECTIONS = (HIGHER, LOWER)

IMPROVING, WORSENING, STEADY, NO_VALUES = "improving", "worsening", "steady", "no values"
MOVING_AWAY, NOT_REPORTED = KpiFlag.MOVING_AWAY, KpiFlag.NOT_REPORTED  # kpi.flag_reason


def _check(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}")


def at_target(value: float, target: float, direction: str) -> bool:
    _check(direction)
    return value >= target if direction == HIGHER else value <= target


def gap(value: float, target: float, direction: str) -> float:
    """How far `value` falls short of `target` (0 when at or beyond it)."""
    _check(direction)
    return max(0.0, target - value) if direction == HIGHER else max(0.0, value - target)


def worse(before: float, after: float, direction: str) -> bool:
    """True when `after` is strictly worse than `before`."""
    _check(direction)
    return after < before if direction == HIGHER else after > before


def trend(baseline: float, values: Sequence[float], direction: str) -> str:
    if not values:
        return NO_VALUES
    before = values[-2] if len(values) >= 2 else baseline
    latest = values[-1]
    if latest == before:
        return STEADY
    return WORSENING if worse(before, latest, direction) else IMPROVING


UP, DOWN, FLAT = "up", "down", "flat"


def movement(baseline: float, values: Sequence[float]) -> str | None:
    """Which way the last step of ``[baseline, *values]`` went: up, down or flat (None before any value)."""
    if not values:
        return None
    before = values[-2] if len(values) >= 2 else baseline
    latest = values[-1]
    return FLAT if latest == before else (UP if latest > before else DOWN)


def moving_away(baseline: float, target: float, direction: str, values: Sequence[float]) -> bool:
    if not values:
        return False
    latest = values[-1]
    if at_target(latest, target, direction):
        return False
    points = [baseline, *values]
    two_wrong = len(points) >= 3 and worse(points[-3], points[-2], direction) \
        and worse(points[-2], points[-1], direction)
    further = gap(latest, target, direction) > gap(baseline, target, direction)
    return two_wrong or further


def missed_cadences(last_reported: datetime, cadence_days: int, now: datetime) -> int:
    if now <= last_reported:
        return 0
    return floor((now - last_reported) / timedelta(days=cadence_days))


def not_reported(last_reported: datetime, cadence_days: int, now: datetime, limit: int) -> bool:
    return missed_cadences(last_reported, cadence_days, now) >= limit


def first_due(created_at: datetime, cadence_days: int) -> datetime:
    return created_at + timedelta(days=cadence_days)


def next_slot_after(due: datetime, cadence_days: int, now: datetime) -> datetime:
    """The first due date of the KPI's schedule (due + k cadences, k >= 0) strictly after `now`."""
    step = timedelta(days=cadence_days)
    if due > now:
        return due
    k = floor((now - due) / step) + 1
    return due + k * step


def current_slot(due: datetime, cadence_days: int, now: datetime) -> datetime:
    """The latest due date of the schedule at or before `now` (the period a prompt now asks about)."""
    step = timedelta(days=cadence_days)
    if due > now:
        return due
    return due + floor((now - due) / step) * step


def time_to_value_days(created_at: datetime, value_reached_at: datetime | None) -> int | None:
    if value_reached_at is None:
        return None
    return max(0, (value_reached_at - created_at).days)


@dataclass(frozen=True)
class Standing:
    """Where a KPI stands: what the status view, the digest and the export show."""

    at_target: bool | None  # None before the first value
    trend: str
    moving_away: bool
    latest: float | None
    movement: str | None = None  # up | down | flat (None before the first value)


def standing(baseline: float, target: float, direction: str, values: Sequence[float]) -> Standing:
    latest = values[-1] if values else None
    return Standing(at_target=None if latest is None else at_target(latest, target, direction),
                    trend=trend(baseline, values, direction),
                    moving_away=moving_away(baseline, target, direction, values), latest=latest,
                    movement=movement(baseline, values))


def fmt_number(v: float | None, unit: str = "") -> str:
    if v is None:
        return "none yet"
    text = f"{v:,.0f}" if float(v).is_integer() and abs(v) >= 1000 else f"{v:g}"
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "‰") else f"{text} {unit}"
