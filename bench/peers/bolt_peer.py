"""The Slack peer: a bare slack-bolt AsyncApp on aiohttp, doing per request what aiom does at least.

    python -m bench.peers.bolt_peer --port P --api-url URL [--reuse-session]

- a click (`block_actions`): `ack()`, then one `chat.update` of the clicked message;
- a message event: acknowledged by bolt, then one `chat.postMessage` in its channel.

Bolt's defaults throughout (`process_before_response=False`, one workspace, the token checked once with
auth.test). With bolt's default AsyncWebClient every call opens and closes its own aiohttp session; with
`--reuse-session` the client is given one session, created at start-up, that every call reuses.
Prints `{"port": P}` once it listens.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.common import SECRET

TOKEN = "xoxb-bench-peer"


def blocks(text: str) -> list[dict]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Saved. You can change it any time."}]}]


def make_app(api_url: str, reuse_session: bool) -> web.Application:
    client = AsyncWebClient(token=TOKEN, base_url=api_url)
    bolt = AsyncApp(token=TOKEN, signing_secret=SECRET, client=client, logger=logging.getLogger("peer"))

    @bolt.action(re.compile(".*"))
    async def on_click(ack, body: dict, action: dict, client: AsyncWebClient) -> None:
        await ack()
        container = body.get("container") or {}
        label = (action.get("text") or {}).get("text", "")
        await client.chat_update(channel=container.get("channel_id"), ts=container.get("message_ts"),
                                 text=f"You chose {label}", blocks=blocks(f"You chose *{label}*"))

    @bolt.event("message")
    async def on_message(event: dict, client: AsyncWebClient) -> None:
        text = event.get("text", "")
        await client.chat_postMessage(channel=event.get("channel"), text=f"You said: {text}",
                                      blocks=blocks(f"You said: {text}"))

    app = bolt.web_app(path="/slack/events")
    if reuse_session:
        async def open_session(_app: web.Application) -> None:
            client.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))

        async def close_session(_app: web.Application) -> None:
            await client.session.close()

        app.on_startup.append(open_session)
        app.on_cleanup.append(close_session)
    return app


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--api-url", required=True, help="the (fake) Slack Web API base URL")
    p.add_argument("--reuse-session", action="store_true", help="one aiohttp session for every Web API call")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps({"port": a.port}), flush=True)
    web.run_app(make_app(a.api_url, a.reuse_session), host="127.0.0.1", port=a.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
