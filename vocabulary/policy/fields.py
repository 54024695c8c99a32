"""Field types of the policy: the risk tiers, and those that need more than a type check (cron expressions,
time zones)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field


Tier = Literal["low", "medium", "high"]
TIERS: tuple[str, ...] = ("low", "medium", "high")


def cron_problem(expr: str) -> str | None:
    """Why `expr` is not a usable five-field cron expression, or None."""
    if len(expr.split()) != 5:
        return f"{expr!r} is not a cron expression of five fields (minute hour day month weekday)"
    try:
        from apscheduler.triggers.cron import CronTrigger
    except ImportError:  # pragma: no cover - the scheduler is a dependency
        return None
    try:
        CronTrigger.from_crontab(expr, timezone="UTC")
    except Exception as exc:  # apscheduler raises ValueError and friends
        return f"invalid cron expression {expr!r}: {exc}"
    return None


def timezone_problem(name: str) -> str | None:
    """Why `name` is not a known IANA time zone, or None (also when no zone
    database is installed, so nothing can be checked)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
        return None
    except (ZoneInfoNotFoundError, ValueError):
        try:
            ZoneInfo("UTC")
        except ZoneInfoNotFoundError:  # pragma: no cover
            return None
        return f"unknown time zone {name!r}"


def _checked(check):
    def validate(value: str) -> str:
        if (problem := check(value)) is not None:
            raise ValueError(problem)
        return value
    return AfterValidator(validate)


CronExpr = Annotated[str, _checked(cron_problem)]
TimeZone = Annotated[str, _checked(timezone_problem)]
Positive = Annotated[int, Field(ge=1)]

