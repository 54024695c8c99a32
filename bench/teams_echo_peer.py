"""The peer for bench/teams_burst.py: a bare botbuilder CloudAdapter echo bot (auth off), unmodified.

This is the botbuilder sample's shape: an aiohttp app, `CloudAdapter` with
`ConfigurationBotFrameworkAuthentication`, and an `ActivityHandler` that answers
every message with one reply through the connector (the same fake aiom uses).

    python bench/teams_echo_peer.py --port 3979
"""
from __future__ import annotations

import argparse
import json
import sys

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication


class _Config:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext):
        await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))


def make_app() -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_Config()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=3979)
    args = p.parse_args(argv)
    print(json.dumps({"port": args.port}), flush=True)
    web.run_app(make_app(), host="127.0.0.1", port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
