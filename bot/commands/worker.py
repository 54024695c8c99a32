"""`aiom worker`: the reminder sweeps, the digests and the outbox, in a process of their own.

With AIOM_WORKER_PORT set it answers /livez, /readyz and /metrics on that port (0: any free port, logged).

It delivers through the platforms configured in its environment (the same SLACK_* / MICROSOFT_* settings as
`aiom serve`). Any number of workers and servers may run against one database: the database decides what is
due and what was sent, so nothing goes out twice. `--once` runs one pass (sweeps, digests, delivery) and
exits, for cron or a test; `--console` also prints what would go to the local chat.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
from datetime import datetime, timezone

from bot.commands.common import app_or_exit, fail, settings_or_exit
from bot.heap import freeze_startup_heap

log = logging.getLogger(__name__)


def add(sub) -> None:
    p = sub.add_parser("worker", help="run reminders, digests and outgoing messages without the HTTP server")
    p.add_argument("--once", action="store_true", help="one pass (sweeps, due digests, delivery), then exit")
    p.add_argument("--console", action="store_true",
                   help="also deliver local-chat messages by printing them here (testing and trials)")
    p.add_argument("--now", metavar="ISO_TIME",
                   help="run as if it were this moment (UTC unless an offset is given); for rehearsals and tests")
    p.set_defaults(func=run)


def parse_now(value: str | None):
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--now needs an ISO time such as 2026-11-23T09:00:00Z (got {value!r})")
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def run(args) -> int:
    settings = settings_or_exit()
    fixed = parse_now(args.now)
    return asyncio.run(_work(settings, once=args.once, console=args.console, fixed=fixed))


async def _work(settings, *, once: bool, console: bool, fixed) -> int:
    from bot.console.deliverer import ConsoleDeliverer
    from bot.wiring import attach_deliverers, deliverers_running
    from notifications.scheduler import Scheduler

    kw = {"clock": (lambda: fixed)} if fixed else {}
    app = app_or_exit(settings, **kw)
    holder = attach_deliverers(app)
    if console:
        app.add_deliverer(ConsoleDeliverer(lambda text: print(text, flush=True)))
    if not app.deliverers:
        fail("aiom worker has nothing to deliver through: set the Slack or Teams settings (see README), "
             "or pass --console to print instead.")
    async with deliverers_running(holder):
        if once:
            await app.start(background=False, scheduler=False)
            try:
                result = await Scheduler(app.notifications, drain=True).tick()
                await app.dispatcher.drain()
                log.info("worker pass done: %s", result)
            finally:
                await app.stop()
            return 0
        stop = _stop_on_signal()
        listener = None
        from bot import tracing

        tracing.setup(service_name="aiom-worker")  # only when OTEL_EXPORTER_OTLP_ENDPOINT is set
        if settings.AIOM_WORKER_PORT is not None:
            from bot.server import make_probe_app, start_listener

            web_app = make_probe_app(app)
        else:
            from bot.metrics import Metrics

            app.metrics = Metrics()  # deliveries still counted and traced, just not served
        tracing.instrument_app(app)
        await app.start(background=True, scheduler=True)
        if settings.AIOM_WORKER_PORT is not None:
            from bot.server import instrument_started

            instrument_started(app, web_app)
            listener, port = await start_listener(web_app, settings.AIOM_HOST, settings.AIOM_WORKER_PORT,
                                                  grace=settings.AIOM_SHUTDOWN_GRACE)
            log.info("aiom worker probes and metrics on http://%s:%s", settings.AIOM_HOST, port)
        freeze_startup_heap()
        log.info("aiom worker running (%s); stop with Ctrl-C", ", ".join(sorted(app.deliverers)))
        try:
            await stop.wait()
            print("aiom worker stopping", file=sys.stderr)
        finally:
            if listener is not None:
                from bot.probes import HEALTH_KEY

                web_app[HEALTH_KEY].stopping = True
            await app.stop()
            if listener is not None:
                await web_app[HEALTH_KEY].stop()
                await listener.cleanup()
            tracing.shutdown()
    return 0


def _stop_on_signal() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT (installed before the worker says it is running)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover
            pass
    return stop
