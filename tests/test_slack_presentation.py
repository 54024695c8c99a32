"""Slack presentation, through the real bolt app with signed requests: a refused answer retires the earlier
prompt's buttons instead of leaving them live under a false "already answered"."""
from __future__ import annotations

import pytest

from tests.support.slack_driver import SlackWorld, dm_channel

ZOE = "U111"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer", tz="Europe/Paris")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def test_a_refused_answer_retires_the_old_prompt_and_the_new_one_works(world: SlackWorld):
    dm = dm_channel(ZOE)
    await world.dm(ZOE, "propose")
    await world.dm(ZOE, "Claims triage assistant")
    first = world.last(dm, with_button="Cancel")
    assert "problem" in first.all_text.lower()
    await world.dm(ZOE, "x" * 5000)  # far over the limit: refused
    old = world.screens[(dm, first.ts)]
    assert old.buttons() == [] and "asked again below" in old.all_text
    again = world.last(dm, with_button="Back")
    assert again.ts != first.ts and "5,000 characters long" in again.all_text
    await world.click(ZOE, "Back", again)
    assert "What should we call this idea" in world.last(dm).all_text
    assert "already been answered" not in " ".join(p.all_text for p in world.screens.values())


async def test_a_draft_left_in_the_shortcut_form_says_it_continues_in_chat(world: SlackWorld):
    from sqlalchemy import select

    from storage.tables import ConversationState

    dm = dm_channel(ZOE)
    status, _ = await world.shortcut(ZOE)  # the intake modal opens; Zoe closes it without submitting
    assert status == 200
    await world.dm(ZOE, "Claims triage helper")
    said = " ".join(p.all_text for p in world.screens.values() if p.channel == dm)
    assert "You have a saved draft of this proposal from the form you opened earlier; it continues here" in said
    assert "Nothing from the form was kept" in said
    assert "What should we call this idea" in world.last(dm, with_button="Cancel").all_text
    async with world.app.db.read() as s:
        state = (await s.execute(select(ConversationState))).scalars().first()
    assert "title" not in state.data  # the message was not taken as an answer
    await world.dm(ZOE, "Claims triage assistant")  # now it is
    assert "question 2 of" in world.last(dm, with_button="Cancel").all_text


async def test_a_5000_character_condition_is_refused_in_the_slack_modal(db_url, policy, clock):
    """The modal's max length is the client's; a longer value (an old client, a crafted payload) is refused by
    the server with the field's error, and nothing is recorded or sent."""
    from sqlalchemy import select

    from storage.tables import Condition, ReviewRequest
    from tests.support import factories
    from tests.support.reviewing import make_ready

    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    try:
        anna, bob, pat = "U222", "U333", "U444"
        w.fake.add_user(anna, "anna.owner@example.com", "Anna Owner")
        w.fake.add_user(bob, "bob.delivery@example.com", "Bob Delivery")
        w.fake.add_user(pat, "pat.product@example.com", "Pat Product")
        async with w.app.db.write() as s:
            uc = await factories.use_case(s, now=clock(), tier="low")
            await make_ready(s, w.app.policy, uc, clock())
        await w.dm(anna, f"move UC-{uc.id}")
        card = w.last("CPRODUCT", with_button="Approve with conditions")
        await w.click(pat, "Approve with conditions", card)
        view = w.last_view()
        status, answer = await w.submit(pat, view, {"c1_text": "x" * 5000, "c1_owner": bob, "c1_due": "2026-12-15",
                                                    "more": "no"})
        assert status == 200 and answer.get("response_action") == "errors", answer
        assert "5,000 characters long; please keep it to 1,000 or fewer" in str(answer["errors"].get("f:c1_text"))
        async with w.app.db.read() as s:
            assert (await s.execute(select(Condition))).first() is None
            assert (await s.execute(select(ReviewRequest))).scalar_one().status == "pending"
        assert w.fake.violations == []
    finally:
        await w.stop()
