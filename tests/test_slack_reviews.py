"""Review cards in Slack (the review workflow sends them; the adapter renders and routes): the card lands in
the group's channel through the outbox, "Approve with conditions" opens a modal whose person and date
fields come back as people and dates, field errors stay in the modal, and the card updates in place."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.repo import people
from storage.tables import Condition, ReviewRequest
from tests.support import factories
from tests.support.reviewing import make_ready
from tests.support.slack_driver import SlackWorld

ANNA, BOB, PAT = "U222", "U333", "U444"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    w.fake.add_user(BOB, "bob.delivery@example.com", "Bob Delivery")
    w.fake.add_user(PAT, "pat.product@example.com", "Pat Product")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def test_approve_with_conditions_through_a_modal(world: SlackWorld, clock):
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), tier="low")
        await make_ready(s, world.app.policy, uc, clock())
    await world.dm(ANNA, f"move UC-{uc.id}")
    card = world.last("CPRODUCT", with_button="Approve with conditions")

    await world.click(PAT, "Approve with conditions", card)
    view = world.last_view()
    kinds = {b["block_id"]: b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert kinds["f:c1_owner"] == "users_select" and kinds["f:c1_due"] == "datepicker"
    assert kinds["f:more"] == "static_select"

    values = {"c1_text": "Penetration test before rollout", "c1_owner": BOB, "c1_due": "2026-01-01", "more": "no"}
    status, body = await world.submit(PAT, view, values)
    assert status == 200 and body["response_action"] == "errors" and "f:c1_due" in body["errors"]
    values["c1_due"] = "2027-01-15"
    status, body = await world.submit(PAT, view, values)
    assert status == 200 and body == {}

    async with world.app.db.read() as s:
        cond = (await s.execute(select(Condition))).scalar_one()
        owner = await people.get(s, cond.owner_id)
        rr = (await s.execute(select(ReviewRequest))).scalar_one()
    assert cond.text == "Penetration test before rollout" and str(cond.due_date) == "2027-01-15"
    assert owner.email == "bob.delivery@example.com"
    assert rr.status != "pending"
    shown = world.screens[("CPRODUCT", card.ts)].all_text
    assert "Pat Product" in shown and "Penetration test before rollout" in shown


async def test_a_decision_typed_to_aiom_in_the_card_thread_gets_a_private_nudge(world: SlackWorld, clock):
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), tier="low")
        await make_ready(s, world.app.policy, uc, clock())
    await world.dm(ANNA, f"move UC-{uc.id}")
    card = world.last("CPRODUCT", with_button="Approve")
    posts = len(world.calls("chat.postMessage"))
    await world.mention(PAT, "CPRODUCT", "approved", thread_ts=card.ts)
    nudge = world.calls("chat.postEphemeral")[-1]
    assert nudge["user"] == PAT and nudge["channel"] == "CPRODUCT" and nudge["thread_ts"] == card.ts
    assert "use the buttons" in world.fake.seen_text([nudge])
    assert len(world.calls("chat.postMessage")) == posts  # nothing said in the channel
    async with world.app.db.read() as s:
        assert (await s.execute(select(ReviewRequest))).scalar_one().status == "pending"
