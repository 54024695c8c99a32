"""A scorecard in Slack: posted in the thread under the use case's message, answered with buttons, the
same message updated in place on every click so no stale buttons remain; and the App Home tab."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.tables import Scorecard, ScorecardAnswer
from tests.support import factories
from tests.support.slack_driver import SlackWorld, dm_channel

ANNA, BOB, ZOE, PAT = "U222", "U333", "U111", "U444"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    w.fake.add_user(BOB, "bob.delivery@example.com", "Bob Delivery")
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    w.fake.add_user(PAT, "pat.product@example.com", "Pat Product")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def test_scorecard_in_a_thread_updated_in_place(world: SlackWorld, clock):
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock())
    dm = dm_channel(ANNA)
    await world.dm(ANNA, f"status UC-{uc.id}")
    root = world.last(dm, with_button="Score")
    assert root.thread_ts is None

    await world.click(ANNA, "Score", root)
    card = world.last(dm, with_button="Pause")
    assert card.thread_ts == root.ts  # in the thread under the use case's message
    assert "Pilot selection" in card.all_text
    posts_before = len(world.calls("chat.postMessage"))

    for n in range(12):
        card = world.screens[(dm, card.ts)]
        three = next(b for b in card.buttons() if b["text"]["text"].startswith("3"))
        await world.click(ANNA, three["text"]["text"], card)
    assert len(world.calls("chat.postMessage")) == posts_before  # every answer updated the one message
    final = world.screens[(dm, card.ts)]
    assert not any(b["text"]["text"].startswith(("1 ", "2 ", "3 ")) for b in final.buttons())
    assert "36" in final.all_text
    async with world.app.db.read() as s:
        sc = (await s.execute(select(Scorecard))).scalar_one()
        answers = (await s.execute(select(ScorecardAnswer))).scalars().all()
    assert sc.status == "complete" and len(answers) == 12

    # Typed in the same thread later, status lands in that thread too.
    await world.dm(ANNA, f"status UC-{uc.id}")
    assert world.last(dm).thread_ts == root.ts


async def test_only_owners_answer_and_others_are_told_privately(world: SlackWorld, clock):
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock())
    await world.mention(ANNA, "CPRODUCT", f"score UC-{uc.id} pilot")
    card = world.last("CPRODUCT", with_button="Pause")
    await world.click(PAT, next(b["text"]["text"] for b in card.buttons() if b["text"]["text"].startswith("3")), card)
    refusal = world.calls("chat.postEphemeral")[-1]
    assert refusal["user"] == PAT and "Only the business owner or delivery owner" in world.fake.seen_text([refusal])
    async with world.app.db.read() as s:
        assert (await s.execute(select(ScorecardAnswer))).scalars().all() == []


async def test_app_home_shows_ideas_reviews_and_scorecards_owed(world: SlackWorld, clock):
    view = await world.open_home(ZOE)
    assert view["type"] == "home" and "Propose an AI idea" in str(view)
    async with world.app.db.write() as s:
        for i in range(12):
            await factories.use_case(s, now=clock(), title=f"Idea number {i}")
    await world.dm(ANNA, "score UC-3 pilot")
    view = await world.open_home(ANNA)
    text = world.fake.seen_text([world.calls("views.publish")[-1]])
    assert "Your AI ideas" in text and "UC-3" in text and "Next:" in text
    assert "Scorecards you still owe:\n• UC-3 · Pilot selection 0/12" in text
    assert "and 4 more" in text  # the view lists the first ideas and says how to see the rest
    assert len(view["blocks"]) <= 100
    # a click in App Home acts in the DM, then the home tab is refreshed
    publishes = len(world.calls("views.publish"))
    payload = {"type": "block_actions", "user": world.user_json(ANNA), "api_app_id": "AAIOM", "token": "legacy",
               "container": {"type": "view", "view_id": "V1"}, "trigger_id": "trig.home",
               "team": {"id": "T0HOME"}, "view": {"id": "V1", "type": "home", "blocks": view["blocks"]},
               "actions": [next(e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
                                if e["text"]["text"] == "Status UC-5") | {"action_ts": "1.2"}]}
    await world.interact(payload)
    assert "Idea number 4" in world.last(dm_channel(ANNA)).all_text
    assert len(world.calls("views.publish")) == publishes + 1
