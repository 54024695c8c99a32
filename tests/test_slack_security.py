"""What Slack sends that must not change anything: forged or stale signatures, retried events, unknown
buttons, bots; and who may act: a guest from another workspace can talk but not decide."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from storage.tables import ConversationState, InboundEntry, ReviewRequest
from tests.support import factories
from tests.support import slack_signing as signing
from tests.support.reviewing import make_ready
from tests.support.slack_driver import SlackWorld, dm_channel

ZOE, ANNA, PAT, GUEST = "U111", "U222", "U444", "U999"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    w.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    w.fake.add_user(PAT, "pat.product@example.com", "Pat Product")
    # From a partner's workspace in a shared channel, whose admins gave them a product reviewer's email.
    w.fake.add_user(GUEST, "pia.product@example.com", "Pia Lookalike", team_id="T0PARTNER")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def _count(world, table) -> int:
    async with world.app.db.read() as s:
        return (await s.execute(select(func.count()).select_from(table))).scalar_one()


def _dm_event(world: SlackWorld, text: str, event_id: str = "Ev1") -> dict:
    event = {"type": "message", "channel": dm_channel(ZOE), "user": ZOE, "text": text, "ts": "1700000000.000100",
             "channel_type": "im"}
    return world.envelope(event, event_id)


async def test_forged_signature_is_refused_and_changes_nothing(world: SlackWorld):
    body, headers = signing.event_request(_dm_event(world, "propose"), secret="not-the-secret")
    r = await world.client.post("/slack/events", data=body.encode(), headers=headers)
    assert r.status == 401
    await world.settle()
    assert await _count(world, ConversationState) == 0 and await _count(world, InboundEntry) == 0
    assert world.calls("chat.postMessage") == []


async def test_a_request_older_than_five_minutes_is_refused(world: SlackWorld):
    body, headers = signing.event_request(_dm_event(world, "propose"), timestamp=int(time.time()) - 6 * 60)
    r = await world.client.post("/slack/events", data=body.encode(), headers=headers)
    assert r.status == 401
    await world.settle()
    assert await _count(world, ConversationState) == 0 and world.calls("chat.postMessage") == []
    # the same request signed now goes through
    body, headers = signing.event_request(_dm_event(world, "propose"))
    r = await world.client.post("/slack/events", data=body.encode(), headers=headers)
    assert r.status == 200
    await world.settle()
    assert await _count(world, ConversationState) == 1


async def test_a_retried_event_creates_nothing_twice(world: SlackWorld):
    await world.dm(ZOE, "propose", event_id="EvSAME")
    posted = len(world.calls("chat.postMessage"))
    for n in (1, 2):
        body, headers = signing.event_request(_dm_event(world, "propose", "EvSAME"), retry_num=n)
        r = await world.client.post("/slack/events", data=body.encode(), headers=headers)
        assert r.status == 200  # acknowledged, so Slack stops retrying
        await world.settle()
    assert len(world.calls("chat.postMessage")) == posted
    assert await _count(world, ConversationState) == 1


async def test_the_same_click_processed_twice_answers_once(world: SlackWorld):
    await world.dm(ZOE, "propose")
    await world.dm(ZOE, "Claims triage assistant")
    prompt = world.last(dm_channel(ZOE))
    payload = world.click_payload(ZOE, prompt, prompt.button("Back"))
    await world.interact(payload)
    after_first = len(world.calls("chat.postMessage"))
    await world.interact(payload)  # a proxy or Slack delivering it again
    assert len(world.calls("chat.postMessage")) == after_first


async def test_bots_and_the_bots_own_messages_are_ignored(world: SlackWorld):
    await world.event({"type": "message", "channel": dm_channel(ZOE), "user": ZOE, "bot_id": "B999",
                       "text": "propose", "ts": "1700000000.000200", "channel_type": "im"})
    await world.event({"type": "message", "subtype": "bot_message", "channel": dm_channel(ZOE), "bot_id": "B1",
                       "text": "propose", "ts": "1700000000.000300", "channel_type": "im"})
    await world.event({"type": "message", "channel": dm_channel(ZOE), "user": "UBOT", "text": "propose",
                       "ts": "1700000000.000400", "channel_type": "im"})
    assert world.calls("chat.postMessage") == [] and await _count(world, ConversationState) == 0


async def test_an_unknown_button_gets_a_polite_private_answer(world: SlackWorld):
    await world.dm(ZOE, "hello")
    channel_msg = world.last(dm_channel(ZOE))
    payload = world.click_payload(ZOE, channel_msg, {"action_id": "no.such.thing#1", "text": {"text": "x"},
                                                     "value": "{}"})
    payload["container"]["channel_id"] = payload["channel"]["id"] = "CGENERAL"
    payload["channel"]["name"] = "general"
    status, _ = await world.interact(payload)
    assert status == 200
    eph = world.calls("chat.postEphemeral")[-1]
    assert eph["user"] == ZOE and eph["channel"] == "CGENERAL"
    assert "not one I recognise" in world.fake.seen_text([eph])


async def test_a_guest_from_another_workspace_may_not_decide(world: SlackWorld, clock):
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), tier="low")
        await make_ready(s, world.app.policy, uc, clock())
    await world.dm(ANNA, f"move UC-{uc.id}")
    card = world.last("CPRODUCT", with_button="Approve")
    stop = card.button("Stop")
    assert stop["style"] == "danger" and stop["confirm"]["title"]["text"]  # destructive: asks first

    await world.click(GUEST, "Approve", card)
    refusal = world.calls("chat.postEphemeral")[-1]
    assert refusal["user"] == GUEST and refusal["channel"] == "CPRODUCT"
    assert "another workspace" in world.fake.seen_text([refusal]) or "organisation" in world.fake.seen_text([refusal])
    async with world.app.db.read() as s:
        rr = (await s.execute(select(ReviewRequest))).scalar_one()
        assert rr.status == "pending"

    await world.click(PAT, "Approve", card)
    updated = world.screens[("CPRODUCT", card.ts)]
    assert "Pat Product" in updated.all_text and not any(b["text"]["text"] == "Approve" for b in updated.buttons())
    async with world.app.db.read() as s:
        rr = (await s.execute(select(ReviewRequest))).scalar_one()
        assert rr.status != "pending"


async def test_a_bots_mention_of_aiom_is_ignored(world: SlackWorld):
    for event in ({"type": "app_mention", "channel": "CGENERAL", "user": "U0OTHERBOT", "bot_id": "B999",
                   "text": "<@UBOT> propose", "ts": "1700000000.000500"},
                  {"type": "app_mention", "channel": "CGENERAL", "subtype": "bot_message", "bot_id": "B998",
                   "text": "<@UBOT> propose", "ts": "1700000000.000600"}):
        assert await world.event(event) == 200
    assert world.calls("chat.postMessage") == [] and world.calls("chat.postEphemeral") == []
    assert await _count(world, ConversationState) == 0 and await _count(world, InboundEntry) == 0
