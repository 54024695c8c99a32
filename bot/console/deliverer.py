"""Notifications for other people and channels, printed in the local chat.

Their buttons are named but not numbered (typed numbers belong to the current person's own latest
message), except a notice for the current person, numbered after their own buttons. The newest message
with buttons for each person or channel is kept, so `/as them` can number it.
"""
from __future__ import annotations

import itertools
from typing import Callable

from bot.console.render import render
from vocabulary.messages import Message
from vocabulary.platforms import Capabilities
from notifications.delivery import Recipient


CAPABILITIES = Capabilities(finds_people_by_email=True)  # it prints for anyone


class ConsoleDeliverer:
    platform = "console"
    capabilities = CAPABILITIES

    def __init__(self, write: Callable[[str], None]):
        self._write = write
        self._ids = itertools.count(1)
        self._order = itertools.count(1)
        self.chat = None
        # target (an email, or "#group") -> (order, message id, message) of its newest message with buttons
        self._latest: dict[str, tuple[int, str, Message]] = {}

    def attach(self, chat) -> None:
        self.chat = chat

    def latest_for(self, targets: set[str]) -> tuple[str, Message] | None:
        found = [v for t, v in self._latest.items() if t in targets]
        if not found:
            return None
        _, mid, message = max(found, key=lambda v: v[0])
        return mid, message

    def _print(self, heading: str, message: Message, target: str) -> str:
        mid = f"n{next(self._ids)}"
        start = self.chat.number_notice(target, message, mid) if self.chat is not None else None
        body, _ = render(message, indent="  │ ", numbered_from=start or 1, numbers=start is not None)
        hint = ""
        if message.buttons:
            self._latest[target] = (next(self._order), mid, message)
            if start is None and target.startswith("#"):
                hint = f"\n  │ (to use these buttons, act as a member of {target}: /as their email)"
            elif start is None and target:
                hint = f"\n  │ (to use these buttons, act as them: /as {target})"
        self._write(f"\n  ┌ {heading}\n{body}{hint}\n")
        if self.chat is not None:
            self.chat.printed[mid] = render(message)[0].split("\n")
        return mid

    async def post(self, channel: str, message: Message, thread_id: str = "") -> str:
        return self._print(f"posted in {channel}" + (" (thread)" if thread_id else ""), message, channel)

    async def update(self, channel: str, message_id: str, message: Message) -> None:
        self._print(f"updated in {channel}", message, channel)

    async def dm(self, recipient: Recipient, message: Message) -> tuple[str, str]:
        who = recipient.email or recipient.name or f"person {recipient.person_id}"
        return f"dm:{who}", self._print(f"message for {who}", message, (recipient.email or "").lower())
