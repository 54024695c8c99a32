"""Outgoing calls to the Bot Framework connector: retries and Teams' per-conversation pace.

Teams documents (learn.microsoft.com, "Optimize your bot with rate limiting in
Teams") that 429 must be retried with exponential backoff and random jitter,
and that 412, 502 and 504 must be retried too. It also documents the *per bot
per thread* limits - what one bot may send into one conversation:

    send to / create conversation:  7 per 1 s, 8 per 2 s, 60 per 30 s, 1800 per 3600 s
    get conversation members:      14 per 1 s, 16 per 2 s, 120 per 30 s, 3600 per 3600 s

`Pace` keeps this process under those limits by waiting for a free slot
before a call (sliding windows per conversation). Several aiom processes do not
share their windows; a 429 that still happens is retried here, and a send that
finally fails raises, so the outbox records it and tries again later.
"""
from __future__ import annotations

import asyncio
import random
import re
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from urllib.parse import unquote

from bot.pace_share import share

RETRY_STATUS = frozenset({429, 412, 502, 504})

SEND_LIMITS = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
MEMBER_LIMITS = ((1.0, 14), (2.0, 16), (30.0, 120), (3600.0, 3600))

_CONVERSATION = re.compile(r"/v3/conversations/([^/]+)(/.*)?$")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in total, the first one included
    base: float = 0.25  # seconds before the first retry, doubled each time
    cap: float = 20.0  # never wait longer than this between two tries
    max_retry_after: float = 60.0  # a Retry-After beyond this is not waited for inside a request

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before try `attempt + 1` (attempt counts from 1): full jitter, Retry-After as a floor."""
        backoff = min(self.cap, self.base * (2 ** (attempt - 1)))
        wait = random.uniform(backoff / 2, backoff)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


class _Windows:
    """Sliding windows for one conversation and one kind of call."""

    __slots__ = ("limits", "stamps")

    def __init__(self, limits: tuple[tuple[float, int], ...]):
        self.limits = limits
        self.stamps: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        longest = self.limits[-1][0]
        while self.stamps and now - self.stamps[0] >= longest:
            self.stamps.popleft()
        wait = 0.0
        n = len(self.stamps)
        for period, most in self.limits:
            if n >= most:
                # the call `most` places back must leave the window first
                oldest_in_window = self.stamps[n - most]
                wait = max(wait, oldest_in_window + period - now)
        return wait


class Pace:
    """Waits, per conversation, until a call fits Teams' documented per-thread limits.

    Teams also documents a global limit per app and tenant (30 requests a second); aiom does not pace
    to it in-process (several processes would have to share one budget): a 429 it causes is retried.
    """

    CREATE = "*create*"

    def __init__(self, max_conversations: int = 20000, clock=time.monotonic):
        self._windows: OrderedDict[tuple[str, str], _Windows] = OrderedDict()
        self._max = max_conversations
        self._clock = clock

    @staticmethod
    def classify(method: str, path: str) -> tuple[str, str] | None:
        """(kind, conversation) for a connector call that the per-thread limits cover, else None."""
        if method == "POST" and path.rstrip("/").endswith("/v3/conversations"):
            return "send", Pace.CREATE
        m = _CONVERSATION.search(path)
        if not m:
            return None
        conversation = unquote(m.group(1)).split(";", 1)[0]  # a channel's threads share the channel's pace
        rest = m.group(2) or ""
        if rest.startswith("/members") or rest.startswith("/pagedmembers"):
            return "members", conversation
        if rest.startswith("/activities") and method in ("POST", "PUT", "DELETE"):
            return "send", conversation
        return None

    async def acquire(self, kind: str, conversation: str) -> float:
        """Wait for a slot; returns how long it waited (seconds)."""
        key = (kind, conversation)
        w = self._windows.get(key)
        if w is None:
            w = self._windows[key] = _Windows(share(MEMBER_LIMITS if kind == "members" else SEND_LIMITS))
            if len(self._windows) > self._max:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(key)
        waited = 0.0
        while True:
            now = self._clock()
            wait = w.wait_time(now)
            if wait <= 0:
                w.stamps.append(now)
                return waited
            waited += wait
            await asyncio.sleep(wait)
