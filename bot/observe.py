"""Measuring what the app does, without touching the flows or the adapters: the engine and each platform's
deliverer are wrapped once at start-up; outbox and scheduler figures are read when /metrics is scraped."""
from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import uuid

from bot.metrics import Metrics
from notifications.delivery import DeliveryError
from vocabulary.states import OutboxStatus

log = logging.getLogger(__name__)

turn_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("aiom_turn_id", default=None)
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("aiom_request_id", default=None)


class MeteredDeliverer:
    """Counts each platform call (post, update, dm) by result, and 429s apart; passes everything else on."""

    def __init__(self, inner, metrics: Metrics):
        self._inner = inner
        self._metrics = metrics
        self.platform = inner.platform

    def __getattr__(self, name):
        return getattr(self._inner, name)

    async def _call(self, method: str, *args, **kw):
        from bot.tracing import span

        with span(f"deliver {self.platform}.{method}", platform=self.platform, method=method):
            try:
                result = await getattr(self._inner, method)(*args, **kw)
            except DeliveryError as e:
                limited = e.retry_after is not None or "429" in str(e) or "rate" in str(e).lower()
                if limited:
                    self._metrics.rate_limited.labels(self.platform, method).inc()
                self._metrics.deliveries.labels(self.platform, method,
                                                "rate_limited" if limited else "retry" if e.retry else "failed").inc()
                raise
            except Exception:
                self._metrics.deliveries.labels(self.platform, method, "error").inc()
                raise
        self._metrics.deliveries.labels(self.platform, method, "ok").inc()
        return result

    async def post(self, *args, **kw):
        return await self._call("post", *args, **kw)

    async def update(self, *args, **kw):
        return await self._call("update", *args, **kw)

    async def dm(self, *args, **kw):
        return await self._call("dm", *args, **kw)


def meter_deliverers(app, metrics: Metrics) -> None:
    """Wrap every deliverer the app has (after the platforms attached theirs, before start)."""
    for name, d in list(app.deliverers.items()):
        if not isinstance(d, MeteredDeliverer):
            app.deliverers[name] = MeteredDeliverer(d, metrics)


def meter_engine(app, metrics: Metrics) -> None:
    """Time every turn by platform and kind; a turn gets an id for the log lines it writes."""
    engine = app.engine
    if engine is None or getattr(engine, "_aiom_metered", False):
        return
    handle = engine.handle
    tasks: set[asyncio.Task] = set()
    engine._aiom_turn_tasks = tasks

    async def metered(inbound, *args, **kw):
        from bot.tracing import span

        task = asyncio.current_task()
        if task is not None and task not in tasks:  # the whole turn: the engine, then the replies it sends
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        platform, kind = inbound.where.platform, inbound.kind
        token = turn_id.set(inbound.event_id or uuid.uuid4().hex[:16])
        start = time.perf_counter()
        try:
            with span("turn", platform=platform, kind=kind):
                outcome = await handle(inbound, *args, **kw)
        except Exception:
            metrics.turns.labels(platform, kind, "failed").inc()
            raise
        finally:
            metrics.turn_seconds.labels(platform, kind).observe(time.perf_counter() - start)
            turn_id.reset(token)
        if outcome.duplicate:
            metrics.turns.labels(platform, kind, "duplicate").inc()
            if platform != "teams":  # the Teams adapter counts its own duplicates
                metrics.duplicates.labels(platform).inc()
        else:
            metrics.turns.labels(platform, kind, "ok").inc()
        return outcome

    engine.handle = metered
    engine._aiom_metered = True


async def finish_turns(app, timeout: float) -> tuple[int, int]:
    """Wait up to `timeout` seconds for turns under way (their replies included); returns (finished, cut)."""
    tasks = {t for t in getattr(app.engine, "_aiom_turn_tasks", ()) if not t.done()}
    tasks.discard(asyncio.current_task())
    if not tasks:
        return 0, 0
    done, pending = await asyncio.wait(tasks, timeout=max(0.0, timeout))
    return len(done), len(pending)


async def refresh(app, metrics: Metrics) -> None:
    """Read the outbox and the scheduler into the gauges (called by GET /metrics)."""
    from storage.repo import outbox_stats

    sched = getattr(app, "scheduler", None)
    if sched is not None:
        for job, lag in dict(getattr(sched, "lag", {})).items():
            metrics.job_lag.labels(job).set(lag)
        for job, at in dict(getattr(sched, "last_success", {})).items():
            metrics.job_last_success.labels(job).set(at)
        for job, n in dict(getattr(sched, "failures", {})).items():
            metrics.job_failures.labels(job).set(n)
        for sweep, n in dict(getattr(sched, "queued", {})).items():
            metrics.sweep_queued.labels(sweep).set(n)
    now = app.clock()
    with_sent = time.monotonic() - metrics.sent_read_at >= metrics.sent_every
    try:
        async with app.db.read() as s:
            st = await outbox_stats.stats(s, now, with_sent=with_sent)
    except Exception as e:  # the database is down: say so, keep the last figures
        log.warning("metrics: cannot read the outbox (%s)", type(e).__name__)
        metrics.database_up.set(0)
        return
    metrics.database_up.set(1)
    metrics.outbox_rows.clear()
    for (platform, status), n in st.rows.items():
        metrics.outbox_rows.labels(platform, status).set(n)
    for platform in {p for p, _ in st.rows} | set(app.deliverers):
        for status in (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED):
            metrics.outbox_rows.labels(platform, status).inc(0)
    if with_sent:
        metrics.sent_read_at = time.monotonic()
        metrics.outbox_sent.clear()
        for (platform, purpose), n in st.sent.items():
            metrics.outbox_sent.labels(platform, purpose).set(n)
    metrics.outbox_oldest.clear()
    for platform in {p for p, _ in st.rows} | set(app.deliverers) | set(st.oldest_due):
        oldest = st.oldest_due.get(platform)
        metrics.outbox_oldest.labels(platform).set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
