"""GET /digest/funnel/{run id}.png?t=TOKEN: the funnel picture of one digest, served by aiom itself.

The picture is drawn from the run's snapshot (counts by stage), so nothing is stored but the numbers. The token
(random, kept in the snapshot) makes the address unguessable; a wrong token or unknown run is a 404.
"""
from __future__ import annotations

import hmac

from aiohttp import web

from conversations.labels import stage_label
from notifications.digest import funnel
from storage.repo import digest_runs

ROUTE = "/digest/funnel/{run_id:\\d+}.png"


def picture(policy, snapshot: dict) -> bytes:
    stages = snapshot.get("stages") or {}
    return funnel.render([(stage_label(policy, s), int(stages.get(s, 0))) for s in policy.stage_keys])


def add_routes(web_app: web.Application, app_key) -> None:
    async def handler(request: web.Request) -> web.Response:
        app = request.app[app_key]
        token = request.query.get("t", "")
        async with app.db.read() as s:
            run = await digest_runs.get(s, int(request.match_info["run_id"]))
        expected = str((run.snapshot or {}).get("funnel_token", "")) if run is not None else ""
        if not expected or not hmac.compare_digest(expected, token):
            raise web.HTTPNotFound()
        return web.Response(body=picture(app.policy, run.snapshot), content_type="image/png",
                            headers={"Cache-Control": "private, max-age=86400"})

    web_app.router.add_get(ROUTE, handler)
