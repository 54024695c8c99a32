"""A stand-in for the Bot Framework connector (the `serviceUrl` Teams gives a bot), on 127.0.0.1.

It records what a bot sends - replies, new messages, updates (PUT), new
conversations, roster look-ups and file-consent uploads - and can answer the
next N calls with an error (429 with Retry-After by default) to exercise retries.

Used by the Teams tests (in the test's event loop) and by the benchmarks (in a process of its own, counting
what it is sent: `python -m bench.fake_teams`).
"""
from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Sent:
    """One message the bot posted (`reply_to` set when it was a reply to an activity)."""

    conversation_id: str
    activity: dict
    id: str
    reply_to: str | None = None

    @property
    def card(self) -> dict | None:
        for a in self.activity.get("attachments") or []:
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return a.get("content")
        return None

    @property
    def text(self) -> str:
        """What a reader sees (markdown escapes undone)."""
        return unescape(self.raw_text)

    @property
    def raw_text(self) -> str:
        return card_text(self.card) if self.card else (self.activity.get("text") or "")


@dataclass
class Updated:
    conversation_id: str
    activity_id: str
    activity: dict

    @property
    def card(self) -> dict | None:
        for a in self.activity.get("attachments") or []:
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return a.get("content")
        return None

    @property
    def text(self) -> str:
        return unescape(self.raw_text)

    @property
    def raw_text(self) -> str:
        return card_text(self.card) if self.card else (self.activity.get("text") or "")


@dataclass
class Failure:
    remaining: int
    status: int
    retry_after: float | None
    method: str | None
    path_contains: str | None
    hang: float = 0.0


