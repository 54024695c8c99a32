"""The aiohttp application: health, metrics, and the platform endpoints mounted by their adapters."""
from __future__ import annotations

import asyncio
import logging
import signal
import time

from aiohttp import web

from bot.app import App
from bot.metrics import Metrics

log = logging.getLogger(__name__)

APP_KEY = web.AppKey("aiom", App)
METRICS_KEY = web.AppKey("metrics", Metrics)


@web.middleware
async def _observe(request: web.Request, handler):
    metrics: Metrics = request.app[METRICS_KEY]
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unknown"
    start = time.perf_counter()
    status = 500
    try:
        resp = await handler(request)
        status = resp.status
        return resp
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
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
    m: Metrics = request.app[METRICS_KEY]
    return web.Response(body=m.render(), headers={"Content-Type": m.content_type})


def make_web_app(app: App, metrics_: Metrics | None = None) -> web.Application:
    web_app = web.Application(middlewares=[_observe], client_max_size=1024 * 1024)
    web_app[APP_KEY] = app
    web_app[METRICS_KEY] = metrics_ or Metrics()
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    from notifications.digest.web import add_routes as add_digest_routes

    add_digest_routes(web_app, APP_KEY)  # GET /digest/chart/<run>/<chart>.png?t=… (the digest's charts)
    return web_app


async def serve(web_app: web.Application, host: str, port: int, *, on_ready=None) -> None:
    """Run until SIGTERM/SIGINT, then finish in-flight requests and stop cleanly."""
    runner = web.AppRunner(web_app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("aiom listening on http://%s:%s", host, port)
    if on_ready:
        on_ready()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover
            pass
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await runner.cleanup()
