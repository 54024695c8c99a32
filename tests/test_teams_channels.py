"""aiom in a Teams channel: scorecards started from a use case's card answer in that card's reply chain, and
with the permission to read every channel message, aiom still answers only what is meant for it."""
from __future__ import annotations

import pytest

from vocabulary.messages import Button, Buttons, Message, Text
from storage.repo import outbox_enqueue as notify
from storage.repo import message_refs
from tests.support import factories
from tests.support.teams_activities import (  # noqa: F401,F811 (the teams fixture)
    TeamsAiom, channel, message, new_id, teams, user,
)
from tests.test_teams_reviews import PRODUCT, _review_card

ANNA = user("Anna Owner", "anna.owner@example.com")


async def _use_case_card(t: TeamsAiom, clock) -> tuple[int, str]:
    """A use case's card posted at the top of #product by the outbox (as a reminder posts it)."""
    pat = t.chat(user("Pat Product", "pat.product@example.com"), conversation=channel(PRODUCT, root="500"))
    await pat.say("hello", mention_bot=True)  # aiom learns the channel (as on install)
    async with t.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), business_owner=ANNA.email)
        card = Message([Text([f"UC-{uc.id} Claims triage assistant waits for its owners."]),
                        Buttons([Button("Status", "status.show", {"uc": uc.id})])])
        await notify.to_channels(s, targets=[("teams", PRODUCT)], message=card, key=f"uc:{uc.id}:nudge", now=clock())
    await t.drain()
    posted = t.fake.sent_to(PRODUCT)
    assert len(posted) == 1  # a new top-level post, not a reply
    return uc.id, posted[0].id


@pytest.mark.parametrize("invoke_in", ["the card's reply chain", "the channel"])
async def test_a_scorecard_started_from_a_channel_card_answers_in_that_cards_reply_chain(teams: TeamsAiom, clock,
                                                                                         invoke_in):
    """Teams names a click on a top-level card by the channel, with or without the card's reply chain."""
    uc_id, card_id = await _use_case_card(teams, clock)
    chain = f"{PRODUCT};messageid={card_id}"
    clicked_from = channel(PRODUCT, root=card_id) if invoke_in == "the card's reply chain" else channel(PRODUCT)
    anna = teams.chat(ANNA, conversation=clicked_from)
    r = await anna.click("Status")
    assert [s.conversation_id for s in r.sent] == [chain] and "UC-" in r.text

    in_chain = teams.chat(ANNA, conversation=channel(PRODUCT, root=card_id))
    r = await in_chain.click("Score")
    assert [s.conversation_id for s in r.sent] == [chain]
    scorecard = r.sent[0]
    assert "Pilot selection" in scorecard.text and "area 1 of 12" in scorecard.text
    r = await in_chain.click("3 ·")
    assert not r.sent and [u.activity_id for u in r.updates] == [scorecard.id]  # answered in place
    assert "area 2 of 12" in r.updates[0].text

    # asked again from a new post in the channel, the scorecard still answers under the use case's card
    post = new_id()
    elsewhere = teams.chat(ANNA, conversation=channel(PRODUCT, root=post))
    r = await teams.post(message(ANNA, f"score UC-{uc_id} pilot", service_url=teams.service_url,
                                 conversation=elsewhere.conversation, activity_id=post, mention_bot=True))
    assert [s.conversation_id for s in r.sent] == [chain]
    async with teams.app.db.read() as s:
        ref = await message_refs.find(s, "teams", f"use_case:{uc_id}", PRODUCT)
        assert ref is not None and ref.message_id == card_id


async def test_a_click_on_a_card_inside_a_reply_chain_answers_in_that_chain(teams: TeamsAiom, clock):
    """Only a top-level card becomes the use case's message; a card further down keeps its own chain."""
    uc_id, card_id = await _use_case_card(teams, clock)
    anna = teams.chat(ANNA, conversation=channel(PRODUCT, root="700"))
    r = await anna.say(f"status UC-{uc_id}", mention_bot=True)
    assert [s.conversation_id for s in r.sent] == [f"{PRODUCT};messageid=700"]
    r = await anna.click("Score")
    assert [s.conversation_id for s in r.sent] == [f"{PRODUCT};messageid=700"]
    async with teams.app.db.read() as s:
        assert await message_refs.find(s, "teams", f"use_case:{uc_id}", PRODUCT) is None


async def test_a_plain_decision_in_a_review_cards_thread_gets_the_private_nudge(teams: TeamsAiom, clock):
    """Without an @mention (Teams delivers every channel message to aiom with ChannelMessage.Read.Group)."""
    uc_id, card_id = await _review_card(teams, clock)
    pia = teams.chat(user("Pia Product", "pia.product@example.com"), conversation=channel(PRODUCT, root=card_id))
    r = await pia.say("LGTM!")
    assert [s.conversation_id for s in r.sent] == [f"a:dm-{pia.user.user_id}"]
    assert "buttons on the review card" in r.sent[0].text


async def test_channel_chatter_is_left_to_people(teams: TeamsAiom, clock):
    uc_id, card_id = await _review_card(teams, clock)
    pia = user("Pia Product", "pia.product@example.com")
    lookups = len(teams.fake.member_lookups)
    chatter = [
        (channel(PRODUCT, root=card_id), "ok, where is it hosted?"),  # discussion under the review card
        (channel(PRODUCT, root=card_id), "help"),  # a command word, but not said to aiom
        (channel(PRODUCT, root="800"), "approved"),  # a decision word under someone else's post
        (channel("19:random@thread.tacv2", root="900"), "status UC-1"),
    ]
    for conversation, text in chatter:
        r = await teams.post(message(pia, text, service_url=teams.service_url, conversation=conversation))
        assert r.status == 200 and not r.sent and not r.updates, text
    assert len(teams.fake.member_lookups) == lookups  # nothing was even looked up

    r = await teams.chat(pia, conversation=channel(PRODUCT, root="800")).say("help", mention_bot=True)
    assert [s.conversation_id for s in r.sent] == [f"{PRODUCT};messageid=800"]  # said to aiom: answered
