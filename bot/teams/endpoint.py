"""`POST /api/messages`: authenticate the request, journal it, then let the adapter run the turn.

This is `CloudAdapter.process` with these differences:
- the token is checked before the body is read: the library's own check runs on a stand-in activity carrying
  the service URL the token names (its `serviceurl` claim) - signature, issuer, audience, expiry, endorsement -
  and the body's service URL must then be that one. *Any* failure - no token, a forged or expired token, a
  token for another bot, keys that cannot be fetched - answers 401 and nothing else happens (the stock method
  turns some of these into a 500);
- a body that is not a JSON object, nests deeper than `bot.bodies.MAX_DEPTH` or is not an activity: 400;
- the turn answers within `TURN_BUDGET` (Bot Framework allows 15 s): sends that would retry or wait for Teams'
  pace past it are left to the outbox and sent after the turn;
- a message or invoke is written to the inbound journal (bot/journal.py) before the turn runs; a repeat of one
  already processed is answered without running again, and one never finished is replayed (`replay`).
Each refusal is one warning line.
"""
from __future__ import annotations

import asyncio
import logging
import re

import jwt
from aiohttp import web
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult

from bot import bodies, journal
from bot.teams.connector import turn_deadline
from bot.teams.handler import AiomTeamsBot
from bot.teams.listeners.common import event_key
from bot.teams.ops import message_answer
from bot.teams.runtime import TeamsRuntime
from storage.tables import InboundEntry

log = logging.getLogger(__name__)

RUNTIME_KEY = web.AppKey("teams", TeamsRuntime)
BOT_KEY = web.AppKey("teams_bot", AiomTeamsBot)
PLATFORM = "teams"
JOURNALED = {"message", "invoke"}
# Bot Framework gives a turn 15 s; aiom answers within this many, leaving what it could not send yet to the
# outbox (connector.turn_deadline).
TURN_BUDGET = 11.0
BEARER = re.compile(r"^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def _refuse(request: web.Request, status: int, reason: str) -> web.Response:
    log.warning("Teams: refused a request to /api/messages from %s: %s (%d)", request.remote, reason, status)
    return web.json_response({"error": reason if status != 401 else "unauthorized"}, status=status)


def _auth_required(rt: TeamsRuntime) -> bool:
    return bool(rt.app.settings.MICROSOFT_APP_ID)


def _activity(body: dict) -> Activity:
    activity = Activity().deserialize(body)
    if not activity.type or not isinstance(activity.type, str):
        raise ValueError("no type")
    return activity


async def messages(request: web.Request) -> web.StreamResponse:
    rt = request.app[RUNTIME_KEY]
    header = request.headers.get("Authorization", "")
    claimed_url = None
    if _auth_required(rt):
        if not BEARER.match(header):
            return _refuse(request, 401, "no bearer token")
        try:
            claimed_url = jwt.decode(header.split(" ", 1)[1], options={"verify_signature": False})["serviceurl"]
            stand_in = Activity(type="message", channel_id="msteams", service_url=str(claimed_url))
            auth = await rt.auth.authenticate_request(stand_in, header)
        except Exception as e:  # noqa: BLE001 - every authentication failure is a 401
            return _refuse(request, 401, f"authentication failed ({type(e).__name__})")
    if "application/json" not in request.headers.get("Content-Type", ""):
        return _refuse(request, 415, "expected application/json")
    try:
        raw = await request.read()
        body = bodies.json_object(raw)
    except bodies.BadBody as e:
        return _refuse(request, 400, str(e))
    except web.HTTPException as e:
        return _refuse(request, e.status, e.reason or "an unreadable body")
    try:
        activity = _activity(body)
    except Exception:  # noqa: BLE001 - msrest raises a variety of errors on wrong types
        return _refuse(request, 400, "not a Bot Framework activity")
    if claimed_url is None:  # authentication is off (AIOM_TEAMS_ANONYMOUS): the library lets it through
        try:
            auth = await rt.auth.authenticate_request(activity, header)
        except Exception as e:  # noqa: BLE001
            return _refuse(request, 401, f"authentication failed ({type(e).__name__})")
    elif activity.service_url != claimed_url or activity.channel_id != "msteams":
        return _refuse(request, 401, "a token for another service URL or channel")
    if not isinstance(activity.service_url, str) or not activity.service_url or activity.conversation is None \
            or not isinstance(activity.conversation.id, str) or not activity.conversation.id:
        return _refuse(request, 400, "an activity without a service URL or conversation")
    try:
        key = event_key(activity) if activity.type in JOURNALED else None
    except (AttributeError, TypeError):
        return _refuse(request, 400, "an activity that is not shaped as Teams sends it")
    token = None
    if key is not None:
        try:
            rec = await journal.accept(rt.app, PLATFORM, key, raw.decode("utf-8"), "application/json")
        except journal.Unavailable as e:
            log.warning("Teams: could not journal an activity (%s); answered 503 so it is sent again", e,
                        exc_info=log.isEnabledFor(logging.DEBUG))
            return web.json_response({"error": "try again"}, status=503)
        if not rec.new and rec.done and not rec.unsent:  # a retry of something processed: nothing runs twice
            journal.count_duplicate(rt.app, PLATFORM)
            if activity.type == "invoke":
                return web.json_response(message_answer("Already done."), status=200)
            return web.Response(status=200)
        if not rec.new and not rec.done:  # being processed (or replayed once its lease runs out)
            journal.count_duplicate(rt.app, PLATFORM)
            return web.Response(status=200) if activity.type != "invoke" else web.json_response({}, status=200)
        token = journal.begin(PLATFORM, key)
    budget = turn_deadline.set(asyncio.get_running_loop().time() + TURN_BUDGET)
    try:
        invoke = await rt.adapter.process_activity(auth, activity, request.app[BOT_KEY].on_turn)
        if key is not None:
            await journal.settle(rt.app)
    except Exception:
        log.exception("Teams: the turn for a %s activity failed", activity.type)
        if activity.type == "invoke":
            return web.json_response({}, status=200)
        return web.Response(status=200)  # journaled: replayed once its lease runs out
    finally:
        turn_deadline.reset(budget)
        if token is not None:
            journal.release(journal.current.get())
            journal.current.reset(token)
    if invoke is not None:
        return web.json_response(invoke.body if invoke.body is not None else {}, status=invoke.status or 200)
    return web.Response(status=200)


async def replay(rt: TeamsRuntime, bot: AiomTeamsBot, entry: InboundEntry) -> None:
    """Run a journaled activity again, with the bot's own identity (the original token has long expired)."""
    activity = _activity(bodies.json_object(entry.body))
    app_id = rt.app.settings.MICROSOFT_APP_ID or ""
    claims = rt.adapter.create_claims_identity(app_id)
    factory = rt.auth.create_connector_factory(claims)
    result = AuthenticateRequestResult()
    result.claims_identity, result.connector_factory = claims, rt.pool.factory(factory)
    await rt.adapter.process_activity(result, activity, bot.on_turn)
    await journal.settle(rt.app)
