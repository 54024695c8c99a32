"""`aiom serve`: the HTTP server with Slack and Teams mounted when configured."""
from __future__ import annotations

import asyncio
import logging

from bot.commands.common import app_or_exit, settings_or_exit
from bot.heap import freeze_startup_heap

log = logging.getLogger(__name__)


def add(sub) -> None:
    p = sub.add_parser("serve", help="run the HTTP server (Slack, Teams, health, metrics)")
    p.set_defaults(func=run)


def run(args) -> int:
    settings = settings_or_exit()  # settings, then the policy, then the database: all before migrating
    return asyncio.run(_serve(settings))


async def _serve(settings) -> int:
    from bot import tracing
    from bot.wiring import attach_platforms
    from bot.server import instrument, instrument_started, make_web_app, serve

    tracing.setup(service_name="aiom-serve")
    app = app_or_exit(settings)
    web_app = make_web_app(app)
    attach_platforms(app, web_app)
    instrument(app, web_app)
    await app.start()
    instrument_started(app, web_app)
    freeze_startup_heap()
    try:
        await serve(web_app, settings.AIOM_HOST, settings.AIOM_PORT, grace=settings.AIOM_SHUTDOWN_GRACE)
    finally:
        started = asyncio.get_running_loop().time()
        await app.stop()
        log.info("stopped in %.2fs after the HTTP server", asyncio.get_running_loop().time() - started)
        tracing.shutdown()
    return 0
