"""Prometheus metrics for `GET /metrics` (one registry per app, so tests and processes stay separate)."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.http_requests = Counter("aiom_http_requests", "HTTP requests handled", ["route", "status"],
                                     registry=self.registry)
        self.http_latency = Histogram("aiom_http_request_seconds", "Time to answer an HTTP request", ["route"],
                                      buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5), registry=self.registry)
        self.inbound = Counter("aiom_inbound_events", "Chat events handled", ["platform", "kind"],
                               registry=self.registry)
        self.duplicates = Counter("aiom_inbound_duplicates", "Platform retries recognised and ignored",
                                  ["platform"], registry=self.registry)
        self.database_up = Gauge("aiom_database_up", "1 when the last health check reached the database",
                                 registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
