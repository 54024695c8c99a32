"""A local stand-in for Slack's Web API (127.0.0.1, random port), in the style of bolt-python's
tests/mock_web_api_server: it records every call and answers plausibly.

- `users` are the workspace's people (users.info, users.lookupByEmail); `fail_next(method, n)` answers the
  next n calls to a method with HTTP 429 and Retry-After (or another status).
- Every message, modal and home tab is checked against Block Kit's limits; a violation is answered like
  Slack does (`invalid_blocks`) and recorded in `violations`, which the tests assert empty.
- Run on its own for benchmarks: `python -m tests.support.fake_slack --port 8765`.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import web

from tests.support.block_kit import _strings, check_message, check_view, mrkdwn_strings  # noqa: F401

HOME_TEAM = "T0HOME"
BOT_USER = "UBOT"
BOT_ID = "BBOT"


@dataclass
class Call:
    method: str
    args: dict
    headers: dict
    status: int = 200
    result: dict = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    def __getitem__(self, key):
        return self.args[key]

    def get(self, key, default=None):
        return self.args.get(key, default)


@dataclass
class FakeUser:
    id: str
    email: str | None
    name: str
    tz: str = "Europe/London"
    team_id: str = HOME_TEAM
    is_bot: bool = False


@dataclass
class Failure:
    remaining: int
    status: int = 429
    retry_after: int = 1


@dataclass
class FakeSlack:
    users: dict[str, FakeUser] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    failures: dict[str, Failure] = field(default_factory=dict)
    record: bool = True
    latency: float = 0.0
    # User groups: id -> {"handle": ..., "name": ..., "users": [user ids]}; scopes the app was not granted.
    usergroups: dict[str, dict] = field(default_factory=dict)
    missing_scopes: set[str] = field(default_factory=set)

    def __post_init__(self):
        self._tsn = itertools.count(1)
        self._views = itertools.count(1)
        self._changed = asyncio.Event() if _loop_running() else None
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.counts: dict[str, int] = {}
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: list[dict] = []
        self.uploads: dict[str, bytes] = {}  # file id -> the bytes uploaded to files.getUploadURLExternal's URL

    # -- setup ----------------------------------------------------------------------
    def add_user(self, uid: str, email: str | None, name: str = "", *, tz: str = "Europe/London",
                 team_id: str = HOME_TEAM, is_bot: bool = False) -> FakeUser:
        u = FakeUser(uid, email, name or (email or uid).split("@")[0].replace(".", " ").title(), tz, team_id, is_bot)
        self.users[uid] = u
        return u

    def fail_next(self, method: str, n: int = 1, *, status: int = 429, retry_after: int = 1) -> None:
        self.failures[method] = Failure(n, status, retry_after)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> "FakeSlack":
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/_stats", self._stats)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    # -- looking at what happened ------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def attempts(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages(self) -> list[Call]:
        return [c for c in self.calls if c.status == 200 and c.method in ("chat.postMessage", "chat.update",
                                                                          "chat.postEphemeral", "respond")]

    def texts(self, calls: list[Call] | None = None) -> list[str]:
        """Every text string sent in the given calls (blocks, fallback text, modal), for assertions."""
        out: list[str] = []
        for c in self.calls if calls is None else calls:
            _strings(c.args, out)
        return out

    def seen_text(self, calls: list[Call] | None = None) -> str:
        return "\n".join(self.texts(calls))

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while len(self.calls_to(method)) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"expected {count} {method} calls, saw {len(self.calls_to(method))}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass
        return self.calls_to(method)

    def mark(self) -> int:
        return len(self.calls)

    def since(self, mark: int) -> list[Call]:
        return self.calls[mark:]

    # -- the server ---------------------------------------------------------------------
    async def _args(self, request: web.Request) -> dict:
        args: dict = dict(request.query)
        if request.can_read_body:
            raw = await request.read()
            ctype = request.content_type
            if ctype == "application/json":
                args.update(json.loads(raw or b"{}"))
            elif ctype == "application/x-www-form-urlencoded":
                args.update(dict(parse_qsl(raw.decode())))
            elif ctype.startswith("multipart/"):
                args["_multipart"] = True
        for key in ("blocks", "view", "files"):
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    pass
        return args

    def _record(self, call: Call) -> None:
        self.counts[call.method] = self.counts.get(call.method, 0) + 1
        if self.record:
            self.calls.append(call)
        if self._changed is not None:
            self._changed.set()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        auth = request.headers.get("Authorization", "")
        fail = self.failures.get(method)
        if fail is not None and fail.remaining > 0:
            fail.remaining -= 1
            self._record(Call(method, args, headers, fail.status))
            hdrs = {"Retry-After": str(fail.retry_after)} if fail.status == 429 else {}
            body = {"ok": False, "error": "ratelimited" if fail.status == 429 else "internal_error"}
            return web.json_response(body, status=fail.status, headers=hdrs)
        call = Call(method, args, headers)
        if self.latency:
            await asyncio.sleep(self.latency)
        if method != "apps.connections.open" and not auth.startswith("Bearer xoxb-"):
            call.result = {"ok": False, "error": "not_authed"}
        else:
            handler = getattr(self, "m_" + method.replace(".", "_"), None)
            call.result = handler(args) if handler is not None else {"ok": True}
        self._record(call)
        return web.json_response(call.result)

    async def _stats(self, request: web.Request) -> web.Response:
        """Calls per method so far (benchmarks count completed effects without recording every call)."""
        return web.json_response({"counts": self.counts, "violations": len(self.violations)})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then relay envelopes the test sends and record the app's acks."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        self._record(Call("socket.connect", {}, dict(request.headers)))
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AAIOM"},
                            "debug_info": {"host": "fake", "approximate_connection_time": 3600}})
        async for msg in ws:
            if msg.type == 1:  # WSMsgType.TEXT
                self.socket_acks.append(json.loads(msg.data))
                self._changed.set()
        return ws

    async def socket_send(self, envelope: dict, timeout: float = 10.0) -> dict:
        """Send one Socket Mode envelope and wait for the app's acknowledgement of it."""
        deadline = time.monotonic() + timeout
        while not self.sockets and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await self.sockets[-1].send_json(envelope)
        while time.monotonic() < deadline:
            ack = next((a for a in self.socket_acks if a.get("envelope_id") == envelope["envelope_id"]), None)
            if ack is not None:
                return ack
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass
        raise AssertionError(f"no acknowledgement for envelope {envelope['envelope_id']}")

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.uploads[request.match_info["file_id"]] = data
        self._record(Call("upload", {"file_id": request.match_info["file_id"], "bytes": len(data)}, {}))
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _respond(self, request: web.Request) -> web.Response:
        args = json.loads(await request.read() or b"{}")
        args["_key"] = request.match_info["key"]
        problems = check_message(args)
        self._record(Call("respond", args, dict(request.headers)))
        self.violations.extend(f"respond: {p}" for p in problems)
        return web.json_response({"ok": not problems})

    # -- methods --------------------------------------------------------------------------
    def _user_json(self, u: FakeUser) -> dict:
        profile = {"real_name": u.name, "display_name": u.name.split(" ")[0]}
        if u.email:
            profile["email"] = u.email
        return {"id": u.id, "team_id": u.team_id, "name": u.name.lower().replace(" ", "."), "real_name": u.name,
                "tz": u.tz, "is_bot": u.is_bot, "deleted": False, "profile": profile}

    def m_auth_test(self, a: dict) -> dict:
        return {"ok": True, "url": "https://aiom-test.slack.com/", "team": "Test", "user": "aiom",
                "team_id": HOME_TEAM, "user_id": BOT_USER, "bot_id": BOT_ID}

    def m_users_info(self, a: dict) -> dict:
        u = self.users.get(a.get("user", ""))
        return {"ok": True, "user": self._user_json(u)} if u else {"ok": False, "error": "user_not_found"}

    def m_users_lookupByEmail(self, a: dict) -> dict:
        email = (a.get("email") or "").lower()
        u = next((u for u in self.users.values() if u.email == email), None)
        return {"ok": True, "user": self._user_json(u)} if u else {"ok": False, "error": "users_not_found"}

    def add_usergroup(self, gid: str, handle: str, users: list[str], name: str = "") -> dict:
        self.usergroups[gid] = {"id": gid, "handle": handle, "name": name or handle, "users": list(users)}
        return self.usergroups[gid]

    def _scope(self, scope: str) -> dict | None:
        return {"ok": False, "error": "missing_scope", "needed": scope} if scope in self.missing_scopes else None

    def m_usergroups_list(self, a: dict) -> dict:
        return self._scope("usergroups:read") or {
            "ok": True, "usergroups": [{k: v for k, v in g.items() if k != "users"} for g in self.usergroups.values()]}

    def m_usergroups_users_list(self, a: dict) -> dict:
        g = self.usergroups.get(a.get("usergroup", ""))
        if g is None:
            return self._scope("usergroups:read") or {"ok": False, "error": "no_such_subteam"}
        return self._scope("usergroups:read") or {"ok": True, "users": list(g["users"])}

    def m_conversations_open(self, a: dict) -> dict:
        return {"ok": True, "channel": {"id": "D" + str(a.get("users", "")).lstrip("UW")}}

    def _ts(self) -> str:
        n = next(self._tsn)
        return f"{1_800_000_000 + n}.{n:06d}"

    def _message_call(self, method: str, a: dict) -> dict | None:
        problems = check_message(a)
        if problems:
            self.violations.extend(f"{method}: {p}" for p in problems)
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        return None

    def m_chat_postMessage(self, a: dict) -> dict:
        bad = self._message_call("chat.postMessage", a)
        if bad:
            return bad
        ts = self._ts()
        return {"ok": True, "channel": a.get("channel"), "ts": ts,
                "message": {"ts": ts, "text": a.get("text"), "thread_ts": a.get("thread_ts")}}

    def _posted(self, channel: str) -> list[dict]:
        """What the bot posted in `channel`, newest first, as conversations.history lists it (with metadata)."""
        out = []
        for c in self.calls:
            if c.method == "chat.postMessage" and c.status == 200 and (c.result or {}).get("ok") \
                    and c.args.get("channel") == channel:
                m = {"ts": c.result["ts"], "text": c.args.get("text", ""), "bot_id": "BAIOM"}
                if c.args.get("thread_ts"):
                    m["thread_ts"] = c.args["thread_ts"]
                if c.args.get("metadata"):
                    m["metadata"] = c.args["metadata"]
                out.append(m)
        return out[::-1]

    def m_conversations_history(self, a: dict) -> dict:
        msgs = [m for m in self._posted(str(a.get("channel", ""))) if not m.get("thread_ts")]
        return {"ok": True, "messages": msgs[: int(a.get("limit") or 100)], "has_more": False}

    def m_conversations_replies(self, a: dict) -> dict:
        msgs = [m for m in self._posted(str(a.get("channel", ""))) if m.get("thread_ts") == a.get("ts")]
        return {"ok": True, "messages": msgs[: int(a.get("limit") or 100)], "has_more": False}

    def m_chat_update(self, a: dict) -> dict:
        return self._message_call("chat.update", a) or {"ok": True, "channel": a.get("channel"), "ts": a.get("ts")}

    def m_chat_postEphemeral(self, a: dict) -> dict:
        return self._message_call("chat.postEphemeral", a) or {"ok": True, "message_ts": self._ts()}

    def _view_call(self, method: str, a: dict) -> dict:
        view = a.get("view") or {}
        problems = check_view(view)
        if problems:
            self.violations.extend(f"{method}: {p}" for p in problems)
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}}
        return {"ok": True, "view": {**view, "id": f"V{next(self._views):08d}", "hash": "h1"}}

    def m_views_open(self, a: dict) -> dict:
        if not a.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return self._view_call("views.open", a)

    def m_views_publish(self, a: dict) -> dict:
        return self._view_call("views.publish", a)

    def m_views_update(self, a: dict) -> dict:
        return self._view_call("views.update", a)

    def m_files_getUploadURLExternal(self, a: dict) -> dict:
        fid = f"F{next(self._views):08d}"
        return {"ok": True, "upload_url": f"{self.root}/upload/{fid}", "file_id": fid}

    def m_files_completeUploadExternal(self, a: dict) -> dict:
        files = a.get("files") or []
        return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}

    def m_apps_connections_open(self, a: dict) -> dict:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False


async def _serve(port: int, users: int) -> None:
    fake = FakeSlack(record=False)
    for i in range(users):
        fake.add_user(f"U{i:06d}", f"user{i}@example.com", f"User {i}")
    await fake.start(port)
    print(json.dumps({"url": fake.base_url, "root": fake.root}), flush=True)
    await asyncio.Event().wait()


def main() -> None:
    ap = argparse.ArgumentParser(description="a fake Slack Web API for benchmarks")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--users", type=int, default=2000)
    args = ap.parse_args()
    try:
        asyncio.run(_serve(args.port, args.users))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
