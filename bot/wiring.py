"""The composition root's list of served chat platforms, and attaching them to the app and its HTTP server.

Each entry satisfies `bot.platform.ServedPlatform`; a new platform is one more line in `PLATFORMS`.
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from aiohttp import web

from bot.app import App
from bot.metrics import METRICS_KEY
from bot.platform import ServedPlatform
from bot.slack.adapter import PLATFORM as SLACK
from bot.teams.adapter import PLATFORM as TEAMS
from notifications import housekeeping

log = logging.getLogger(__name__)

PLATFORMS: tuple[ServedPlatform, ...] = (SLACK, TEAMS)


def attach_platforms(app: App, web_app: web.Application) -> None:
    if METRICS_KEY in web_app:  # the housekeeping sweep counts what it deletes on this server's /metrics
        housekeeping.attach_metrics(web_app[METRICS_KEY].registry)
    attached = [p.attach(app, web_app) for p in PLATFORMS if p.enabled(app.settings)]
    if not attached:
        log.warning("no Slack or Teams credentials are set: only /healthz and /metrics are served")


def attach_deliverers(app: App) -> web.Application:
    """Register the configured platforms' deliverers on `app` without taking any platform's events (`aiom worker`).

    Each platform is attached with `listen=False` to an aiohttp application that is never served (so Slack opens
    no Socket Mode connection). Returns that application: run its hooks with `deliverers_running(holder)`.
    """
    holder = web.Application()
    for p in PLATFORMS:
        if p.enabled(app.settings):
            p.attach(app, holder, listen=False)
    return holder


@asynccontextmanager
async def deliverers_running(holder: web.Application):
    """Run the deliverers' start-up hooks (HTTP sessions, warm-up) and, on the way out, their clean-up."""
    runner = web.AppRunner(holder, handle_signals=False)
    await runner.setup()  # on_startup, without opening a socket
    try:
        yield
    finally:
        await runner.cleanup()
