"""The aiohttp application: probes, metrics, and the platform endpoints mounted by their adapters."""
from __future__ import annotations

import asyncio
import logging
import signal
import time
import uuid

from aiohttp import web

from bot.app import App
from bot.metrics import METRICS_KEY, Metrics
from bot.observe import request_id
from bot.probes import HEALTH_KEY, Health, add_routes as add_probe_routes

log = logging.getLogger(__name__)

APP_KEY = web.AppKey("aiom", App)


@web.middleware
async def _observe(request: web.Request, handler):
    metrics: Metrics = request.app[METRICS_KEY]
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unknown"
    start = time.perf_counter()
    status = 500
    token = request_id.set(request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16])
    try:
        resp = await handler(request)
        status = resp.status
        return resp
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        request_id.reset(token)
        metrics.http_requests.labels(route, str(status)).inc()
        metrics.http_latency.labels(route).observe(time.perf_counter() - start)


async def healthz(request: web.Request) -> web.Response:
    app: App = request.app[APP_KEY]
    ok = await app.db.ping()
    request.app[METRICS_KEY].database_up.set(1 if ok else 0)
    body = {"status": "ok" if ok else "unavailable", "database": "reachable" if ok else "unreachable",
            "platforms": sorted(p for p in app.deliverers if p != "console")}
    return web.json_response(body, status=200 if ok else 503)


async def metrics(request: web.Request) -> web.Response:
    from bot.observe import refresh

    m: Metrics = request.app[METRICS_KEY]
    await refresh(request.app[APP_KEY], m)
    return web.Response(body=m.render(), headers={"Content-Type": m.content_type})


def make_probe_app(app: App, metrics_: Metrics | None = None) -> web.Application:
    """Probes and metrics only (`aiom worker`'s listener; the base of `serve`'s application)."""
    web_app = web.Application(middlewares=[_observe], client_max_size=1024 * 1024)
    web_app[APP_KEY] = app
    web_app[METRICS_KEY] = metrics_ or Metrics()
    app.metrics = web_app[METRICS_KEY]  # App.start counts turns and sends into it
    add_probe_routes(web_app, Health(app))
    web_app.router.add_get("/metrics", metrics)
    return web_app


def make_web_app(app: App, metrics_: Metrics | None = None) -> web.Application:
    web_app = make_probe_app(app, metrics_)
    web_app.router.add_get("/healthz", healthz)  # kept for existing checks; prefer /livez and /readyz
    from notifications.digest.web import add_routes as add_digest_routes

    # GET /digest/chart/<run>/<chart>.png?t=… (the digest's charts)
    add_digest_routes(web_app, lambda: app.notifications)
    return web_app


def instrument(app: App, web_app: web.Application) -> None:
    """Before app.start(): trace the database and this server when tracing is on."""
    from bot import tracing

    tracing.instrument_app(app, web_app)


def instrument_started(app: App, web_app: web.Application) -> None:
    """After app.start(): the liveness heartbeat."""
    web_app[HEALTH_KEY].start()


async def start_listener(web_app: web.Application, host: str, port: int, *, grace: float = 20.0):
    """Listen on host:port (0: any free port); returns (runner, the port it got)."""
    runner = web.AppRunner(web_app, handle_signals=False, access_log=None, shutdown_timeout=grace)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = getattr(site._server, "sockets", None) or []
    actual = sockets[0].getsockname()[1] if sockets else port
    return runner, actual


def stop_on_signal() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover
            pass
    return stop


async def serve(web_app: web.Application, host: str, port: int, *, on_ready=None, grace: float = 20.0) -> None:
    """Run until SIGTERM/SIGINT, then: /readyz answers 503, the listener closes, requests in flight (turns)
    get up to `grace` seconds to finish, and the caller stops the app (which hands back unsent claims)."""
    stop = stop_on_signal()
    runner, actual = await start_listener(web_app, host, port, grace=grace)
    log.info("aiom listening on http://%s:%s", host, actual)
    if on_ready:
        on_ready()
    try:
        await stop.wait()
    finally:
        log.info("shutting down: finishing requests in flight (up to %ss)", grace)
        health = web_app.get(HEALTH_KEY)
        if health is not None:
            health.stopping = True
        started = time.monotonic()
        await runner.cleanup()  # stops accepting; requests in flight get up to `grace`
        app = web_app.get(APP_KEY)
        if app is not None and app.engine is not None:
            from bot.observe import finish_turns

            done, cut = await finish_turns(app, grace - (time.monotonic() - started))
            if done or cut:
                log.info("finished %s turn%s in flight%s", done, "" if done == 1 else "s",
                         f"; {cut} did not finish within {grace}s" if cut else "")
        if health is not None:
            await health.stop()
        log.info("HTTP server stopped after %.2fs", time.monotonic() - started)
