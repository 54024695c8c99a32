"""The Teams platform (bot/platform.py), through botbuilder.

`attach(host, web_app)` (called by bot/wiring.py before `app.start()`) builds the adapter, registers the Teams
deliverer with the outbox and mounts `POST /api/messages`. The engine is reached lazily (`host.engine`), since
`app.start()` builds it after attach.
"""
from __future__ import annotations

import logging

from aiohttp import web

from bot.metrics import METRICS_KEY
from bot.platform import Host
from bot.teams.auth import make_adapter
from bot.teams.connector import ConnectorPool
from bot.teams.deliverer import CAPABILITIES, TeamsDeliverer
from bot.teams.endpoint import BOT_KEY, RUNTIME_KEY, messages, replay
from bot.teams.files import Files
from bot.teams.handler import AiomTeamsBot
from bot.teams.identity import Directory, home_rule
from bot.teams.proactive import Proactive
from bot.teams.refs import References
from bot.teams.roster import TeamsRosters
from bot.teams.runtime import TeamsRuntime
from conversations.people.leavers import left_on_platform

log = logging.getLogger(__name__)

ANONYMOUS_WARNING = ("TEAMS AUTHENTICATION IS OFF: AIOM_TEAMS_ANONYMOUS=1 and no MICROSOFT_APP_ID, so "
                     "/api/messages accepts requests from anyone. Use this for local development only.")


class TeamsPlatform:
    name = "teams"
    capabilities = CAPABILITIES

    def enabled(self, settings) -> bool:
        return settings.teams_enabled

    def attach(self, host: Host, web_app: web.Application, *, listen: bool = True) -> TeamsRuntime | None:
        return attach(host, web_app)


def attach(app: Host, web_app: web.Application) -> TeamsRuntime | None:
    """Register the Teams deliverer and mount POST /api/messages. Called once, before app.start(). Teams opens no
    socket: a worker's application that is never served takes no events."""
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
    rt.rosters = app.group_sources["teams"] = TeamsRosters(rt)
    web_app[RUNTIME_KEY] = rt
    web_app[BOT_KEY] = bot = AiomTeamsBot(rt)
    app.replay_handlers["teams"] = lambda entry: replay(rt, bot, entry)
    web_app.router.add_post("/api/messages", messages)

    async def _close(_web_app: web.Application) -> None:
        await pool.close()

    web_app.on_cleanup.append(_close)
    return rt


PLATFORM = TeamsPlatform()
