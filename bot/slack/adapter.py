"""The Slack platform (bot/platform.py): the slack-bolt app on aiom's aiohttp server (or Socket Mode), and
the Slack deliverer."""
from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.platform import Host
from bot.slack.api import SlackApi
from bot.slack.deliverer import CAPABILITIES, SlackDeliverer
from bot.slack.http import mount, replay
from bot.slack.listeners import register
from bot.slack.ops import OpRunner
from bot.slack.runtime import SlackRuntime
from bot.slack.socket_mode import SocketMode
from bot.slack.usergroups import SlackUserGroups

log = logging.getLogger(__name__)

RUNTIME_KEY = web.AppKey("slack_runtime", SlackRuntime)
SHUTDOWN_GRACE = 10.0


def build_bolt(rt: SlackRuntime, signing_secret: str) -> AsyncApp:
    async def authorize(enterprise_id: str | None = None, team_id: str | None = None, **_kw) -> AuthorizeResult:
        """One workspace, one bot token. Runs before every ack, so it never calls Slack: the auth.test answer
        learnt at start-up, or - until it is known - the request's own team, while it is fetched in the
        background (listeners that need it ask for it after their ack)."""
        token = rt.api.client.token
        ws = rt.directory.known_workspace
        if ws is None:
            rt.directory.refresh_soon(rt.spawn)
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)
        return AuthorizeResult(enterprise_id=ws.enterprise_id or None, team_id=ws.team_id, bot_token=token,
                               bot_id=ws.bot_id, bot_user_id=ws.bot_user_id)

    # bolt's own client carries no token (requests get it from `authorize`); aiom's calls go through rt.api.
    client = AsyncWebClient(base_url=rt.api.client.base_url, timeout=rt.api.client.timeout)
    bolt = AsyncApp(signing_secret=signing_secret, client=client, authorize=authorize,
                    process_before_response=False, request_verification_enabled=True,
                    name="aiom", logger=logging.getLogger("bot.slack.bolt"))
    register(bolt, rt)

    @bolt.error
    async def unreadable(error: Exception) -> BoltResponse:
        """bolt could not read a signed request (a field of the wrong type, a part missing): one line, a 400.
        Listener work runs in `guarded()` (listeners/common.py), which logs aiom's own failures in full."""
        log.warning("Slack: refused a signed request bolt could not read: %s: %s", type(error).__name__,
                    str(error)[:200])
        return BoltResponse(status=400, body="")

    return bolt


class SlackPlatform:
    name = "slack"
    capabilities = CAPABILITIES

    def enabled(self, settings) -> bool:
        return settings.slack_enabled

    def attach(self, host: Host, web_app: web.Application, *, listen: bool = True) -> SlackRuntime:
        return attach(host, web_app, listen=listen)


def attach(app: Host, web_app: web.Application, *, listen: bool = True) -> SlackRuntime:
    """Register the Slack deliverer and mount /slack/events (or Socket Mode). Called once, before app.start().
    `listen=False` (a worker that only delivers): no Socket Mode, which would take Slack's events."""
    s = app.settings
    api = SlackApi(s.SLACK_BOT_TOKEN.get_secret_value(), s.SLACK_API_URL)
    rt = SlackRuntime(app, api)
    rt.ops = OpRunner(rt)
    secret = s.SLACK_SIGNING_SECRET.get_secret_value() if s.SLACK_SIGNING_SECRET else ""
    bolt = build_bolt(rt, secret)
    rt.bolt = bolt
    app.add_deliverer(SlackDeliverer(rt))
    app.group_sources["slack"] = SlackUserGroups(rt)
    web_app[RUNTIME_KEY] = rt

    socket = None
    if listen and s.slack_socket_mode:
        socket = SocketMode(bolt, s.SLACK_APP_TOKEN.get_secret_value())
    else:
        mount(web_app, bolt, app, secret, spawn=rt.spawn)
        app.replay_handlers["slack"] = lambda entry: replay(bolt, secret, entry)

    async def on_startup(_web_app: web.Application) -> None:
        api.ensure_session()
        rt.spawn(_warm_up(rt))
        if socket is not None:
            socket.start()

    async def on_cleanup(_web_app: web.Application) -> None:
        if socket is not None:
            await socket.stop()
        await rt.idle(SHUTDOWN_GRACE)
        await api.close()

    web_app.on_startup.append(on_startup)
    web_app.on_cleanup.append(on_cleanup)
    log.info("Slack attached (%s)", "Socket Mode" if socket is not None else "POST /slack/events")
    return rt


async def _warm_up(rt: SlackRuntime) -> None:
    """Learn the workspace (auth.test) at start-up, so no request waits for it before its ack."""
    try:
        await rt.directory.workspace()
    except Exception as e:
        log.warning("Slack auth.test failed at start-up (%s); requests are still acknowledged, and it is tried "
                    "again in the background", e)


PLATFORM = SlackPlatform()
