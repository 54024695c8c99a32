"""POST /slack/events: events, interactivity, slash commands and shortcuts on one URL.

In order: the signature on the raw bytes (401, nothing parsed), the body (400), the inbound journal (the request
is written before its ack; 503 when the database cannot take it, so Slack retries), then bolt, which checks the
signature again and runs the listener. A repeat of a request already processed is acknowledged and not run.
An event or a button click, whose acknowledgement is an empty 200 whatever happens next, is answered as soon as it
is in the journal, and given to bolt after the ack (bolt's own ack waits for the listener's task and a 10 ms
polling tick); a form submission, a slash command or a shortcut waits for bolt's ack, which may carry an answer.
A journaled request that was never finished is replayed (`replay`): re-signed with a fresh timestamp and given
to bolt as if it had just arrived.
"""
from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import journal
from bot.slack import gate, keys
from storage.tables import InboundEntry
from vocabulary.states import InboundOutcome

log = logging.getLogger(__name__)

PATH = "/slack/events"
PLATFORM = "slack"


def _refuse(request: web.Request, status: int, reason: str) -> web.Response:
    log.warning("Slack: refused a request from %s: %s (%d)", request.remote, reason, status)
    return web.json_response({"error": reason}, status=status)


def mount(web_app: web.Application, bolt: AsyncApp, app=None, secret: str = "", spawn=asyncio.ensure_future) -> None:
    """`spawn` starts the work after an early ack as Slack work in flight (SlackRuntime.spawn: a stop waits
    for it)."""
    slots = asyncio.Semaphore(DISPATCHING)

    async def slack_events(request: web.Request) -> web.Response:
        try:
            raw = await request.read()
            checked = gate.check(secret, raw, request.headers)
        except gate.Refused as r:
            return _refuse(request, r.status, r.reason)
        except web.HTTPException as e:  # the body was larger than the server accepts
            return _refuse(request, e.status, e.reason or "an unreadable body")
        try:
            key = keys.request_key(checked.body, checked.kind) if app is not None else None
        except (AttributeError, TypeError, KeyError):
            return _refuse(request, 400, "a payload that is not shaped as Slack sends it")
        token = None
        if key is not None:
            try:
                rec = await journal.accept(app, PLATFORM, key, raw.decode("utf-8"),
                                           request.headers.get("Content-Type", ""))
            except journal.Unavailable as e:
                log.warning("Slack: could not journal a request (%s); answered 503 so Slack sends it again", e,
                            exc_info=log.isEnabledFor(logging.DEBUG))
                return web.json_response({"error": "try again"}, status=503)
            if not rec.new and not rec.unsent:
                journal.count_duplicate(app, PLATFORM)
                return web.Response(status=200)  # a retry: processed, or being processed (replayed if need be)
            token = journal.begin(PLATFORM, key)
            if empty_ack(checked):  # in the journal now: answered at once, bolt runs it after the ack
                try:
                    spawn(_dispatch(bolt, app, slots, raw, request.query_string, dict(request.headers)))
                finally:
                    journal.current.reset(token)
                return web.Response(status=200)
        try:
            bolt_request = AsyncBoltRequest(body=raw.decode("utf-8"), query=request.query_string,
                                            headers=dict(request.headers))
            try:
                bolt_response = await bolt.async_dispatch(bolt_request)
            except Exception as e:  # noqa: BLE001 - bolt tripped over a signed body of an odd shape
                if key is not None:
                    await journal.settle(app, InboundOutcome.UNREADABLE)
                return _refuse(request, 400, f"a payload bolt could not read ({type(e).__name__})")
            if key is not None and bolt_response.status != 200:  # nothing in aiom listens to it
                await journal.settle(app, InboundOutcome.UNHANDLED)
        finally:
            if token is not None:
                journal.current.reset(token)
        return await to_aiohttp_response(bolt_response)

    web_app.router.add_post(PATH, slack_events)


def empty_ack(checked: gate.Checked) -> bool:
    """A request whose acknowledgement is an empty 200 whatever the listener does: an event (a DM, an
    @mention) or a button click. Forms (whose ack may carry errors or the next view), slash commands and
    shortcuts still wait for bolt's ack."""
    if checked.kind == "event":
        return True
    return checked.kind == "interaction" and checked.body.get("type") == "block_actions"


# Requests answered early that bolt is dispatching at once. Bolt polls for the listener's ack every 10 ms; a burst
# of hundreds answered in a second would otherwise poll all at once and crowd the event loop the next
# acknowledgements need. The rest wait their turn here (they are in the journal already).
DISPATCHING = 16


async def _dispatch(bolt: AsyncApp, app, slots: asyncio.Semaphore, raw: bytes, query: str, headers: dict) -> None:
    """Bolt's run of a journaled request that was answered already (its listener goes on in a task of its own)."""
    try:
        async with slots:
            response = await bolt.async_dispatch(AsyncBoltRequest(body=raw.decode("utf-8"), query=query,
                                                                  headers=headers))
    except Exception as e:  # noqa: BLE001 - bolt tripped over a signed body of an odd shape
        log.warning("Slack: refused a request after its ack: a payload bolt could not read (%s)", type(e).__name__)
        await journal.settle(app, InboundOutcome.UNREADABLE)
        return
    if response.status != 200:  # nothing in aiom listens to it
        await journal.settle(app, InboundOutcome.UNHANDLED)
        return
    for _ in range(3):  # let the listener bolt started begin (SlackRuntime.begin) before this task ends
        await asyncio.sleep(0)


async def replay(bolt: AsyncApp, secret: str, entry: InboundEntry) -> None:
    """Run a journaled request again, through bolt (signed anew: the original timestamp is too old by now)."""
    ts = str(int(time.time()))
    headers = {"content-type": entry.content_type or "application/json", "x-slack-request-timestamp": ts,
               "x-slack-signature": gate.sign(secret, ts, entry.body.encode("utf-8"))}
    response = await bolt.async_dispatch(AsyncBoltRequest(body=entry.body, headers=headers))
    if response.status != 200:
        log.warning("Slack: replay of %s answered %d", entry.event_id[:80], response.status)
