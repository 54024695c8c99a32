"""Prometheus metrics for `GET /metrics` (one registry per app, so tests and processes stay separate).

Counters and histograms count what this process did. The outbox gauges are read from the database at each
scrape, so every replica reports the same, whole-system backlog: alert on them from any one process.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, *, sent_every: float = 60.0) -> None:
        # The sent counts read every sent row: at most once a `sent_every` seconds (the rest on every scrape).
        self.sent_every = sent_every
        self.sent_read_at = float("-inf")
        r = self.registry = CollectorRegistry()
        ProcessCollector(registry=r)
        self.http_requests = Counter("aiom_http_requests", "HTTP requests handled", ["route", "status"], registry=r)
        self.http_latency = Histogram("aiom_http_request_seconds", "Time to answer an HTTP request", ["route"],
                                      buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5), registry=r)
        self.inbound = Counter("aiom_inbound_events", "Chat events handled", ["platform", "kind"], registry=r)
        self.duplicates = Counter("aiom_inbound_duplicates", "Platform retries recognised and ignored",
                                  ["platform"], registry=r)
        self.database_up = Gauge("aiom_database_up", "1 when the last health check reached the database",
                                 registry=r)
        # turns (every platform, measured around the engine)
        self.turn_seconds = Histogram("aiom_turn_seconds", "Time the engine took for one turn",
                                      ["platform", "kind"], registry=r,
                                      buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.turns = Counter("aiom_turns", "Turns by outcome (ok, duplicate, failed)", ["platform", "kind", "outcome"],
                             registry=r)
        # delivery (this process's sends through each platform)
        self.deliveries = Counter("aiom_deliveries", "Platform calls made to deliver messages, by result",
                                  ["platform", "method", "result"], registry=r)
        self.rate_limited = Counter("aiom_delivery_rate_limited", "Platform answers saying 429 / slow down",
                                    ["platform", "method"], registry=r)
        # outbox (whole system, read from the database at scrape time)
        self.outbox_rows = Gauge("aiom_outbox_messages", "Outbox rows by platform and status (pending, sending, "
                                 "failed: gave up)", ["platform", "status"], registry=r)
        self.outbox_oldest = Gauge("aiom_outbox_oldest_pending_seconds", "Age of the oldest message due and not "
                                   "yet sent (0 when none)", ["platform"], registry=r)
        self.outbox_sent = Gauge("aiom_outbox_sent_messages", "Messages sent so far, by platform and purpose "
                                 "(reminder, digest, notice, ...)", ["platform", "purpose"], registry=r)
        # scheduler (this process's jobs)
        self.job_lag = Gauge("aiom_scheduler_job_lag_seconds", "How late the job's last run started",
                             ["job"], registry=r)
        self.job_last_success = Gauge("aiom_scheduler_job_last_success_timestamp_seconds",
                                      "When the job last finished without error (Unix time)", ["job"], registry=r)
        self.job_failures = Gauge("aiom_scheduler_job_failures", "Scheduled runs that failed since this "
                                  "process started", ["job"], registry=r)
        self.sweep_queued = Gauge("aiom_scheduler_queued", "What this process's sweeps queued since it started, "
                                  "by sweep (review_reminders, digests, ...)", ["sweep"], registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)


METRICS_KEY = web.AppKey("metrics", Metrics)  # the server's Metrics, on its aiohttp application
