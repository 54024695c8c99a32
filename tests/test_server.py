"""The HTTP server: health reflects the database, metrics speak Prometheus, SIGTERM stops it cleanly."""
from __future__ import annotations

import signal
import socket
import subprocess
import time

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.config import load_settings
from bot.server import make_web_app
from tests.support.proc import AIOM, clean_env



async def _client(db_url: str):
    app = App.create(load_settings({"DATABASE_URL": db_url}, env_file=None))
    await app.start(migrate=False, background=False)
    client = TestClient(TestServer(make_web_app(app)))
    await client.start_server()
    return app, client


async def test_healthz_ok_and_metrics(db_url):
    app, client = await _client(db_url)
    try:
        r = await client.get("/healthz")
        assert r.status == 200 and (await r.json())["database"] == "reachable"
        m = await client.get("/metrics")
        body = await m.text()
        assert m.status == 200 and "aiom_database_up 1.0" in body
        assert 'aiom_http_requests_total{route="/healthz",status="200"} 1.0' in body
    finally:
        await client.close()
        await app.stop()


async def test_healthz_reports_an_unreachable_database(db_url):
    app, client = await _client(db_url)
    await app.db.dispose()
    from storage.db import Database

    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    app.db = Database(f"postgresql://postgres@127.0.0.1:{port}/nothing", connect_timeout=1)
    try:
        r = await client.get("/healthz")
        assert r.status == 503 and (await r.json())["database"] == "unreachable"
    finally:
        await client.close()
        await app.stop()


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def test_serve_starts_migrates_and_stops_on_sigterm(db_url, tmp_path):
    port = _free_port()
    env = clean_env(DATABASE_URL=db_url, AIOM_PORT=str(port))
    proc = subprocess.Popen([*AIOM, "serve"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        status = None
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline and status != 200:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        status = r.status
                except aiohttp.ClientError:
                    time.sleep(0.2)
        assert status == 200
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "shutting down" in out
    finally:
        if proc.poll() is None:
            proc.kill()
