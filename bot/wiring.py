"""Attach the configured chat platforms to the app and its HTTP server."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from aiohttp import web

from bot.app import App

log = logging.getLogger(__name__)


def attach_platforms(app: App, web_app: web.Application) -> None:
    s = app.settings
    from bot.server import METRICS_KEY  # noqa: PLC0415
    from notifications import housekeeping  # noqa: PLC0415

    if METRICS_KEY in web_app:  # the housekeeping sweep counts what it deletes on this server's /metrics
        housekeeping.attach_metrics(web_app[METRICS_KEY].registry)
    if s.slack_enabled:
        from bot.slack.adapter import attach as attach_slack

        attach_slack(app, web_app)
    if s.teams_enabled:
        from bot.teams.adapter import attach as attach_teams

        attach_teams(app, web_app)
    if not s.any_platform:
        log.warning("no Slack or Teams credentials are set: only /healthz and /metrics are served")


def attach_deliverers(app: App) -> web.Application:
    """Register the configured platforms' deliverers on `app` without serving any inbound endpoint (`aiom worker`).

    A platform package may offer `attach_deliverer(app, holder)` (the deliverer and its start-up / clean-up
    hooks only); until it does, its `attach(app, holder)` is used on an aiohttp application that is never
    served, with Slack's Socket Mode switched off so the worker does not take Slack events. Returns that
    application: run its hooks with `deliverers_running(holder)`.
    """
    holder = web.Application()
    s = app.settings
    if s.slack_enabled:
        import bot.slack.adapter as slack

        if hasattr(slack, "attach_deliverer"):
            slack.attach_deliverer(app, holder)
        else:
            full = app.settings
            app.settings = full.model_copy(update={"SLACK_APP_TOKEN": None})  # no Socket Mode in a worker
            try:
                slack.attach(app, holder)
            finally:
                app.settings = full
    if s.teams_enabled:
        import bot.teams.adapter as teams

        (getattr(teams, "attach_deliverer", None) or teams.attach)(app, holder)
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
