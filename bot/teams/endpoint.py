"""`POST /api/messages`: authenticate the request, then let the adapter run the turn.

This is `CloudAdapter.process` with one difference: authentication runs first
and *any* failure of it - no token, a forged or expired token, a token for
another bot, keys that cannot be fetched - answers 401 and nothing else
happens (the stock method turns some of these into a 500).
"""
from __future__ import annotations

import json
import logging

from aiohttp import web
from botbuilder.schema import Activity

from bot.teams.handler import AiomTeamsBot
from bot.teams.runtime import TeamsRuntime

log = logging.getLogger(__name__)

RUNTIME_KEY = web.AppKey("teams", TeamsRuntime)
BOT_KEY = web.AppKey("teams_bot", AiomTeamsBot)


async def messages(request: web.Request) -> web.StreamResponse:
    rt = request.app[RUNTIME_KEY]
    if "application/json" not in request.headers.get("Content-Type", ""):
        return web.json_response({"error": "expected application/json"}, status=415)
    try:
        body = json.loads(await request.read())
        activity = Activity().deserialize(body)
    except (ValueError, TypeError, AttributeError):
        return web.json_response({"error": "not a Bot Framework activity"}, status=400)
    if not isinstance(body, dict) or not activity.type:
        return web.json_response({"error": "not a Bot Framework activity"}, status=400)
    try:
        auth = await rt.auth.authenticate_request(activity, request.headers.get("Authorization", ""))
    except Exception as e:  # noqa: BLE001 - every authentication failure is a 401
        log.warning("Teams: refused a request to /api/messages: %s", type(e).__name__)
        return web.json_response({"error": "unauthorized"}, status=401)
    invoke = await rt.adapter.process_activity(auth, activity, request.app[BOT_KEY].on_turn)
    if invoke is not None:
        return web.json_response(invoke.body if invoke.body is not None else {}, status=invoke.status or 200)
    return web.Response(status=200)
