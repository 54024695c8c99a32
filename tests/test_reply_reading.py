"""One filter for channel replies nobody addressed to aiom (Slack and Teams both ask it): a reply in a review
card's thread that reads like a decision goes to the engine; anything else is left to the people."""
from __future__ import annotations

import pytest

from conversations.reviews.reply_reading import is_decision_reply
from storage.db import Database
from storage.repo import message_refs


@pytest.fixture
async def db(db_url):
    db = Database(db_url)
    async with db.write() as s:  # review 7's card, posted in C1 on Slack and in a Teams channel
        await message_refs.remember(s, platform="slack", purpose="review:7", channel="C1", message_id="1700.1")
        await message_refs.remember(s, platform="teams", purpose="review:7", channel="19:c@thread.tacv2",
                                    message_id="1699")
    yield db
    await db.dispose()


@pytest.mark.parametrize("text", ["approved", "LGTM", "approved, thanks", ":+1:"])
async def test_a_decision_typed_under_a_review_card_is_taken(db, text):
    assert await is_decision_reply(db, "slack", "C1", "1700.1", text)
    assert await is_decision_reply(db, "teams", "19:c@thread.tacv2", "1699", text)


@pytest.mark.parametrize("text", ["approved?", "what is this tool for", "", None,
                                  "I approved a similar one last year but this one needs a second look"])
async def test_other_replies_under_a_review_card_are_left_to_people(db, text):
    assert not await is_decision_reply(db, "slack", "C1", "1700.1", text)


async def test_a_decision_word_elsewhere_is_left_to_people(db):
    assert not await is_decision_reply(db, "slack", "C1", "1800.5", "approved")  # another thread
    assert not await is_decision_reply(db, "slack", "C1", "", "approved")  # not in a thread at all
    assert not await is_decision_reply(db, "teams", "C1", "1700.1", "approved")  # the Slack card's id, on Teams
