"""Reading a channel reply nobody addressed to aiom: does it belong to a review?

A reply in a review card's thread that reads like a decision ("approved", "LGTM", a thumbs-up) is taken to the
engine, so the reviewer gets a private nudge to use the card's buttons (a typed reply is not recorded as a
decision); any other un-addressed channel talk is left to the people. Every platform adapter asks this one
function, before looking anyone up.
"""
from __future__ import annotations

from conversations.reviews.buttons import looks_like_decision
from storage.db import Database
from storage.repo import reviews


async def is_decision_reply(db: Database, platform: str, channel: str, thread: str, text: str | None) -> bool:
    """Whether `text`, a reply in `thread` of `channel`, reads like a decision on the review posted there.
    The database is read only when the text reads like a decision."""
    if not thread or not looks_like_decision(text):
        return False
    async with db.read() as s:
        return await reviews.review_for_thread(s, platform, channel, thread) is not None
