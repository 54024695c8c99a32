"""Connector clients for outgoing Bot Framework calls: built once per serviceUrl, sent over one aiohttp session.

Why this exists (the per-turn cost of the stock adapter). Profiling a bare
botbuilder `CloudAdapter` echo bot with py-spy showed ~75 % of the event loop's
CPU in `msrest.universal_http.requests.ClientRetryPolicy.__init__`: every
msrest client configuration builds `safe_codes` (a 500-item list) and then
`[i for i in range(999) if i not in safe_codes]` - about 500,000 list
comparisons - and the adapter builds *two* such clients on every turn (a
`ConnectorClient` in `_ConnectorFactoryImpl.create` and a `TokenApiClient` in
`create_user_token_client`). Each new client also opens a new `requests`
session, so every reply paid a new TCP connection and a thread-pool hop, and
(with an app id) a new MSAL application that fetches a new token.

We change none of the library: `AiomBotFrameworkAuthentication` (auth.py) hands
the adapter a `CachedConnectorFactory`, which asks the library's own factory
for a client once per (serviceUrl, audience), replaces that client's HTTP
pipeline with ours (below), and reuses it for every later turn and every
proactive send. Our pipeline sends with one shared `aiohttp.ClientSession`
(pooled keep-alive connections, no threads), adds the bearer token from the
library's own credentials object (so MSAL's token cache is reused), and
retries / paces as Teams documents (retry.py).
"""
from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections import OrderedDict
from typing import Any
from urllib.parse import quote

import aiohttp
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import ConnectorFactory
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline, Request, Response
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http import ClientRequest
from msrest.universal_http.aiohttp import AioHttpClientResponse

from bot.teams.retry import RETRY_STATUS, Pace, RetryPolicy, retry_after_seconds

log = logging.getLogger(__name__)


class _AiohttpSender(AsyncHTTPSender):
    """Sends msrest requests over the pool's shared aiohttp session."""

    def __init__(self, pool: "ConnectorPool"):
        self._pool = pool

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_details):
        return None

    async def send(self, request: Request, **config: Any) -> Response:
        req = request.http_request
        session = await self._pool.session()
        async with session.request(req.method, req.url, headers=req.headers, data=req.data) as raw:
            response = AioHttpClientResponse(req, raw)
            await response.load_body()
        return Response(request, response)


class _BearerToken(AsyncHTTPPolicy):
    """Authorization header from the library's credentials object (nothing when auth is off)."""

    def __init__(self, credentials):
        super().__init__()
        self._credentials = credentials

    async def send(self, request: Request, **kwargs: Any) -> Response:
        creds = self._credentials
        if creds is not None and getattr(creds, "microsoft_app_id", None):
            # MSAL answers from its cache almost always; a refresh is a blocking HTTPS call, so off the loop.
            token = await asyncio.to_thread(creds.get_access_token)
            request.http_request.headers["Authorization"] = f"Bearer {token}"
        else:
            request.http_request.headers.pop("Authorization", None)
        return await self.next.send(request, **kwargs)


# The loop time by which a turn must have answered Bot Framework (set by the endpoint around each turn; None for
# sends outside a turn - the outbox - which retry fully). Retries and pace waits that would pass it are not
# made in the request, and a request still unanswered at it is abandoned: the send fails and the turn writes it
# to the outbox (requeue.py), sent after the turn.
turn_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("aiom_teams_turn_deadline",
                                                                            default=None)


class _RetryAndPace(AsyncHTTPPolicy):
    """Waits for Teams' per-conversation pace, then retries 429 / 412 / 502 / 504 with backoff and jitter."""

    def __init__(self, pool: "ConnectorPool"):
        super().__init__()
        self._pool = pool

    async def send(self, request: Request, **kwargs: Any) -> Response:
        req = request.http_request
        policy = self._pool.retry
        kind = Pace.classify(req.method, _path(req.url))
        if kind == ("send", Pace.CREATE):
            kind = ("send", _created_thread(req.data))
        deadline = turn_deadline.get()
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            attempt += 1
            if kind is not None:
                if deadline is None:
                    await self._pool.pace.acquire(*kind)
                else:  # inside a turn: a pace wait past the budget is left to the outbox
                    try:
                        await asyncio.wait_for(self._pool.pace.acquire(*kind), max(0.0, deadline - loop.time()))
                    except asyncio.TimeoutError:
                        raise ConnectorError(429, "paced past the turn's budget") from None
            try:
                if deadline is None:
                    response = await self.next.send(request, **kwargs)
                else:  # inside a turn: a request that hangs is given up at the budget, not the HTTP timeout
                    try:
                        response = await asyncio.wait_for(self.next.send(request, **kwargs),
                                                          max(0.0, deadline - loop.time()))
                    except asyncio.TimeoutError:
                        raise ConnectorError(504, "no answer within the turn's budget") from None
            except aiohttp.ClientConnectorError:
                # Nothing reached the connector, so trying again cannot duplicate a message.
                if attempt >= policy.attempts:
                    raise
                if deadline is not None and loop.time() + policy.delay(attempt) > deadline:
                    raise
                await asyncio.sleep(policy.delay(attempt))
                continue
            status = response.http_response.status_code
            if status not in RETRY_STATUS or attempt >= policy.attempts:
                return response
            hint = retry_after_seconds(response.http_response.headers.get("Retry-After"))
            if hint is not None and hint > policy.max_retry_after:
                return response  # the caller (the outbox) will try again much later
            wait = policy.delay(attempt, hint)
            if deadline is not None and loop.time() + wait > deadline:
                return response  # past the turn's budget: the outbox tries again after the turn
            self._pool.retries += 1
            log.info("connector answered %s to %s %s; retry %s in %.2fs", status, req.method, _path(req.url),
                     attempt, wait)
            await asyncio.sleep(wait)


