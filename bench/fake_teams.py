"""The fake Bot Framework connector the tests use, in its own process, counting what it is sent.

    python -m bench.fake_teams --port 0

It is `tests.support.fake_connector.FakeConnector` (with the synthetic roster the benchmarks need, and its
`/_fake/cards` view for set-up) plus `GET /_stats`: requests so far by method and route
(`"PUT /v3/conversations/{cid}/activities/{aid}"`: a card updated in place; `"POST
/v3/conversations/{cid}/activities/{reply_to}"`: a reply), so effects are counted without reading every call.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys

from aiohttp import web

from tests.support.fake_connector import FakeConnector

UPDATE = "PUT /v3/conversations/{cid}/activities/{aid}"
REPLY = "POST /v3/conversations/{cid}/activities/{reply_to}"


class CountingConnector(FakeConnector):
    def web_app(self) -> web.Application:
        app = super().web_app()
        self.counts: dict[str, int] = {}

        @web.middleware
        async def count(request: web.Request, handler):
            resp = await handler(request)
            route = request.match_info.route.resource
            if route is not None and resp.status < 300:
                key = f"{request.method} {route.canonical}"
                self.counts[key] = self.counts.get(key, 0) + 1
            return resp

        app.middlewares.append(count)
        app.router.add_get("/_stats", self._stats)
        return app

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"counts": self.counts})


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args(argv)

    async def run() -> None:
        fake = CountingConnector(synthetic_roster=True)
        await fake.start(args.port)
        print(json.dumps({"url": fake.url, "root": fake.url.rstrip("/")}), flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
