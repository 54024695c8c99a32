"""What an operator reads from /metrics: turns by kind, duplicates, the outbox backlog and its oldest message,
deliveries and 429s per platform and method. The real bolt app on signed requests; Slack faked on 127.0.0.1."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from vocabulary.messages import Message, Text
from storage.repo import outbox
from tests.support.slack_driver import SlackWorld

ZOE = "U111"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    yield w
    await w.stop()


async def scrape(world: SlackWorld) -> str:
    r = await world.client.get("/metrics")
    assert r.status == 200
    return await r.text()


def value(text: str, name: str, **labels) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
        if all(found.get(k) == v for k, v in labels.items()) and (line.startswith(name + "{") or not labels):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_turns_and_platform_retries_are_counted(world: SlackWorld):
    await world.dm(ZOE, "help", event_id="EvM0001")
    await world.dm(ZOE, "help", event_id="EvM0001", retry_num=1)  # Slack's retry of the same event
    text = await scrape(world)
    assert value(text, "aiom_turn_seconds_count", platform="slack", kind="text") >= 1
    assert value(text, "aiom_turns_total", platform="slack", kind="text", outcome="ok") == 1
    # The retry is recognised by the inbound journal before any turn runs: counted there, never run again.
    assert value(text, "aiom_inbound_duplicates_total", platform="slack") == 1


async def test_backlog_oldest_message_429s_and_deliveries(world: SlackWorld, clock):
    from bot.server import METRICS_KEY

    world.client.server.app[METRICS_KEY].sent_every = 0  # read the sent counts on every scrape here
    now = clock()
    async with world.app.db.write() as s:
        await outbox.enqueue(s, dedupe_key="m:1", platform="slack", target="CLEADERSHIP",
                             message=Message([Text(["Weekly digest"])]).to_dict(), now=now, purpose="digest",
                             not_before=now - timedelta(minutes=5))
    text = await scrape(world)
    assert value(text, "aiom_outbox_messages", platform="slack", status="pending") == 1
    assert value(text, "aiom_outbox_oldest_pending_seconds", platform="slack") == pytest.approx(300, abs=2)

    world.fake.fail_next("chat.postMessage", 5, status=429, retry_after=1)
    await world.app.dispatcher.run_once()
    text = await scrape(world)
    assert value(text, "aiom_delivery_rate_limited_total", platform="slack", method="post") >= 1
    assert value(text, "aiom_deliveries_total", platform="slack", method="post", result="rate_limited") >= 1
    assert value(text, "aiom_outbox_messages", platform="slack", status="pending") == 1

    world.fake.failures.clear()
    clock.advance(minutes=2)
    await world.app.dispatcher.drain()
    text = await scrape(world)
    assert value(text, "aiom_deliveries_total", platform="slack", method="post", result="ok") == 1
    assert value(text, "aiom_outbox_sent_messages", platform="slack", purpose="digest") == 1
    assert value(text, "aiom_outbox_messages", platform="slack", status="pending") == 0
    assert value(text, "aiom_outbox_oldest_pending_seconds", platform="slack") == 0
