"""What a platform must offer to deliver outbox rows (implemented by bot/slack, bot/teams, bot/console)."""
from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from typing import Iterator, Protocol

from vocabulary.messages import Message
from vocabulary.platforms import Capabilities


class DeliveryError(Exception):
    """A send failed. `retry` says whether trying later may succeed; `retry_after` is the platform's hint."""

    def __init__(self, message: str, *, retry: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


@dataclass(frozen=True)
class Recipient:
    person_id: int
    email: str | None
    name: str
    # (platform, tenant, external_id, extra) of the person's identities, most recently active first.
    identities: tuple[tuple[str, str, str, dict], ...] = ()


class Deliverer(Protocol):
    platform: str
    # What the platform can do (vocabulary/platforms.py): read into the `Platforms` the engine and sweeps get.
    capabilities: Capabilities

    async def post(self, channel: str, message: Message, thread_id: str = "") -> str:
        """Post to a channel (or thread); return the platform's message id."""

    async def update(self, channel: str, message_id: str, message: Message) -> None:
        """Replace an earlier message in place."""

    async def dm(self, recipient: Recipient, message: Message) -> tuple[str, str]:
        """Message a person directly; return (conversation id, message id)."""


@dataclass(frozen=True)
class Attempt:
    """The outbox row a deliverer is sending: its dedupe key (a deliverer may mark the post with it) and whether
    an earlier try may have reached the platform (its process stopped before the send was stamped)."""
    key: str
    again: bool


_attempt: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar("aiom_outbox_attempt", default=None)


def current_attempt() -> Attempt | None:
    return _attempt.get()


@contextlib.contextmanager
def attempt(key: str, attempts: int) -> Iterator[Attempt]:
    """Around one outbox row's send (notifications/dispatcher.py): `attempts` counts this try."""
    token = _attempt.set(a := Attempt(key=key, again=attempts > 1))
    try:
        yield a
    finally:
        _attempt.reset(token)
