"""The Web API client aiom uses for every outgoing call: one AsyncWebClient on one shared aiohttp session,
base URL from SLACK_API_URL, retries (429/5xx/connection) and per-channel pacing.

A call that finally fails raises `notifications.delivery.DeliveryError` (with `retry` and `retry_after`), so
the outbox can record it and try again later.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import retry
from bot.slack.pacing import Pacer
from notifications.delivery import DeliveryError

log = logging.getLogger(__name__)

# Errors that will not go away by trying again (the message itself or its target is wrong).
PERMANENT = {
    "channel_not_found", "not_in_channel", "is_archived", "invalid_blocks", "invalid_blocks_format",
    "msg_too_long", "no_text", "too_many_attachments", "message_not_found", "cant_update_message",
    "edit_window_closed", "user_not_found", "users_not_found", "user_not_in_channel", "account_inactive",
    "cannot_dm_bot", "user_disabled", "invalid_arguments", "invalid_arg_name", "expired_trigger_id",
    "invalid_trigger_id", "exchanged_trigger_id", "view_too_large", "duplicate_external_id",
}
# Slack's one message a second per channel (with short bursts) is chat.postMessage's own limit; every other
# method has a per-workspace tier, which its 429 and Retry-After already tell us about.
PACED = {"chat.postMessage"}


class SlackApi:
    def __init__(self, token: str, base_url: str, *, timeout: int = 15, pacer: Pacer | None = None):
        self.pacer = pacer or Pacer()
        self.client = AsyncWebClient(token=token, base_url=base_url, timeout=timeout,
                                     retry_handlers=retry.handlers(self.pacer))
        self._quick = AsyncWebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._timeout = timeout

    # -- session ------------------------------------------------------------------
    def ensure_session(self) -> aiohttp.ClientSession:
        """The one shared session (created lazily inside the running loop, closed on shutdown)."""
        if self._closed:
            raise DeliveryError("the Slack client is shutting down", retry=True)
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector,
                                                  timeout=aiohttp.ClientTimeout(total=self._timeout))
            self.client.session = self._quick.session = self._session
        return self._session

    async def close(self) -> None:
        self._closed = True
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self.client.session = self._quick.session = None

    # -- calls --------------------------------------------------------------------
    async def call(self, method: str, *, channel: str | None = None, http_verb: str = "POST",
                   **kwargs: Any) -> dict:
        """Call a Web API method; returns the response data or raises DeliveryError."""
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        if channel is not None:
            kwargs["channel"] = channel
        self.ensure_session()
        await self.pacer.wait(method, channel if method in PACED else None)
        try:
            if http_verb == "GET":
                resp = await self.client.api_call(method, http_verb="GET", params=kwargs)
            else:
                resp = await self.client.api_call(method, json=kwargs)
            return resp.data if isinstance(resp.data, dict) else {}
        except SlackApiError as e:
            raise _delivery_error(method, e) from None
        except (SlackClientError, aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise DeliveryError(f"{method}: {type(e).__name__}: {e}", retry=True) from None

    async def quick_call(self, method: str, *, timeout: float = 3.0, **kwargs: Any) -> dict:
        """One attempt, a short timeout, no retries: for what must fail fast rather than wait."""
        self.ensure_session()
        try:
            resp = await asyncio.wait_for(self._quick.api_call(method, json=kwargs), timeout)
            return resp.data if isinstance(resp.data, dict) else {}
        except SlackApiError as e:
            raise _delivery_error(method, e) from None
        except (SlackClientError, aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise DeliveryError(f"{method}: {type(e).__name__}: {e}", retry=True) from None

    async def form_call(self, method: str, **params: Any) -> dict:
        """Methods Slack documents as form-encoded (users.info, users.lookupByEmail ...)."""
        self.ensure_session()
        await self.pacer.wait(method)
        try:
            resp = await self.client.api_call(method, http_verb="POST", data=params)
            return resp.data if isinstance(resp.data, dict) else {}
        except SlackApiError as e:
            raise _delivery_error(method, e) from None
        except (SlackClientError, aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise DeliveryError(f"{method}: {type(e).__name__}: {e}", retry=True) from None

    async def upload(self, *, channel: str, filename: str, content: bytes, title: str = "",
                     thread_ts: str | None = None) -> None:
        """files.getUploadURLExternal + upload + files.completeUploadExternal (the v2 upload)."""
        self.ensure_session()
        try:
            await self.client.files_upload_v2(channel=channel, filename=filename, content=content,
                                              title=title or filename, thread_ts=thread_ts or None)
        except SlackApiError as e:
            raise _delivery_error("files.upload", e) from None
        except (SlackClientError, aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise DeliveryError(f"files.upload: {type(e).__name__}: {e}", retry=True) from None

    async def upload_pictures(self, *, channel: str, pictures: list[tuple[str, bytes, str, str]],
                              comment: str = "", thread_ts: str | None = None) -> str:
        """Upload PNGs (filename, content, title, alt text) to `channel` in one message (the v2 upload); returns
        the first file's id."""
        self.ensure_session()
        uploads = [{"filename": f, "content": c, "title": t, "alt_txt": a[:1000]} for f, c, t, a in pictures]
        try:
            r = await self.client.files_upload_v2(channel=channel, file_uploads=uploads,
                                                  initial_comment=comment or None, thread_ts=thread_ts or None)
        except SlackApiError as e:
            raise _delivery_error("files.upload", e) from None
        except (SlackClientError, aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise DeliveryError(f"files.upload: {type(e).__name__}: {e}", retry=True) from None
        data = r.data if isinstance(r.data, dict) else {}
        files = data.get("files") or [{}]
        return str(files[0].get("id") or "")

    async def respond(self, response_url: str, body: dict) -> None:
        """POST to an interaction's response_url (ephemeral messages, replacing an ephemeral original)."""
        session = self.ensure_session()
        try:
            async with session.post(response_url, json=body) as r:
                if r.status == 429:
                    raise DeliveryError("response_url: rate limited", retry=True,
                                        retry_after=retry.retry_after(r.headers))
                if r.status >= 400:
                    raise DeliveryError(f"response_url: HTTP {r.status}", retry=r.status >= 500)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise DeliveryError(f"response_url: {type(e).__name__}: {e}", retry=True) from None


def _delivery_error(method: str, e: SlackApiError) -> DeliveryError:
    resp = e.response
    status = getattr(resp, "status_code", 0) or 0
    data = getattr(resp, "data", None)
    code = data.get("error", "") if isinstance(data, dict) else ""
    if status == 429 or code == "ratelimited":
        return DeliveryError(f"{method}: rate limited", retry=True,
                             retry_after=retry.retry_after(getattr(resp, "headers", None)) or 1.0)
    if status >= 500 or not code:
        return DeliveryError(f"{method}: HTTP {status} {code}".strip(), retry=True)
    return DeliveryError(f"{method}: {code}", retry=code not in PERMANENT)


def error_code(e: DeliveryError) -> str:
    """The Slack error code in a DeliveryError message ('chat.update: message_not_found' -> 'message_not_found')."""
    return str(e).rsplit(": ", 1)[-1]