@dataclass
class FakeConnector:
    sent: list[Sent] = field(default_factory=list)
    updates: list[Updated] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)
    member_lookups: list[tuple[str, str]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    deleted: list[tuple[str, str]] = field(default_factory=list)
    # Every request as (method, path, status) in arrival order.
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    roster: dict[str, dict] = field(default_factory=dict)
    # Team id -> the user ids ("29:…", each in `roster`) of its members, read page by page (pagedmembers).
    teams: dict[str, list[str]] = field(default_factory=dict)
    record: bool = True
    # Answer roster look-ups for unknown users with a made-up member ("29:bench-7" -> bench-7@example.com).
    synthetic_roster: bool = False
    _failures: list[Failure] = field(default_factory=list)
    _hangs: list[Failure] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    runner: web.AppRunner | None = None
    url: str = ""

    # -- set-up used by tests -------------------------------------------------
    def add_member(self, user_id: str, *, name: str, aad: str, email: str | None = None, upn: str | None = None,
                   tenant: str = "", role: str = "user") -> None:
        """Someone the roster endpoint knows (looked up by the Teams user id "29:…" or the AAD object id)."""
        member = {"id": user_id, "name": name, "aadObjectId": aad, "email": email,
                  "userPrincipalName": upn or email, "tenantId": tenant, "userRole": role}
        self.roster[user_id] = member
        self.roster[aad] = member

    def fail_next(self, n: int = 1, *, status: int = 429, retry_after: float | None = 0.01, method: str | None = None,
                  path_contains: str | None = None) -> None:
        """Answer the next `n` matching calls with `status` (and a Retry-After header when given)."""
        self._failures.append(Failure(n, status, retry_after, method, path_contains))

    def hang_next(self, n: int = 1, *, seconds: float = 3.0, method: str | None = None,
                  path_contains: str | None = None) -> None:
        """Leave the next `n` matching calls unanswered for `seconds`, then answer 504 (nothing is recorded as
        sent): a connector that hangs."""
        self._hangs.append(Failure(n, 504, None, method, path_contains, hang=seconds))

    def reset(self) -> None:
        self.sent.clear()
        self.updates.clear()
        self.created.clear()
        self.member_lookups.clear()
        self.uploads.clear()
        self.calls.clear()

    # -- what tests read ----------------------------------------------------------
    def sent_to(self, conversation_id: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation_id == conversation_id]

    def texts(self, conversation_id: str | None = None) -> list[str]:
        return [s.text for s in self.sent if conversation_id is None or s.conversation_id == conversation_id]

    def updates_of(self, activity_id: str) -> list[Updated]:
        return [u for u in self.updates if u.activity_id == activity_id]

    # -- server -----------------------------------------------------------------------
    def _next_id(self) -> str:
        return f"{1700000000000 + next(self._ids)}"

    def _failure_for(self, request: web.Request) -> "web.Response | Failure | None":
        for f in self._hangs + self._failures:
            if f.remaining <= 0:
                continue
            if f.method and f.method != request.method:
                continue
            if f.path_contains and f.path_contains not in request.path:
                continue
            f.remaining -= 1
            if f.hang:
                return f
            headers = {"Retry-After": f"{f.retry_after:g}"} if f.retry_after is not None else {}
            return web.json_response({"error": {"code": "Throttled", "message": "slow down"}}, status=f.status,
                                     headers=headers)
        return None

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        failed = self._failure_for(request)
        if isinstance(failed, Failure):  # hangs, then gives up without doing anything
            await asyncio.sleep(failed.hang)
            failed = web.json_response({"error": {"code": "GatewayTimeout", "message": "no answer"}}, status=504)
        resp = failed if failed is not None else await handler(request)
        if self.record:
            self.calls.append((request.method, request.path, resp.status))
        return resp

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        mid = self._next_id()
        if self.record:
            self.sent.append(Sent(request.match_info["cid"], body, mid, request.match_info.get("reply_to")))
        return web.json_response({"id": mid})

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.json()
        aid = request.match_info["aid"]
        if self.record:
            self.updates.append(Updated(request.match_info["cid"], aid, body))
        return web.json_response({"id": aid})

    async def _delete(self, request: web.Request) -> web.Response:
        self.deleted.append((request.match_info["cid"], request.match_info["aid"]))
        return web.Response(status=200)

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.record:
            self.created.append(body)
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        if channel:
            cid = f"{channel};messageid={self._next_id()}"
        else:
            members = body.get("members") or [{}]
            cid = f"a:dm-{members[0].get('id', 'x')}"
        aid = self._next_id() if body.get("activity") else None
        if body.get("activity") and self.record:
            self.sent.append(Sent(cid, body["activity"], aid))
        return web.json_response({"id": cid, "activityId": aid, "serviceUrl": self.url})

    async def _member(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        self.member_lookups.append((request.match_info["cid"], uid))
        member = self.roster.get(uid)
        if member is None and self.synthetic_roster:
            name = uid.split(":", 1)[-1]
            member = {"id": uid, "name": name, "aadObjectId": f"aad-{name}", "email": f"{name}@example.com",
                      "userPrincipalName": f"{name}@example.com", "tenantId": "", "userRole": "user"}
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response(member)

    async def _paged(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        if cid not in self.teams:
            return web.json_response({"error": {"code": "BotNotInConversationRoster"}}, status=403)
        size = int(request.query.get("pageSize") or 100)
        start = int(request.query.get("continuationToken") or 0)
        ids = self.teams[cid][start:start + size]
        body: dict = {"members": [self.roster[i] for i in ids if i in self.roster]}
        if start + size < len(self.teams[cid]):
            body["continuationToken"] = str(start + size)
        return web.json_response(body)

    async def _inspect(self, request: web.Request) -> web.Response:
        """GET /_fake/cards?conversation=ID: the current card of every message posted there (benchmark set-up)."""
        base = request.query.get("conversation", "")
        latest = {u.activity_id: u.activity for u in self.updates}
        out = [{"id": s.id, "activity": latest.get(s.id, s.activity)} for s in self.sent
               if s.conversation_id.split(";messageid=")[0] == base]
        return web.json_response(out)

    async def _upload(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.uploads[name] = await request.read()
        return web.json_response({"id": f"file-{name}", "name": name}, status=201)

    def web_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=32 * 1024 * 1024)
        r = app.router
        r.add_post("/v3/conversations", self._create)
        r.add_post("/v3/conversations/{cid}/activities", self._send)
        r.add_post("/v3/conversations/{cid}/activities/{reply_to}", self._send)
        r.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        r.add_delete("/v3/conversations/{cid}/activities/{aid}", self._delete)
        r.add_get("/v3/conversations/{cid}/members/{uid}", self._member)
        r.add_get("/v3/conversations/{cid}/pagedmembers", self._paged)
        r.add_put("/upload/{name}", self._upload)
        r.add_get("/_fake/cards", self._inspect)
        return app

    async def start(self, port: int = 0) -> "FakeConnector":
        self.runner = web.AppRunner(self.web_app(), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # the port the OS chose
        self.url = f"http://127.0.0.1:{bound}/"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


def unescape(text: str) -> str:
    """Markdown text as Teams shows it: backslash escapes undone, paragraph breaks as line breaks."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u200b", "").replace("\n\n", "\n")


def card_text(card: dict | None) -> str:
    """Every TextBlock / fact / action title of an Adaptive Card, one per line (for assertions)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            t = node.get("type")
            if t == "TextBlock":
                out.append(str(node.get("text", "")))
            elif t == "FactSet":
                out.extend(f"{f.get('title')}: {f.get('value')}" for f in node.get("facts", []))
            elif isinstance(t, str) and t.startswith("Action.") and node.get("title"):
                out.append(f"[{node['title']}]")
            elif isinstance(t, str) and t.startswith("Input.") and node.get("label"):
                out.append(f"<{node['label']}>")
            for k, v in node.items():
                if k not in ("data",):
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return "\n".join(out)


def card_actions(card: dict | None) -> list[dict]:
    """Every Action.Execute / Action.Submit in a card (including those inside Action.ShowCard)."""
    found: list[dict] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("Action.Execute", "Action.Submit"):
                found.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return found
