"""GET /digest/chart/{run id}/{chart}.png?t=TOKEN: a digest's chart, served by aiom itself (AIOM_PUBLIC_URL).

The chart is drawn from the kept figures (the run's snapshot and those of the periods before it), so nothing
is stored but the numbers. The token (random, kept in the snapshot) makes the address unguessable; a wrong
token, an unknown run or chart is a 404. /digest/funnel/{run id}.png, the address of digests sent before the
charts, serves the portfolio-by-stage chart.
"""
from __future__ import annotations

import asyncio
import hmac
from typing import Callable
from zoneinfo import ZoneInfo

from aiohttp import web

from notifications.digest import history, schedule
from notifications.digest.runs import leadership_channel
from notifications.services import Services
from storage.repo import digest_runs

ROUTE = "/digest/chart/{run_id:\\d+}/{name:[a-z]+}.png"
OLD_ROUTE = "/digest/funnel/{run_id:\\d+}.png"
CHARTS = ("stages", "trend", "health")


async def picture(services: Services, run, name: str) -> bytes:
    sched = next((d for d in services.policy.digests if d.key == run.digest_key), None)
    tz = ZoneInfo(sched.timezone if sched else "UTC")
    async with services.db.read() as s:
        earlier = await history.past(s, run.digest_key, schedule.parse_period(run.period))
    visible = leadership_channel(services.policy, run.platform, run.channel)
    drawn = await asyncio.to_thread(history.all_charts, services.policy, [*earlier, run.snapshot], tz, visible)
    return next(c.png for c in drawn if c.name == name)


def add_routes(web_app: web.Application, services_of: Callable[[], Services]) -> None:
    """`services_of()`: the running application's services (asked at each request: built when it starts)."""
    async def serve(request: web.Request, name: str) -> web.Response:
        services = services_of()
        token = request.query.get("t", "")
        async with services.db.read() as s:
            run = await digest_runs.get(s, int(request.match_info["run_id"]))
        snap = (run.snapshot or {}) if run is not None else {}
        expected = str(snap.get("funnel_token", ""))
        if name not in CHARTS or "stages" not in snap or not expected or not hmac.compare_digest(expected, token):
            raise web.HTTPNotFound()
        return web.Response(body=await picture(services, run, name), content_type="image/png",
                            headers={"Cache-Control": "private, max-age=86400"})

    async def chart(request: web.Request) -> web.Response:
        return await serve(request, request.match_info["name"])

    async def funnel(request: web.Request) -> web.Response:
        return await serve(request, "stages")

    web_app.router.add_get(ROUTE, chart)
    web_app.router.add_get(OLD_ROUTE, funnel)
