"""Logs an operator can ship: AIOM_LOG_FORMAT=json gives one JSON object per line with the turn and request
ids; a request that fails on the database is one line, not a traceback (unless AIOM_LOG_LEVEL=DEBUG); secrets
never appear."""
from __future__ import annotations

import io
import json
import logging
import subprocess

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import configure_logging, load_settings
from tests.support import slack_signing as signing
from tests.support.pg_servers import free_port
from tests.support.proc import AIOM, clean_env
from tests.support.slack_driver import SlackWorld

ZOE = "U111"


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    for h in list(root.handlers):
        if getattr(h, "_aiom", False):
            root.removeHandler(h)
    root.handlers[:], root.level = saved[0], saved[1]


async def _outage_turns(db_url, policy, clock, level: str, n: int = 3) -> list[str]:
    world = await SlackWorld.start(db_url, policy=policy, clock=clock)
    world.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    stream = io.StringIO()
    settings = load_settings({"DATABASE_URL": db_url, "AIOM_LOG_FORMAT": "json", "AIOM_LOG_LEVEL": level,
                              "SLACK_BOT_TOKEN": "xoxb-secret-token-123", "SLACK_SIGNING_SECRET": signing.SECRET},
                             env_file=None)
    configure_logging(settings, stream=stream)
    db = world.app.db
    await db.dispose()
    dead = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/gone",
                               connect_args={"timeout": 2})
    db.write_engine = db.read_engine = dead  # the database goes away under a running server
    try:
        for i in range(n):  # signed DMs, as Slack sends them
            event = {"type": "message", "channel": "DZOE", "user": ZOE, "text": f"help {i}",
                     "ts": f"1700000100.{i:06d}", "channel_type": "im", "team": "T0HOME"}
            body, headers = signing.event_request(world.envelope(event))
            r = await world.client.post("/slack/events", data=body.encode(), headers=headers)
            # Refused with 503 (so Slack sends it again) when the inbound journal cannot be written; a request
            # acknowledged before the outage whose turn then fails is replayed later.
            assert r.status in (200, 503)
            await world.rt.idle()
    finally:
        await dead.dispose()
        await world.client.close()
        await world.fake.stop()
    return [line for line in stream.getvalue().splitlines() if line.strip()]


async def test_a_failed_turn_is_one_json_line_with_its_ids(db_url, policy, clock, restore_logging):
    lines = await _outage_turns(db_url, policy, clock, "INFO")
    docs = [json.loads(line) for line in lines]  # every line is one JSON object
    errors = [d for d in docs if d["level"] in ("ERROR", "WARNING")]
    assert 1 <= len(errors) <= 3 * 3, lines  # a few one-line entries per failed request, never a traceback
    assert not any("Traceback" in line for line in lines)
    assert all(d.get("turn_id") or d.get("request_id") for d in errors)
    assert any("ConnectionRefusedError" in d["message"] or "OSError" in d["message"]
               or "connect" in d["message"].lower() for d in errors), errors
    assert not any("secret-token" in line or signing.SECRET in line for line in lines)


async def test_debug_keeps_the_traceback(db_url, policy, clock, restore_logging):
    lines = await _outage_turns(db_url, policy, clock, "DEBUG", n=1)
    assert any("Traceback" in json.loads(line).get("exc_info", "") for line in lines)


def test_json_lines_from_a_real_process_and_no_secret(db_url, tmp_path):
    env = clean_env(DATABASE_URL=db_url, AIOM_LOG_FORMAT="json", SLACK_BOT_TOKEN="xoxb-very-secret-9876",
                    SLACK_SIGNING_SECRET="signing-secret-abcdef", SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/")
    r = subprocess.run([*AIOM, "worker", "--once"], env=env, cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert lines, r.stderr
    for line in lines:
        doc = json.loads(line)
        assert {"time", "level", "logger", "message"} <= doc.keys()
    assert "very-secret" not in r.stderr + r.stdout and "signing-secret-abcdef" not in r.stderr + r.stdout
