"""Microsoft Teams through botbuilder: every Bot Framework import of aiom lives under bot/teams/.

`attach(app, web_app)` (called by bot/wiring.py before `app.start()`)
builds the adapter, registers the Teams deliverer with the outbox and mounts
`POST /api/messages`. The engine is reached lazily (`app.engine`), since
`app.start()` builds it after attach.
"""
from __future__ import annotations

import logging

from aiohttp import web

from bot.app import App

log = logging.getLogger(__name__)

ANONYMOUS_WARNING = ("TEAMS AUTHENTICATION IS OFF: AIOM_TEAMS_ANONYMOUS=1 and no MICROSOFT_APP_ID, so "
                     "/api/messages accepts requests from anyone. Use this for local development only.")


def attach(app: App, web_app: web.Application):
    from bot.server import METRICS_KEY
    from bot.teams.auth import make_adapter
    from bot.teams.connector import ConnectorPool
    from bot.teams.deliverer import TeamsDeliverer
    from bot.teams.endpoint import BOT_KEY, RUNTIME_KEY, messages, replay
    from bot.teams.files import Files
    from bot.teams.handler import AiomTeamsBot
    from bot.teams.identity import Directory, home_rule
    from bot.teams.proactive import Proactive
    from bot.teams.refs import References
    from conversations.people.leavers import left_on_platform
    from bot.teams.runtime import TeamsRuntime

    s = app.settings
    if not s.teams_enabled:
        log.info("Teams is not configured (no MICROSOFT_APP_ID): /api/messages is not mounted")
        return None
    if not s.MICROSOFT_APP_ID:
        log.warning(ANONYMOUS_WARNING)
    rule = home_rule(s)
    if rule.warning:
        log.warning(rule.warning)
    pool = ConnectorPool()
    adapter, auth = make_adapter(s, pool)
    proactive = Proactive(adapter, s.MICROSOFT_APP_ID)
    rt = TeamsRuntime(app=app, adapter=adapter, auth=auth, pool=pool,
                      directory=Directory(app.db, rule, clock=app.clock), refs=References(app.db),
                      proactive=proactive, files=Files(app.db, pool, proactive),
                      metrics=web_app.get(METRICS_KEY))
    rt.directory.on_missing = lambda tenant, ext: left_on_platform(app, "teams", tenant, ext, "teams")
    app.add_deliverer(TeamsDeliverer(rt))
    from bot.teams.roster import TeamsRosters  # noqa: PLC0415

    rt.rosters = app.group_sources["teams"] = TeamsRosters(rt)
    web_app[RUNTIME_KEY] = rt
    web_app[BOT_KEY] = bot = AiomTeamsBot(rt)
    app.replay_handlers["teams"] = lambda entry: replay(rt, bot, entry)
    web_app.router.add_post("/api/messages", messages)

    async def _close(_web_app: web.Application) -> None:
        await pool.close()

    web_app.on_cleanup.append(_close)
    return rt
