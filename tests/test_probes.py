"""Probes, metrics and graceful shutdown, on `aiom serve` and `aiom worker`, as an orchestrator sees them.

- /livez never depends on the database (a database outage must not restart every pod);
- /readyz says why it is not ready: database unreachable, schema behind, shutting down;
- the worker answers both and /metrics on AIOM_WORKER_PORT;
- SIGTERM during a burst of Slack messages: every turn already acknowledged still gets its reply before the
  process exits (real processes; Slack faked on 127.0.0.1, slow on purpose).
"""
from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import time

import aiohttp

from bot.app import App
from bot.config import load_settings
from bot.server import make_web_app, start_listener
from tests.support import slack_signing as signing
from tests.support.fake_slack import BOT_USER, HOME_TEAM, FakeSlack
from tests.support.pg_servers import free_port
from tests.support.proc import AIOM, clean_env


async def _get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}{path}") as r:
            return r.status, await r.text()


async def _wait_until_up(port: int, path: str = "/livez", timeout: float = 60, proc=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            status, _ = await _get(port, path)
            if status == 200:
                return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"nothing answered 200 on {path} within {timeout}s")


async def _listen(app: App):
    web_app = make_web_app(app)
    runner, port = await start_listener(web_app, "127.0.0.1", 0)
    from bot.probes import HEALTH_KEY

    web_app[HEALTH_KEY].start()
    return web_app, runner, port


async def test_readyz_names_an_unreachable_database_while_livez_stays_up():
    dead = free_port()  # nothing listens there
    app = App.create(load_settings({"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{dead}/aiom"}, env_file=None))
    web_app, runner, port = await _listen(app)
    try:
        status, body = await _get(port, "/livez")
        assert status == 200 and json.loads(body)["status"] == "alive"
        status, body = await _get(port, "/readyz")
        doc = json.loads(body)
        assert status == 503 and doc["database"] == "unreachable" and "database unreachable" in doc["problems"]
    finally:
        await runner.cleanup()
        await app.db.dispose()


async def test_readyz_waits_for_the_schema_and_the_start(tmp_path):
    app = App.create(load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"}, env_file=None))
    web_app, runner, port = await _listen(app)
    try:
        status, body = await _get(port, "/readyz")
        doc = json.loads(body)
        assert status == 503 and any("database schema at nothing" in p for p in doc["problems"])
        await app.start(background=False)  # migrates
        status, body = await _get(port, "/readyz")
        assert status == 200, body
        assert json.loads(body)["status"] == "ready"
    finally:
        await runner.cleanup()
        await app.stop()


def _metric(text: str, name: str, **labels) -> float | None:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(want) + r"\}" if want else "") + r" ([0-9.e+-]+)"
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None


async def test_worker_serves_probes_and_metrics_and_stops_on_sigterm(db_url, tmp_path):
    port = free_port()
    env = clean_env(DATABASE_URL=db_url, AIOM_WORKER_PORT=str(port))
    proc = subprocess.Popen([*AIOM, "worker", "--console"], env=env, cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        await _wait_until_up(port, "/readyz", proc=proc)
        status, body = await _get(port, "/livez")
        assert status == 200
        check = subprocess.run([*AIOM[:1], "-m", "bot.healthcheck"], capture_output=True, text=True, timeout=30,
                               env=clean_env(AIOM_PORT=str(free_port()), AIOM_WORKER_PORT=str(port)))
        assert check.returncode == 0, check.stderr  # the image's HEALTHCHECK finds the worker's port
        deadline = time.monotonic() + 30
        while True:  # the start-up catch-up sweep runs in the background; its success shows in /metrics
            status, text = await _get(port, "/metrics")
            assert status == 200
            if _metric(text, "aiom_scheduler_job_last_success_timestamp_seconds", job="sweep") or \
                    time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
        assert _metric(text, "aiom_scheduler_job_last_success_timestamp_seconds", job="sweep") > 1.7e9
        assert _metric(text, "aiom_outbox_messages", platform="console", status="pending") == 0
        assert _metric(text, "aiom_outbox_oldest_pending_seconds", platform="console") == 0
        assert _metric(text, "aiom_database_up") == 1
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
        assert "aiom worker stopping" in out and "Traceback" not in out
        check = subprocess.run([*AIOM[:1], "-m", "bot.healthcheck"], capture_output=True, text=True, timeout=30,
                               env=clean_env(AIOM_PORT=str(free_port()), AIOM_WORKER_PORT=str(port)))
        assert check.returncode == 1 and "does not answer /livez" in check.stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


USERS = [(f"U9{i:03d}", f"person{i}@example.com") for i in range(6)]


async def test_sigterm_during_a_burst_finishes_every_acknowledged_turn(db_url, tmp_path):
    fake = await FakeSlack(latency=0.6).start()  # every Slack call takes 0.6 s: the replies are in flight
    for uid, email in USERS:
        fake.add_user(uid, email)
    port = free_port()
    env = clean_env(DATABASE_URL=db_url, AIOM_PORT=str(port), SLACK_BOT_TOKEN="xoxb-test-token",
                    SLACK_SIGNING_SECRET=signing.SECRET, SLACK_API_URL=fake.base_url, AIOM_SHUTDOWN_GRACE="30")
    proc = subprocess.Popen([*AIOM, "serve"], env=env, cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        await _wait_until_up(port, "/readyz", proc=proc)
        statuses = []
        async with aiohttp.ClientSession() as http:
            for n, (uid, _) in enumerate(USERS):
                event = {"type": "message", "channel": f"D{uid}", "user": uid, "text": "help",
                         "ts": f"{1_700_000_000 + n}.000100", "channel_type": "im", "team": HOME_TEAM}
                envelope = {"token": "legacy", "team_id": HOME_TEAM, "api_app_id": "AAIOM",
                            "type": "event_callback", "event": event, "event_id": f"EvSHUT{n:04d}",
                            "event_time": int(time.time()),
                            "authorizations": [{"team_id": HOME_TEAM, "user_id": BOT_USER, "is_bot": True}]}
                body, headers = signing.event_request(envelope)
                async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body.encode(),
                                     headers=headers) as r:
                    statuses.append(r.status)
        assert statuses == [200] * len(USERS)  # all acknowledged; the turns now run after the ack
        answered_before = {c.args.get("channel") for c in fake.calls_to("chat.postMessage")}
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        while proc.poll() is None:  # keep our fake Slack answering while the server finishes
            await asyncio.sleep(0.1)
        took = time.monotonic() - sent
        out = proc.stdout.read()
        assert proc.returncode == 0, out
        answered = {c.args.get("channel") for c in fake.calls_to("chat.postMessage")
                    if c.status == 200}
        assert len(answered_before) < len(USERS)  # some replies were still in flight at SIGTERM
        assert {f"D{uid}" for uid, _ in USERS} <= answered, out
        assert "HTTP server stopped after" in out and "Traceback" not in out, out
        print(f"shutdown with {len(USERS) - len(answered_before)} turns in flight took {took:.2f}s")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        await fake.stop()
