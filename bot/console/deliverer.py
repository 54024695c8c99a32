"""Notifications for other people and channels, printed in the local chat."""
from __future__ import annotations

import itertools
from typing import Callable

from bot.console.render import render
from conversations.messages import Message
from notifications.delivery import Recipient


class ConsoleDeliverer:
    platform = "console"

    def __init__(self, write: Callable[[str], None]):
        self._write = write
        self._ids = itertools.count(1)

    def _print(self, heading: str, message: Message) -> str:
        body, _ = render(message, indent="  │ ")
        self._write(f"\n  ┌ {heading}\n{body}\n")
        return f"n{next(self._ids)}"

    async def post(self, channel: str, message: Message, thread_id: str = "") -> str:
        return self._print(f"posted in {channel}" + (" (thread)" if thread_id else ""), message)

    async def update(self, channel: str, message_id: str, message: Message) -> None:
        self._print(f"updated in {channel}", message)

    async def dm(self, recipient: Recipient, message: Message) -> tuple[str, str]:
        who = recipient.email or recipient.name or f"person {recipient.person_id}"
        return f"dm:{who}", self._print(f"message for {who}", message)