def _created_thread(data: Any) -> str:
    """The conversation a create-conversation call opens (its member or channel), for its pace."""
    try:
        body = json.loads(data) if isinstance(data, (str, bytes)) else {}
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        members = body.get("members") or [{}]
        return f"create:{channel or members[0].get('id', '')}"
    except (ValueError, AttributeError, IndexError):
        return Pace.CREATE


def _path(url: str) -> str:
    start = url.find("/", url.find("//") + 2) if "//" in url else 0
    path = url[start:] if start >= 0 else "/"
    return path.split("?", 1)[0]


class ConnectorPool:
    """One connector client per (serviceUrl, audience), and one HTTP session for all of them."""

    def __init__(self, *, retry: RetryPolicy | None = None, pace: Pace | None = None, max_clients: int = 64,
                 timeout: float = 30.0):
        self.retry = retry or RetryPolicy()
        self.pace = pace or Pace()
        self.retries = 0  # how many retries were made (for logs and tests)
        self._clients: OrderedDict[tuple[str, str], ConnectorClient] = OrderedDict()
        self._max = max_clients
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, connector=aiohttp.TCPConnector(limit=100, ttl_dns_cache=300))
        return self._session

    async def client(self, inner: ConnectorFactory, service_url: str, audience: str | None) -> ConnectorClient:
        key = (service_url, audience or "")
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        client = await inner.create(service_url, audience)  # the library's own construction, once per key
        config = client.config
        config.pipeline = AsyncPipeline(
            [config.user_agent_policy, _BearerToken(config.credentials), _RetryAndPace(self), RawDeserializer(),
             config.http_logger_policy],
            _AiohttpSender(self))
        self._clients[key] = client
        if len(self._clients) > self._max:
            self._clients.popitem(last=False)
        return client

    def factory(self, inner: ConnectorFactory) -> "CachedConnectorFactory":
        return CachedConnectorFactory(self, inner)

    async def close(self) -> None:
        self._clients.clear()
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class CachedConnectorFactory(ConnectorFactory):
    """What the adapter sees: a connector factory that reuses the pool's clients."""

    def __init__(self, pool: ConnectorPool, inner: ConnectorFactory):
        self._pool = pool
        self._inner = inner

    async def create(self, service_url: str, audience: str = None) -> ConnectorClient:
        return await self._pool.client(self._inner, service_url, audience)


# -- aiom's own messages: JSON straight through the client's pipeline ------------------------------------------
class ConnectorError(Exception):
    """The connector refused a call (after the pipeline's retries)."""

    def __init__(self, status: int, what: str, retry_after: float | None = None):
        super().__init__(f"{what}: HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def conversation_path(conversation_id: str, activity_id: str | None = None) -> str:
    path = f"/v3/conversations/{quote(conversation_id, safe='')}/activities"
    return f"{path}/{quote(activity_id, safe='')}" if activity_id else path


async def call(client: ConnectorClient, method: str, path: str, body: dict) -> dict:
    """One connector REST call with a JSON body, through `client`'s pipeline (token, pace, retries).

    aiom sends and updates its cards this way rather than through `conversations.send_to_conversation` /
    `update_activity`: those run msrest's model serializer over the whole card (every nested dict walked and
    validated), which profiling showed at ~2 ms of CPU per card - a fifth of a whole card-answer turn - for
    a body that is already plain JSON. Same endpoint, same pipeline, same headers.
    """
    url = client.config.base_url.rstrip("/") + path
    request = ClientRequest(method, url, headers={"Accept": "application/json",
                                                  "Content-Type": "application/json; charset=utf-8"},
                            data=json.dumps(body, ensure_ascii=False, separators=(",", ":")))
    response = (await client.config.pipeline.run(request, stream=True)).http_response
    status = response.status_code
    if status >= 300:
        raise ConnectorError(status, f"{method} {path.split('/activities')[0]}",
                             retry_after_seconds(response.headers.get("Retry-After")))
    try:
        raw = response.body()
    except ValueError:  # an empty body
        return {}
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


async def get(client: ConnectorClient, path: str) -> dict:
    """One connector GET (a roster page), through `client`'s pipeline; ConnectorError on a non-2xx answer."""
    url = client.config.base_url.rstrip("/") + path
    request = ClientRequest("GET", url, headers={"Accept": "application/json"})
    response = (await client.config.pipeline.run(request, stream=True)).http_response
    if response.status_code >= 300:
        raise ConnectorError(response.status_code, f"GET {path.split('?')[0]}",
                             retry_after_seconds(response.headers.get("Retry-After")))
    try:
        raw = response.body()
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}
