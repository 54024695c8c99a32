"""Liveness and readiness, for Kubernetes, Docker and load balancers.

- `GET /livez`: the process and its event loop are alive (a heartbeat the loop stamps every second is
  fresh, and no background task - outbox dispatcher - has died). Never touches the database, so a database
  outage does not get every pod restarted.
- `GET /readyz`: ready for traffic: the database answers, its schema is at this release's migration head,
  every configured platform is attached, and the process is not shutting down (after SIGTERM it answers
  503 at once, so the load balancer stops sending before the listener closes).
"""
from __future__ import annotations

import asyncio
import time

from aiohttp import web

from bot.wiring import PLATFORMS

HEARTBEAT_SECONDS = 1.0
STALE_SECONDS = 15.0


class Health:
    def __init__(self, app) -> None:
        self.app = app
        self.stopping = False
        self.beat = time.monotonic()
        self._at_head = False
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._heartbeat(), name="heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _heartbeat(self) -> None:
        while True:
            self.beat = time.monotonic()
            await asyncio.sleep(HEARTBEAT_SECONDS)

    def live(self) -> tuple[bool, dict]:
        age = time.monotonic() - self.beat if self._task is not None else 0.0
        dead = [t.get_name() for t in getattr(self.app, "_tasks", []) if t.done() and not t.cancelled()]
        ok = age < STALE_SECONDS and not dead
        body = {"status": "alive" if ok else "unhealthy", "loop_heartbeat_age_seconds": round(age, 3)}
        if dead:
            body["stopped_tasks"] = dead
        return ok, body

    async def ready(self) -> tuple[bool, dict]:
        from storage.migrate import current_revision, head_revision

        problems: list[str] = []
        if self.stopping:
            problems.append("shutting down")
        db_ok = await self.app.db.ping()
        if not db_ok:
            problems.append("database unreachable")
        elif not self._at_head:
            try:
                current = await asyncio.wait_for(current_revision(self.app.db), 5)
                self._at_head = current == head_revision()
                if not self._at_head:
                    problems.append(f"database schema at {current or 'nothing'}, this release needs "
                                    f"{head_revision()}")
            except Exception as e:
                problems.append(f"cannot read the schema version ({type(e).__name__})")
        s = self.app.settings
        wanted = {p.name for p in PLATFORMS if p.enabled(s)}
        missing = sorted(wanted - set(self.app.deliverers))
        if missing:
            problems.append("platforms not attached: " + ", ".join(missing))
        if getattr(self.app, "engine", None) is None:
            problems.append("not started")
        body = {"status": "ready" if not problems else "not ready",
                "database": "reachable" if db_ok else "unreachable",
                "platforms": sorted(p for p in self.app.deliverers if p != "console")}
        if problems:
            body["problems"] = problems
        return not problems, body


HEALTH_KEY = web.AppKey("health", Health)


async def livez(request: web.Request) -> web.Response:
    ok, body = request.app[HEALTH_KEY].live()
    return web.json_response(body, status=200 if ok else 503)


async def readyz(request: web.Request) -> web.Response:
    ok, body = await request.app[HEALTH_KEY].ready()
    return web.json_response(body, status=200 if ok else 503)


def add_routes(web_app: web.Application, health: Health) -> None:
    web_app[HEALTH_KEY] = health
    web_app.router.add_get("/livez", livez)
    web_app.router.add_get("/readyz", readyz)
