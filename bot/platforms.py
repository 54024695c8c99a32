"""Attach the configured chat platforms to the app and its HTTP server."""
from __future__ import annotations

import logging

from aiohttp import web

from bot.app import App

log = logging.getLogger(__name__)


def attach_platforms(app: App, web_app: web.Application) -> None:
    s = app.settings
    if s.slack_enabled:
        from bot.slack import attach as attach_slack

        attach_slack(app, web_app)
    if s.teams_enabled:
        from bot.teams import attach as attach_teams

        attach_teams(app, web_app)
    if not s.any_platform:
        log.warning("no Slack or Teams credentials are set: only /healthz and /metrics are served")
