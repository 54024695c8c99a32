"""OpenTelemetry traces, on when OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard OTEL_* variables choose the
service name, headers and so on): a span per HTTP request served (aiohttp server), per HTTP call made
(aiohttp client: Slack's Web API, the Bot Connector), per SQL statement (SQLAlchemy), per turn and per
delivery. Off, `span()` costs one function call and nothing is imported."""
from __future__ import annotations

import logging
import os
import weakref
from contextlib import contextmanager

log = logging.getLogger(__name__)

_tracer = None
_provider = None
_traced: "weakref.WeakSet" = weakref.WeakSet()


def enabled() -> bool:
    return _tracer is not None


def setup(exporter=None, *, service_name: str = "aiom") -> bool:
    """Start tracing: to `exporter` (tests: an in-memory one), else OTLP over HTTP when the endpoint is set."""
    global _tracer, _provider
    if _tracer is not None:
        return True
    if exporter is None and not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
        return False
    from opentelemetry import trace
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME", "").strip() or service_name
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor

    trace.set_tracer_provider(provider)  # the aiohttp server instrumentation reads the global provider
    AioHttpClientInstrumentor().instrument(tracer_provider=provider)
    AioHttpServerInstrumentor().instrument(tracer_provider=provider)  # applications created from now on
    _provider = provider
    _tracer = trace.get_tracer("aiom", tracer_provider=provider)
    log.info("tracing on: service %s", name)
    return True


def instrument_app(app, web_app=None) -> None:
    """The app's database engines (aiohttp servers created after setup() are traced already)."""
    if _tracer is None:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    usage = get_meter("aiom").create_up_down_counter("db.client.connections.usage")
    engines = {id(e): e for e in (app.db.write_engine, app.db.read_engine)}
    for engine in engines.values():
        if engine.sync_engine not in _traced:
            EngineTracer(_tracer, engine.sync_engine, usage)
            _traced.add(engine.sync_engine)


@contextmanager
def span(name: str, **attributes):
    if _tracer is None:
        yield None
        return
    with _tracer.start_as_current_span(name, attributes={f"aiom.{k}": v for k, v in attributes.items()}) as s:
        yield s


def shutdown() -> None:
    if _provider is not None:
        _provider.force_flush()


def reset() -> None:
    """Turn tracing off again (tests)."""
    global _tracer, _provider
    if _provider is None:
        return
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor

    AioHttpClientInstrumentor().uninstrument()
    AioHttpServerInstrumentor().uninstrument()
    _provider.shutdown()
    _tracer = _provider = None
