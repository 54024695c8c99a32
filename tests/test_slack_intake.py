"""Proposing an idea in Slack, through the real bolt app and signed requests: by DM (with @mentions for the
owners), by the global shortcut's modal (with field errors shown in the modal), and by /aiom."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.repo import people
from storage.tables import PlatformIdentity, UseCase
from tests.support.slack_driver import SlackWorld, dm_channel

ZOE, ANNA, BOB = "U111", "U222", "U333"

ANSWERS = [
    "Claims triage assistant",
    "Claims handlers spend two hours a day sorting new claims by urgency before any work starts.",
    "Cut claims triage time by 30% while keeping human review for high-risk cases",
    "Claims handling",
    "Operational excellence",
    "Motor claims handlers, about 40 people",
    "Claim forms and customer emails",
    "no",
    "Within 3 months",
    f"<@{ANNA}>",
    f"the delivery owner is <@{BOB}|bob>",
    "skip",
]


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer", tz="Europe/Paris")
    w.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    w.fake.add_user(BOB, "bob.delivery@example.com", "Bob Delivery")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def test_whole_intake_by_dm_creates_the_use_case(world: SlackWorld):
    dm = dm_channel(ZOE)
    assert await world.dm(ZOE, "propose") == 200
    for answer in ANSWERS:
        assert await world.dm(ZOE, answer) == 200
    # the risk questions: click the first option of each
    for _ in range(6):
        prompt = world.last(dm)
        await world.click(ZOE, prompt.buttons()[0]["text"]["text"], prompt)
    await world.click(ZOE, "That tier is right")
    summary = world.last(dm, with_button="Submit the idea")
    assert "Anna Owner" in summary.all_text and "Bob Delivery" in summary.all_text
    await world.click(ZOE, "Submit the idea", summary)
    assert "UC-1 submitted" in world.last(dm).all_text

    async with world.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
        assert (uc.title, uc.stage, uc.risk_tier) == ("Claims triage assistant", "exploration", "low")
        owner = await people.get(s, uc.business_owner_id)
        delivery = await people.get(s, uc.delivery_owner_id)
        proposer = await people.get(s, uc.proposer_id)
        assert owner.email == "anna.owner@example.com" and delivery.email == "bob.delivery@example.com"
        # the proposer was mapped by their Slack email and timezone
        assert (proposer.email, proposer.timezone) == ("zoe@example.com", "Europe/Paris")
        idents = (await s.execute(select(PlatformIdentity).where(PlatformIdentity.platform == "slack"))).scalars()
        assert {i.external_id for i in idents} >= {ZOE, ANNA, BOB}
    # both owners were told in their own DM, through the outbox
    told = {c["channel"] for c in world.calls("chat.postMessage")}
    assert {dm_channel(ANNA), dm_channel(BOB)} <= told
    anna_dm = world.last(dm_channel(ANNA))
    assert "business owner of UC-1" in anna_dm.all_text


async def test_answered_prompts_are_replaced_so_no_stale_buttons_remain(world: SlackWorld):
    dm = dm_channel(ZOE)
    await world.dm(ZOE, "propose")
    first = world.last(dm)
    assert first.buttons(), "the first question offers Cancel / form buttons"
    await world.dm(ZOE, ANSWERS[0])
    # the first prompt was updated in place to show the answer, without buttons
    updated = world.screens[(dm, first.ts)]
    assert updated.buttons() == []
    assert "Claims triage assistant" in updated.all_text


async def test_shortcut_opens_the_intake_modal_and_field_errors_show_in_it(world: SlackWorld):
    status, _ = await world.shortcut(ZOE)
    assert status == 200
    view = world.last_view()
    assert view["type"] == "modal" and view["title"]["text"] == "Propose an AI idea"
    kinds = {b["block_id"][2:]: b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert kinds["business_owner"] == "users_select" and kinds["theme"] == "static_select"
    assert kinds["problem"] == "plain_text_input"

    values = {"title": "Claims triage assistant", "problem": "short", "outcome": ANSWERS[2],
              "value_stream": "Claims handling", "theme": "operational_excellence",
              "affected_users": "Motor claims handlers", "data_used": "Claim forms", "vendor": "no",
              "timeline": "within_3_months", "business_owner": ANNA, "delivery_owner": BOB}
    values.update({b["block_id"][2:]: b["element"]["options"][0]["value"] for b in view["blocks"]
                   if b["type"] == "input" and b["block_id"].startswith("f:risk:")})
    status, body = await world.submit(ZOE, view, values)
    assert status == 200 and body["response_action"] == "errors"
    assert set(body["errors"]) == {"f:problem"}
    assert world.calls("chat.postMessage") == []  # nothing posted while the modal shows the error

    values["problem"] = ANSWERS[1]
    status, body = await world.submit(ZOE, view, values)
    assert status == 200 and body == {}  # the modal closes
    dm = dm_channel(ZOE)
    assert "Thanks, I have your form" in world.seen_in(dm)
    await world.click(ZOE, "That tier is right")
    await world.click(ZOE, "Submit the idea")
    async with world.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
        owner = await people.get(s, uc.business_owner_id)
        assert owner.email == "anna.owner@example.com"


async def test_typed_form_offers_a_button_that_opens_the_modal(world: SlackWorld):
    dm = dm_channel(ZOE)
    await world.dm(ZOE, "propose")
    await world.dm(ZOE, "form")
    assert world.calls("views.open") == []  # typed text gives no trigger id
    offer = world.last(dm, with_button="Open the form")
    await world.click(ZOE, "Open the form", offer)
    assert world.last_view()["title"]["text"] == "Propose an AI idea"


async def test_slash_command_answers_in_the_dm(world: SlackWorld):
    status, _ = await world.command(ZOE, "propose", channel="CGENERAL")
    assert status == 200
    assert world.last(dm_channel(ZOE)).channel == dm_channel(ZOE)
    assert "What should we call this idea" in world.last(dm_channel(ZOE)).all_text
    pointer = [c for c in world.fake.calls if c.method == "respond"]
    assert pointer and "direct messages" in pointer[-1].args["text"]


async def test_a_second_proposer_in_slack_is_asked_about_the_same_idea_after_three_answers(world: SlackWorld):
    from tests.support import factories
    from tests.test_similarity import MAX_IDEA

    async with world.app.db.write() as s:
        await factories.use_case(s, title="Claims triage assistant", problem=ANSWERS[1], outcome=ANSWERS[2])
    dm = dm_channel(BOB)
    assert await world.dm(BOB, "propose") == 200
    for answer in MAX_IDEA[:3]:
        assert await world.dm(BOB, answer) == 200
    notice = world.last(dm, with_button="Yes, the same: join UC-1")
    assert "this looks like the same idea as UC-1" in " ".join(notice.all_text.split())
    await world.click(BOB, "Yes, the same: join UC-1", notice)
    summary = world.last(dm, with_button="Join UC-1")
    assert "no new idea is created" in " ".join(summary.all_text.split())
