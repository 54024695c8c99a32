"""`python -m bench.faults`: kill -9 `aiom serve` in the middle of a burst, restart it, and count what was lost.

A real `aiom serve` process (Slack over HTTP with signed requests, Teams anonymous) on a database, pointed at a
fake Slack Web API and a fake Bot Framework connector on 127.0.0.1. A burst of Slack DMs, Slack button clicks
and Teams messages goes out `concurrency` at a time; once `kill_after` requests have been acknowledged the
process is SIGKILLed. A new process starts on the same database; every request that was not acknowledged is
sent again (as the platforms retry), then the rest of the burst. When the journal has nothing left to replay
and nothing left to send, it counts, per request:

- acknowledged: answered 200 (in either life);
- recorded: its inbound entry is finished (outcome "done") - exactly once, as the key is unique;
- lost: acknowledged but not recorded;
- replies: what each person received (every request here is answered with exactly one message);
  replies_lost = requests without their answer, duplicates = answers beyond one per request.

Duplicates can only come from the window aiom documents (docs/durable-intake.md): a reply sent, then the
process killed before the send was stamped.

    python -m bench.faults --database sqlite --users 20 --each 5 --runs 3
    python -m bench.faults --database postgresql://postgres@127.0.0.1:5432/test --runs 3
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Request:
    key: str  # the journal key aiom gives it
    platform: str
    user: int
    path: str
    body: bytes
    content_type: str
    acked: bool = False
    sent: int = 0


@dataclass
class Run:
    requests: list[Request]
    killed_after: int = 0
    in_flight_at_kill: int = 0
    counts: dict = field(default_factory=dict)


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _env(db_url: str, port: int, slack_url: str, lease: float) -> dict[str, str]:
    from tests.support import slack_signing  # noqa: PLC0415

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "MICROSOFT_", "AIOM_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update({"DATABASE_URL": db_url, "AIOM_PORT": str(port), "AIOM_HOST": "127.0.0.1",
                "SLACK_BOT_TOKEN": "xoxb-fault-test", "SLACK_SIGNING_SECRET": slack_signing.SECRET,
                "SLACK_API_URL": slack_url, "AIOM_TEAMS_ANONYMOUS": "1", "AIOM_INTAKE_LEASE_SECONDS": str(lease),
                "AIOM_LOG_LEVEL": "WARNING"})
    return env


async def _start(db_url: str, slack_url: str, lease: float, log: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=_env(db_url, port, slack_url, lease),
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"aiom serve exited with {proc.returncode}; see {log}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return proc, port
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"aiom serve did not come up; see {log}")


def _burst(users: int, each: int, teams_url: str, seed: int) -> list[Request]:
    from tests.support.fake_slack import BOT_USER, HOME_TEAM  # noqa: PLC0415
    from tests.support.teams_activities import TENANT, TeamsUser, message  # noqa: PLC0415

    out: list[Request] = []
    for u in range(users):
        uid, channel = f"U{u:04d}", f"D{u:04d}"
        for n in range(each):
            ts = f"{1_700_000_000 + u * 1000 + n}.000100"
            event = {"type": "message", "channel": channel, "user": uid, "text": "help", "ts": ts,
                     "channel_type": "im", "team": HOME_TEAM}
            env = {"token": "x", "team_id": HOME_TEAM, "api_app_id": "AAIOM", "type": "event_callback",
                   "event": event, "event_id": f"EvF{u:04d}{n:04d}", "event_time": int(time.time()),
                   "authorizations": [{"team_id": HOME_TEAM, "user_id": BOT_USER, "is_bot": True}]}
            out.append(Request(f"EvF{u:04d}{n:04d}", "slack", u, "/slack/events", json.dumps(env).encode(),
                               "application/json"))
            click_ts = f"{1_600_000_000 + u * 1000 + n}.000200"
            action = {"type": "button", "action_id": "status.mine#0", "value": "{}",
                      "action_ts": f"{1_750_000_000 + n}.{u:06d}"}
            payload = {"type": "block_actions", "user": {"id": uid, "team_id": HOME_TEAM, "name": uid},
                       "team": {"id": HOME_TEAM}, "trigger_id": f"{u}.{n}.t",
                       "container": {"type": "message", "message_ts": click_ts, "channel_id": channel,
                                     "is_ephemeral": False},
                       "channel": {"id": channel, "name": "directmessage"},
                       "message": {"ts": click_ts, "text": "menu"}, "actions": [action]}
            key = f"act:{click_ts}:{action['action_ts']}:{uid}:{action['action_id']}"
            out.append(Request(key, "slack", u, "/slack/events",
                               urlencode({"payload": json.dumps(payload)}).encode(),
                               "application/x-www-form-urlencoded"))
            who = TeamsUser(name=f"Person {u}", email=f"p{u}@example.com", aad=f"aad-{u:04d}", tenant=TENANT)
            act = message(who, "help", service_url=teams_url, activity_id=f"{1_700_000_000_000 + u * 1000 + n}")
            out.append(Request(f"a:personal-{who.aad}|{act['id']}", "teams", u, "/api/messages",
                               json.dumps(act).encode(), "application/json"))
    random.Random(seed).shuffle(out)
    return out


def _headers(r: Request) -> dict[str, str]:
    if r.platform == "teams":
        return {"Content-Type": r.content_type}
    from tests.support import slack_signing  # noqa: PLC0415

    h = slack_signing.headers(r.body.decode(), r.content_type)
    if r.sent:
        h.update({"X-Slack-Retry-Num": str(r.sent), "X-Slack-Retry-Reason": "http_error"})
    return h


async def _send(http: aiohttp.ClientSession, port: int, r: Request) -> bool:
    r.sent += 1
    try:
        async with http.post(f"http://127.0.0.1:{port}{r.path}", data=r.body, headers=_headers(r),
                             timeout=aiohttp.ClientTimeout(total=15)) as resp:
            await resp.read()
            if resp.status == 200:
                r.acked = True
                return True
    except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError):
        pass
    return False


async def _drive(port: int, todo: list[Request], concurrency: int, stop_after: int | None,
                 proc: subprocess.Popen | None, fault=None) -> int:
    """Send `todo`; with `stop_after`, SIGKILL `proc` once that many were acknowledged (or, with `fault`, run that
    coroutine function instead and keep sending). Returns requests in flight at that moment."""
    queue: asyncio.Queue[Request] = asyncio.Queue()
    for r in todo:
        queue.put_nowait(r)
    acked = 0
    in_flight = 0
    killed = asyncio.Event()
    at_kill = 0

    faulted: list[asyncio.Task] = []

    async def worker(http):
        nonlocal acked, in_flight, at_kill
        while not queue.empty() and not (killed.is_set() and fault is None):
            r = queue.get_nowait()
            in_flight += 1
            ok = await _send(http, port, r)
            in_flight -= 1
            if ok:
                acked += 1
                if stop_after is not None and acked >= stop_after and not killed.is_set():
                    at_kill = in_flight
                    killed.set()
                    if fault is None:
                        proc.send_signal(signal.SIGKILL)
                    else:
                        faulted.append(asyncio.ensure_future(fault()))
            if fault is not None and killed.is_set():
                await asyncio.sleep(0.01)  # keep a steady stream through the outage

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    for t in faulted:
        await t
    return at_kill


async def _quiet(db_url: str, timeout: float) -> dict:
    """Wait until nothing is left to replay, to send or in the outbox; the journal's final state."""
    from sqlalchemy import func, select  # noqa: PLC0415

    from storage.db import Database  # noqa: PLC0415
    from storage.tables import InboundEntry, Outbox  # noqa: PLC0415

    db = Database(db_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            async with db.read() as s:
                E = InboundEntry
                open_ = (await s.execute(select(func.count()).select_from(E).where(E.done_at.is_(None)))).scalar_one()
                unsent = (await s.execute(select(func.count()).select_from(E).where(
                    E.done_at.is_not(None), E.reply.is_not(None), E.replied_at.is_(None)))).scalar_one()
                pending = (await s.execute(select(func.count()).select_from(Outbox).where(
                    Outbox.status == "pending"))).scalar_one()
                if (open_ == unsent == pending == 0) or time.monotonic() > deadline:
                    rows = (await s.execute(select(E.platform, E.event_id, E.outcome, E.attempts))).all()
                    return {"open": open_, "unsent": unsent, "outbox_pending": pending,
                            "entries": {(p, k): (o, a) for p, k, o, a in rows}}
            await asyncio.sleep(0.5)
    finally:
        await db.dispose()


APOLOGY = "Sorry, something went wrong"  # conversations/engine.py SORRY: a turn that failed, replayed later


def _replies(fake_slack, fake_teams, apologies: dict | None = None) -> dict[tuple[str, int], int]:
    """Answers per (platform, person): Slack posts, ephemerals and in-place updates in the person's DM; Teams
    messages in their personal chat. Apologies for a turn that failed (the database away) are counted apart,
    in `apologies`: the turn is replayed and answered afterwards."""
    out: dict[tuple[str, int], int] = {}
    apologies = apologies if apologies is not None else {}
    for c in fake_slack.calls:
        if c.method in ("chat.postMessage", "chat.postEphemeral", "chat.update") and c.status == 200 \
                and (c.result or {}).get("ok"):
            ch = str(c.args.get("channel", ""))
            if ch.startswith("D") and ch[1:].isdigit():
                into = apologies if APOLOGY in str(c.args.get("text", "")) else out
                into[("slack", int(ch[1:]))] = into.get(("slack", int(ch[1:])), 0) + 1
    for s in fake_teams.sent:
        if s.conversation_id.startswith("a:personal-aad-"):
            u = int(s.conversation_id.rsplit("-", 1)[1])
            into = apologies if APOLOGY in s.text else out
            into[("teams", u)] = into.get(("teams", u), 0) + 1
    return out


async def crash_run(db_url: str, *, users: int = 10, each: int = 3, concurrency: int = 16,
                    kill_fraction: float = 0.4, lease: float = 2.0, seed: int = 1,
                    workdir: Path | None = None, restart_database=None) -> dict:
    """With `restart_database` (a coroutine function), the database is restarted mid-burst instead of aiom
    being killed; aiom keeps running, and what it could not journal it answered 503 (re-sent afterwards)."""
    from tests.support.fake_connector import FakeConnector  # noqa: PLC0415
    from tests.support.fake_slack import FakeSlack  # noqa: PLC0415
    from tests.support.teams_activities import TENANT  # noqa: PLC0415

    workdir = workdir or Path(tempfile.mkdtemp(prefix="aiom-faults-"))
    log = workdir / "serve.log"
    fake_slack = await FakeSlack().start()
    fake_teams = await FakeConnector().start()
    try:
        for u in range(users):
            fake_slack.add_user(f"U{u:04d}", f"p{u}@example.com", f"Person {u}")
            fake_teams.add_member(f"29:aad-{u:04d}", name=f"Person {u}", aad=f"aad-{u:04d}",
                                  email=f"p{u}@example.com", tenant=TENANT)
        burst = _burst(users, each, fake_teams.url, seed)
        started = time.monotonic()
        proc, port = await _start(db_url, fake_slack.base_url, lease, log)
        kill_after = max(1, int(len(burst) * kill_fraction))
        at_kill = await _drive(port, burst, concurrency, kill_after, proc, fault=restart_database)
        acked_first = sum(r.acked for r in burst)
        if restart_database is None:
            if proc.poll() is None:  # the burst ended before the kill point: kill it now
                await asyncio.sleep(2)
                proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            proc, port = await _start(db_url, fake_slack.base_url, lease, log)
        try:
            retries = [r for r in burst if not r.acked]
            await _drive(port, retries, concurrency, None, None)
            final = await _quiet(db_url, timeout=max(90.0, lease * 10))  # returns as soon as all is settled
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        entries = final["entries"]
        acked = [r for r in burst if r.acked]
        recorded = [r for r in acked if entries.get((r.platform, r.key), ("", 0))[0] == "done"]
        expected: dict[tuple[str, int], int] = {}
        for r in acked:
            expected[(r.platform, r.user)] = expected.get((r.platform, r.user), 0) + 1
        apologies: dict = {}
        got = _replies(fake_slack, fake_teams, apologies)  # every DM, click and Teams message: one answer
        lost_replies = sum(max(0, n - got.get(k, 0)) for k, n in expected.items())
        duplicates = sum(max(0, got.get(k, 0) - n) for k, n in expected.items())
        dup_by = {p: sum(max(0, got.get(k, 0) - n) for k, n in expected.items() if k[0] == p)
                  for p in ("slack", "teams")}
        replayed = sum(1 for r in acked if entries.get((r.platform, r.key), ("", 1))[1] > 1)
        return {"requests": len(burst), "acknowledged_before_kill": acked_first, "in_flight_at_kill": at_kill,
                "acknowledged": len(acked), "recorded_once": len(recorded), "lost": len(acked) - len(recorded),
                "replies_expected": sum(expected.values()), "replies_delivered": sum(got.values()),
                "replies_lost": lost_replies, "duplicate_replies": duplicates,
                "apologies": sum(apologies.values()),
                "duplicates_slack": dup_by["slack"], "duplicates_teams": dup_by["teams"], "entries_replayed": replayed,
                "left_open": final["open"], "left_unsent": final["unsent"],
                "outbox_pending": final["outbox_pending"], "seconds": round(time.monotonic() - started, 1),
                "log": str(log)}
    finally:
        await fake_slack.stop()
        await fake_teams.stop()


class ThrowawayPostgres:
    """A Postgres cluster of its own in a temporary folder, on a free port (never the shared server): started,
    crashed and restarted at will (`pg_ctl stop -m immediate` is a crash: no checkpoint, recovery on start)."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="aiom-pg-"))  # under /tmp, reachable by the postgres user
        self.folder = self.root / "pg"
        self.port = _free_port()
        self.bin = _pg_bin()

    def _pg(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # Postgres refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> "ThrowawayPostgres":
        self.folder.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            os.chmod(self.root, 0o755)
        self._pg("initdb", "-D", str(self.folder), "-A", "trust", "-U", "postgres")
        self.start()
        return self

    def start(self) -> None:
        self._pg("pg_ctl", "-D", str(self.folder), "-w", "-l", str(self.folder / "log"), "-o",
                 f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=on", "start")

    def crash(self) -> None:
        self._pg("pg_ctl", "-D", str(self.folder), "-w", "-m", "immediate", "stop")

    def stop(self) -> None:
        try:
            self._pg("pg_ctl", "-D", str(self.folder), "-w", "-m", "fast", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


def _pg_bin() -> Path:
    for root in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (root / "initdb").exists():
            return root
    raise RuntimeError("no Postgres server binaries (apt-get install postgresql)")


def _database(spec: str, folder: Path, n: int) -> str:
    if spec == "sqlite":
        return f"sqlite:///{folder}/faults-{n}.db"
    return spec


async def _scratch_postgres(admin_url: str, n: int) -> str:
    """A fresh database on the given server (dropped by the caller's `_drop`)."""
    import asyncpg  # noqa: PLC0415

    name = f"aiom_faults_{os.getpid()}_{n}"
    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def _drop(admin_url: str, url: str) -> None:
    import asyncpg  # noqa: PLC0415

    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


async def postgres_restart_run(folder: Path, *, outage: float = 2.0, **kw) -> dict:
    """The crash run against a throwaway Postgres cluster that is crashed and restarted mid-burst."""
    folder.mkdir(parents=True, exist_ok=True)
    pg = ThrowawayPostgres().init()
    try:
        async def restart() -> None:
            await asyncio.to_thread(pg.crash)
            await asyncio.sleep(outage)
            await asyncio.to_thread(pg.start)

        res = await crash_run(pg.url, restart_database=restart, workdir=folder, **kw)
        res["fault"] = "postgres crashed and restarted"
        return res
    finally:
        pg.stop()


async def main_async(a: argparse.Namespace) -> list[dict]:
    folder = Path(tempfile.mkdtemp(prefix="aiom-faults-"))
    results = []
    if a.restart_postgres:
        for n in range(a.runs):
            res = await postgres_restart_run(folder / f"run{n}", users=a.users, each=a.each,
                                             concurrency=a.concurrency, kill_fraction=a.kill_at, lease=a.lease,
                                             seed=n + 1)
            res["run"] = n + 1
            results.append(res)
            print(json.dumps(res), flush=True)
        return results
    for n in range(a.runs):
        pg = a.database.startswith("postgresql")
        url = await _scratch_postgres(a.database, n) if pg else _database(a.database, folder, n)
        try:
            res = await crash_run(url, users=a.users, each=a.each, concurrency=a.concurrency,
                                  kill_fraction=a.kill_at, lease=a.lease, seed=n + 1, workdir=folder)
        finally:
            if pg:
                await _drop(a.database, url)
        res["run"] = n + 1
        results.append(res)
        print(json.dumps(res), flush=True)
    keys = ["requests", "acknowledged", "recorded_once", "lost", "replies_expected", "replies_delivered",
            "replies_lost", "duplicate_replies", "in_flight_at_kill", "entries_replayed"]
    total = {k: sum(r[k] for r in results) for k in keys}
    print("TOTAL " + json.dumps(total), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.split("\n\n")[0])
    p.add_argument("--database", default="sqlite", help="sqlite (a temp file per run) or a postgresql:// URL of a "
                   "server where a scratch database may be created")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--each", type=int, default=5, help="DMs, clicks and Teams messages per person (each)")
    p.add_argument("--concurrency", type=int, default=24)
    p.add_argument("--kill-at", type=float, default=0.4, help="fraction of the burst acknowledged before the kill")
    p.add_argument("--lease", type=float, default=2.0, help="AIOM_INTAKE_LEASE_SECONDS of the server")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--restart-postgres", action="store_true", help="instead of killing aiom, crash and restart a "
                   "throwaway Postgres cluster of its own (temp folder, free port) mid-burst")
    a = p.parse_args(argv)
    results = asyncio.run(main_async(a))
    bad = sum(r["lost"] + r["replies_lost"] for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
