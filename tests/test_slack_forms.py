"""Slack forms: an "Open the form" button works from any aiom process and after a restart (the form waits in
the database), and a form too big for a modal gets a polite answer instead of an API error."""
from __future__ import annotations

import pytest

from bot.slack.ops import FORM_TOO_BIG
from bot.slack.turn import Turn
from vocabulary.interaction import Actor, Inbound, Where
from vocabulary.messages import Form, FormField
from tests.support import factories
from tests.support.fake_slack import HOME_TEAM
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.support.slack_more import restart

ANNA = "U222"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def test_open_the_form_still_works_after_a_restart(world: SlackWorld, db_url, policy, clock):
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock())
    await world.dm(ANNA, f"edit UC-{uc.id}")  # typed: no trigger id, so aiom offers a button
    offer = world.last(dm_channel(ANNA), with_button="Open the form")
    assert world.calls("views.open") == []

    later = await restart(world, db_url, policy=policy, clock=clock)  # a new process: nothing in memory
    try:
        await later.click(ANNA, "Open the form", offer)
        view = later.last_view()
        assert view["title"]["text"] == f"Edit UC-{uc.id}"
        assert "no longer available" not in later.fake.seen_text()
    finally:
        await later.client.close()
        await later.app.stop()


async def test_someone_else_cannot_open_a_persons_form(world: SlackWorld, clock):
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock())
    world.fake.add_user("U999", "eve@example.com", "Eve Other")
    await world.dm(ANNA, f"edit UC-{uc.id}")
    offer = world.last(dm_channel(ANNA), with_button="Open the form")
    await world.click("U999", "Open the form", offer)
    assert world.calls("views.open") == []
    assert "no longer available" in world.fake.seen_text()


async def test_a_form_too_big_for_a_modal_gets_a_polite_answer(world: SlackWorld):
    await world.dm(ANNA, "hello")  # Anna is known
    actor = Actor(platform="slack", external_id=ANNA, tenant=HOME_TEAM, email="anna.owner@example.com",
                  email_verified=True, name="Anna Owner")
    where = Where(platform="slack", conversation_id=dm_channel(ANNA), kind="personal", tenant=HOME_TEAM)
    turn = Turn(inbound=Inbound(actor=actor, where=where, action="x"), user_id=ANNA, channel=dm_channel(ANNA),
                trigger_id="trig.big")
    form = Form("review.info", "A question", [FormField("q", "Question")], payload={"note": "x" * 3500})
    await world.rt.ops.open_form(form, turn)  # 3,500 characters of metadata: more than a modal carries
    await world.settle()
    assert world.calls("views.open") == []
    assert FORM_TOO_BIG in world.last(dm_channel(ANNA)).all_text
