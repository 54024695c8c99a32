"""What the chat flows ask of the charts, without importing them (conversations never imports notifications).

The composition root (bot/app.py) sets `engine.visuals` to notifications.digest.visuals.DigestVisuals; tests
and tools that build an engine without it simply get no pictures.
"""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from vocabulary.messages import Message
from vocabulary.policy import Policy


class Visuals(Protocol):
    async def portfolio(self, counts: dict[str, int], visible: bool, now: datetime) -> list[Message]:
        """The portfolio pictures for live counts by stage; `visible`: restricted use cases are in the counts
        (leadership's view) — the trend then counts them too."""

    async def report(self, period: str, now: datetime) -> tuple[bytes, str]:
        """The quarterly report PDF and its title; raises ValueError with a polite text for a bad period."""


def leadership_view(policy: Policy, platform: str, conversation_id: str, kind: str, leader: bool) -> bool:
    """Pictures include restricted use cases only for a leader in their private chat, or in leadership's own
    channels (the local chat's leadership group is "#<group key>")."""
    if kind == "personal":
        return leader
    lead = policy.review.leadership_group
    if platform == "console":
        return conversation_id == "#" + lead
    try:
        return conversation_id in policy.review.group(lead).channels.get(platform, [])
    except KeyError:
        return False
