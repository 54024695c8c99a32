"""POST /slack/events: events, interactivity, slash commands and shortcuts on one URL, through bolt
(signature and timestamp checked by bolt's request verification)."""
from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

PATH = "/slack/events"


def mount(web_app: web.Application, bolt: AsyncApp) -> None:
    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    web_app.router.add_post(PATH, slack_events)
