"""Socket Mode (SLACK_APP_TOKEN set): the same listeners over a WebSocket; no HTTP endpoint is exposed."""
from __future__ import annotations

from tests.support.fake_slack import HOME_TEAM
from tests.support.slack_driver import SlackWorld, dm_channel

ZOE = "U111"


async def test_socket_mode_receives_events_and_answers_through_the_web_api(db_url, policy):
    world = await SlackWorld.start(db_url, policy=policy, extra_env={"SLACK_APP_TOKEN": "xapp-1-test",
                                                                     "SLACK_SIGNING_SECRET": ""})
    try:
        world.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
        r = await world.client.post("/slack/events", data=b"{}")
        assert r.status in (404, 405)  # nothing listens on HTTP in Socket Mode
        await world.fake.wait_for("socket.connect")
        event = {"type": "message", "channel": dm_channel(ZOE), "user": ZOE, "text": "propose",
                 "ts": "1700000000.000100", "channel_type": "im"}
        envelope = {"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                    "payload": world.envelope(event, "EvSOCKET", HOME_TEAM)}
        ack = await world.fake.socket_send(envelope)
        assert ack["envelope_id"] == "env-1"
        await world.fake.wait_for("chat.postMessage", 2)
        await world.settle()
        assert "What should we call this idea" in world.last(dm_channel(ZOE)).all_text
    finally:
        await world.stop()
    assert world.fake.violations == []
