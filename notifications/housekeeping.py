"""The housekeeping sweep: what aiom keeps only for a while is deleted once that while is over.

- inbound entries (the journal, storage/repo/events.py) finished more than `reminders.inbound_retention_days`
  ago, their reply sent: past that, a platform retry of them is long impossible;
- Slack forms waiting for their "Open the form" click (bot/slack/forms_store.py), a day after they were
  stored (they expire then; until now they were only refused when read);
- stashes of buttons too big for Slack (bot/slack/stash.py), `reminders.stash_retention_days` after they were
  written (a click on a message older than that is answered "please ask again").

Deleted in batches of `BATCH`, each in its own transaction. Counted in `aiom_housekeeping_deleted_total{what}`
(the sweep's own metric, `metrics`), and returned as the sweep's count.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter

from notifications.services import Services
from storage.repo import housekeeping

log = logging.getLogger(__name__)

BATCH = 500
MAX_BATCHES = 200  # per kind and sweep; the next sweep goes on where this one stopped
FORM_TTL = timedelta(days=1)


class HousekeepingMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.deleted = Counter("aiom_housekeeping_deleted", "Rows the housekeeping sweep deleted", ["what"],
                               registry=registry)


metrics: HousekeepingMetrics | None = None


def attach_metrics(registry: CollectorRegistry) -> HousekeepingMetrics:
    """Count into `registry` (the server's /metrics); called once by the server."""
    global metrics
    metrics = HousekeepingMetrics(registry)
    return metrics


async def _batches(services: Services, what: str, run) -> int:
    total = 0
    for _ in range(MAX_BATCHES):
        async with services.db.write() as s:
            n = await run(s)
        total += n
        if metrics is not None and n:
            metrics.deleted.labels(what).inc(n)
        if n < BATCH:
            break
    return total


async def sweep(services: Services, now: datetime) -> int:
    rem = services.policy.reminders
    inbound_before = now - timedelta(days=rem.inbound_retention_days)
    stash_before = now - timedelta(days=rem.stash_retention_days)
    counts = {
        "inbound": await _batches(services, "inbound", lambda s: housekeeping.prune_inbound(s, inbound_before, BATCH)),
        "forms": await _batches(services, "forms", lambda s: housekeeping.prune_refs(s, housekeeping.FORM_PURPOSE,
                                                                              now - FORM_TTL, BATCH)),
        "stashes": await _batches(services, "stashes", lambda s: housekeeping.prune_refs(s, housekeeping.STASH_PURPOSE,
                                                                                  stash_before, BATCH)),
    }
    if any(counts.values()):
        log.info("housekeeping deleted %s", ", ".join(f"{n} {k}" for k, n in counts.items() if n))
    return sum(counts.values())
