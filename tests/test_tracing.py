"""OpenTelemetry traces (on when OTEL_EXPORTER_OTLP_ENDPOINT is set): a signed Slack DM gives a server span, a
turn span, SQL spans and the client call to Slack, in one trace; an outbox delivery gets its own span."""
from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bot import tracing
from bot.app import App
from bot.config import load_settings
from bot.wiring import attach_platforms
from bot.server import instrument, make_web_app
from vocabulary.messages import Message, Text
from storage.repo import outbox
from tests.support import slack_signing as signing
from tests.support.fake_slack import FakeSlack

ZOE = "U111"
EXPORTER = InMemorySpanExporter()


def test_off_without_an_endpoint(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    if not tracing.enabled():
        assert tracing.setup() is False and not tracing.enabled()
    with tracing.span("nothing") as s:
        assert s is None or tracing.enabled()


async def test_spans_for_request_turn_sql_slack_call_and_delivery(db_url, policy, clock):
    assert tracing.setup(EXPORTER)
    fake = await FakeSlack().start()
    fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    settings = load_settings({"DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-test-token",
                              "SLACK_SIGNING_SECRET": signing.SECRET, "SLACK_API_URL": fake.base_url}, env_file=None)
    app = App.create(settings, policy=policy, clock=clock)
    web_app = make_web_app(app)
    attach_platforms(app, web_app)
    instrument(app, web_app)
    await app.start(migrate=False, background=False)
    client = TestClient(TestServer(web_app))
    await client.start_server()
    try:
        EXPORTER.clear()
        event = {"type": "message", "channel": "DZOE", "user": ZOE, "text": "help", "ts": "1700000200.000001",
                 "channel_type": "im", "team": "T0HOME"}
        envelope = {"token": "legacy", "team_id": "T0HOME", "api_app_id": "AAIOM", "type": "event_callback",
                    "event": event, "event_id": "EvTRACE1", "event_time": 1700000200,
                    "authorizations": [{"team_id": "T0HOME", "user_id": "UBOT", "is_bot": True}]}
        body, headers = signing.event_request(envelope)
        r = await client.post("/slack/events", data=body.encode(), headers=headers)
        assert r.status == 200
        await fake.wait_for("chat.postMessage")
        spans = EXPORTER.get_finished_spans()
        names = [s.name for s in spans]
        server = [s for s in spans if s.kind.name == "SERVER"]
        turn = [s for s in spans if s.name == "turn"]
        sql = [s for s in spans if s.attributes.get("db.system") or s.attributes.get("db.system.name")]
        calls = [s for s in spans if s.kind.name == "CLIENT" and "chat.postMessage" in
                 str(s.attributes.get("http.url") or s.attributes.get("url.full") or "")]
        assert server and turn and sql and calls, names
        assert turn[0].attributes["aiom.platform"] == "slack" and turn[0].attributes["aiom.kind"] == "text"
        assert any(s.parent and s.parent.span_id == turn[0].context.span_id for s in sql)

        EXPORTER.clear()
        now = clock()
        async with app.db.write() as s:
            await outbox.enqueue(s, dedupe_key="t:1", platform="slack", target="CLEADERSHIP",
                                 message=Message([Text(["Digest"])]).to_dict(), now=now - timedelta(seconds=1))
        await app.dispatcher.drain()
        spans = EXPORTER.get_finished_spans()
        deliver = [s for s in spans if s.name == "deliver slack.post"]
        assert deliver and deliver[0].attributes["aiom.method"] == "post"
        assert any(s.kind.name == "CLIENT" and s.parent and s.parent.span_id == deliver[0].context.span_id
                   for s in spans)
    finally:
        await client.close()
        await app.stop()
        await fake.stop()
        tracing.reset()
