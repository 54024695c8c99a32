"""The Teams peer: a bare botbuilder CloudAdapter echo bot (auth off), unmodified.

This is the botbuilder sample's shape: an aiohttp app, `CloudAdapter` with
`ConfigurationBotFrameworkAuthentication`, and an `ActivityHandler` that answers
every message with one reply through the connector (the same fake aiom uses).

    python -m bench.peers.teams_echo --port 3979 [--pooled]

`--pooled` runs the same echo bot with aiom's authentication wrapper (bot/teams/auth.py): connector
clients built once per serviceUrl and one pooled aiohttp session, and nothing else changed. It isolates
the per-turn cost aiom removes from the stock adapter.
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


def make_app(pooled: bool = False) -> web.Application:
    if pooled:
        from bot.teams.auth import AiomBotFrameworkAuthentication, BotFrameworkConfig
        from bot.teams.connector import ConnectorPool

        auth = AiomBotFrameworkAuthentication(BotFrameworkConfig(None, None, "MultiTenant", None), ConnectorPool())
    else:
        auth = ConfigurationBotFrameworkAuthentication(_Config())
    adapter = CloudAdapter(auth)
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=3979)
    p.add_argument("--pooled", action="store_true", help="use aiom's pooled connector clients")
    args = p.parse_args(argv)
    print(json.dumps({"port": args.port}), flush=True)
    web.run_app(make_app(args.pooled), host="127.0.0.1", port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
