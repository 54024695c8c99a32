"""Pacing outgoing calls: about one chat.postMessage per second per channel (Slack's documented pace, with
short bursts), and a pause for a whole method after Slack answered 429 with Retry-After."""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

from bot.pace_share import processes


class Pacer:
    def __init__(self, *, rate: float | None = None, burst: float | None = None, max_channels: int = 10_000,
                 clock=time.monotonic):
        n = processes()  # AIOM_PACE_PROCESSES: this process's share of the channel's pace
        self.rate = rate if rate is not None else 1.0 / n
        self.burst = burst if burst is not None else max(1.0, 3.0 / n)
        self.max_channels = max_channels
        self.clock = clock
        # channel -> (tokens, last refill)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        # method -> monotonic time before which no call is made
        self._paused: dict[str, float] = {}

    def pause(self, method: str, seconds: float) -> None:
        until = self.clock() + max(0.0, seconds)
        if until > self._paused.get(method, 0.0):
            self._paused[method] = until

    def paused_for(self, method: str) -> float:
        return max(0.0, self._paused.get(method, 0.0) - self.clock())

    def _take(self, channel: str) -> float:
        """Take one token for `channel`; return how long to wait for it (0 when one was there)."""
        now = self.clock()
        tokens, last = self._buckets.pop(channel, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        tokens -= 1.0
        self._buckets[channel] = (tokens, now)
        if len(self._buckets) > self.max_channels:
            self._buckets.popitem(last=False)
        return 0.0 if tokens >= 0 else -tokens / self.rate

    async def wait(self, method: str, channel: str | None = None) -> None:
        delay = self.paused_for(method)
        if channel:
            delay = max(delay, self._take(channel))
        if delay > 0:
            await asyncio.sleep(delay)
