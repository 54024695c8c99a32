"""How outgoing Web API calls are retried (slack_sdk retry handlers).

- 429: wait for Retry-After (and pause that method for every caller), when the wait is short; a longer wait
  is left to the caller (the outbox retries later, at the time Slack gave).
- 5xx (Slack's answer that it did not handle the call) and dropped connections: a couple of retries with
  exponential backoff - except, for dropped connections, the methods that post something (`NOT_IDEMPOTENT`):
  Slack may have posted it before the answer was lost (a timeout, a reset), and a blind retry would post it
  twice. Those are retried only when the connection was
  never made (nothing reached Slack); otherwise the call fails and its caller decides (the outbox tries again
  later; a turn's reply is kept until sent, docs/durable-intake.md).
"""
from __future__ import annotations

import asyncio
import random
from typing import Optional

from aiohttp import ClientConnectorError, ClientOSError, ServerConnectionError, ServerDisconnectedError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import RandomJitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.slack.pacing import Pacer

BACKOFF = BackoffRetryIntervalCalculator(backoff_factor=0.5, jitter=RandomJitter())


def retry_after(headers) -> float | None:
    for k, v in (headers or {}).items():
        if k.lower() == "retry-after":
            raw = v[0] if isinstance(v, (list, tuple)) else v
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def method_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


class RateLimitHandler(AsyncRetryHandler):
    """Honour 429 + Retry-After: sleep and try again (up to `max_wait` seconds), pausing the method meanwhile."""

    def __init__(self, pacer: Pacer, *, max_retry_count: int = 3, max_wait: float = 10.0):
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer
        self.max_wait = max_wait

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: Optional[HttpResponse] = None, error: Optional[Exception] = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response.headers)
        wait = 1.0 if wait is None else wait
        self.pacer.pause(method_of(request.url), wait)
        return wait <= self.max_wait

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: Optional[HttpResponse] = None,
                                             error: Optional[Exception] = None) -> None:
        state.next_attempt_requested = True
        wait = retry_after(response.headers if response else None)
        await asyncio.sleep((1.0 if wait is None else wait) + random.random() * 0.2)
        state.increment_current_attempt()


NOT_IDEMPOTENT = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage", "files.upload",
                            "files.completeUploadExternal", "conversations.create"})


def posts(request: HttpRequest) -> bool:
    return method_of(request.url) in NOT_IDEMPOTENT


class ServerErrorHandler(AsyncRetryHandler):
    def __init__(self, max_retry_count: int = 2):
        super().__init__(max_retry_count=max_retry_count, interval_calculator=BACKOFF)

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: Optional[HttpResponse] = None, error: Optional[Exception] = None) -> bool:
        return response is not None and response.status_code in (500, 502, 503, 504)


class ConnectionErrorHandler(AsyncRetryHandler):
    ERRORS = (ServerConnectionError, ServerDisconnectedError, ClientOSError, ClientConnectorError,
              asyncio.TimeoutError)

    def __init__(self, max_retry_count: int = 2):
        super().__init__(max_retry_count=max_retry_count, interval_calculator=BACKOFF)

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: Optional[HttpResponse] = None, error: Optional[Exception] = None) -> bool:
        if error is None or not isinstance(error, self.ERRORS):
            return False
        # A post is tried again only when nothing reached Slack (the connection itself failed).
        return not posts(request) or isinstance(error, ClientConnectorError)


def handlers(pacer: Pacer) -> list[AsyncRetryHandler]:
    return [RateLimitHandler(pacer), ServerErrorHandler(), ConnectionErrorHandler()]
