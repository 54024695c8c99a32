"""The registry of timed sweeps the scheduler runs on `reminders.sweep_cron`.

Each entry is (name, sweep) where `sweep(services, now) -> int` (the number of things it reminded, nudged,
escalated or asked) reads what is due from the database, stamps it and writes the outbox in the same
transaction, so it is safe to run from several processes at once and after any gap. `services` is what the
running application gives notifications (notifications/services.py: db, policy, platforms, dispatcher).
`aiom serve`, `aiom worker` and the local chat all run them through notifications/scheduler.py. To add a
sweep, append it to `SWEEPS` (or call `register`). The batched reminder kinds share one loop:
notifications/reminders/loop.py.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Awaitable, Callable

from notifications import housekeeping, incident_escalation, kpi_prompts, similar_vectors
from notifications.reminders import conditions, intakes, limbo, returns, reviews, scorecards
from notifications.services import Services

log = logging.getLogger(__name__)

Sweep = Callable[[Services, datetime], Awaitable[int]]

SWEEPS: list[tuple[str, Sweep]] = [
    ("away_returns", returns.sweep),  # absences that ran out: held reminders go out (before new ones are held)
    ("review_reminders", reviews.sweep),
    ("condition_reminders", conditions.sweep),
    ("scorecard_nudges", scorecards.sweep),
    ("limbo_pilots", limbo.sweep),
    ("abandoned_intakes", intakes.sweep),
    ("kpi_prompts", kpi_prompts.sweep),  # KPI values due on their cadence; KPIs left unreported flagged
    ("incident_escalations", incident_escalation.sweep),  # severe incidents nobody acknowledged in time
    ("similar_vectors", similar_vectors.sweep),  # vectors missing for the similar-ideas check, a batch at a time
    ("housekeeping", housekeeping.sweep),  # processed inbound entries, expired forms, old button stashes
]


def register(name: str, sweep: Sweep) -> None:
    if all(n != name for n, _ in SWEEPS):
        SWEEPS.append((name, sweep))


async def run_all(services: Services, now: datetime) -> dict[str, int]:
    """Run every sweep once; one failing sweep is logged and does not stop the others."""
    out: dict[str, int] = {}
    for name, sweep in list(SWEEPS):
        try:
            out[name] = await sweep(services, now)
        except Exception:
            log.exception("sweep %s failed; the next run will pick up what it missed", name)
            out[name] = -1
    return out
