"""Who is who in Slack: the app's own workspace (auth.test, once), users (users.info, cached with a TTL),
people by email (users.lookupByEmail) and the bot's DM channel with a user (conversations.open, cached)."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Awaitable, Callable

from bot.slack.api import SlackApi, error_code
from notifications.delivery import DeliveryError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Workspace:
    team_id: str
    enterprise_id: str
    bot_user_id: str
    bot_id: str
    url: str = ""


@dataclass(frozen=True)
class SlackUser:
    id: str
    team_id: str
    name: str
    email: str | None
    tz: str | None
    is_bot: bool = False
    deleted: bool = False
    enterprise_id: str = ""


class TTLCache:
    def __init__(self, ttl: float, size: int = 20_000, clock=time.monotonic):
        self.ttl, self.size, self.clock = ttl, size, clock
        self._d: OrderedDict[str, tuple[float, object]] = OrderedDict()

    def get(self, key: str, default=None):
        hit = self._d.get(key)
        if hit is None or hit[0] < self.clock():
            return default
        return hit[1]

    def put(self, key: str, value, ttl: float | None = None) -> None:
        self._d.pop(key, None)
        self._d[key] = (self.clock() + (self.ttl if ttl is None else ttl), value)
        if len(self._d) > self.size:
            self._d.popitem(last=False)


_MISSING = object()


class SlackUnavailable(Exception):
    """Slack could not say who a user is right now. Nothing is done without knowing: guessing would link the
    Slack user to a new, email-less person for good."""


class Directory:
    def __init__(self, api: SlackApi, *, user_ttl: float = 3600, negative_ttl: float = 300):
        self.api = api
        self.users = TTLCache(user_ttl)
        self.negative_ttl = negative_ttl
        self.dm_channels = TTLCache(24 * 3600)
        self.by_email_cache = TTLCache(user_ttl)
        self._workspace: Workspace | None = None
        self._ws_lock = asyncio.Lock()
        self._inflight: dict[str, asyncio.Future] = {}
        self._refreshing: asyncio.Task | None = None

    @property
    def known_workspace(self) -> Workspace | None:
        """The workspace if auth.test has answered already (never a network call)."""
        return self._workspace

    async def workspace(self) -> Workspace:
        """The app's workspace: auth.test, asked once (with the client's retries). For listeners, after ack."""
        if self._workspace is not None:
            return self._workspace
        async with self._ws_lock:
            if self._workspace is None:
                try:
                    d = await self.api.call("auth.test")
                except DeliveryError as e:
                    raise SlackUnavailable(f"auth.test: {e}") from None
                self._learn(d)
        return self._workspace

    def refresh_soon(self, spawn: Callable) -> None:
        """Learn the workspace in the background (a request that cannot wait for it calls this): one quick
        auth.test at a time, with a short timeout and no retries; the next request tries again if it fails."""
        if self._workspace is not None or self._ws_lock.locked() or \
                (self._refreshing is not None and not self._refreshing.done()):
            return  # known, or being asked already
        self._refreshing = spawn(self._quick_refresh())

    async def _quick_refresh(self) -> None:
        try:
            self._learn(await self.api.quick_call("auth.test"))
        except DeliveryError as e:
            log.warning("Slack auth.test failed (%s); trying again on the next request", e)

    def _learn(self, d: dict) -> None:
        if self._workspace is None:
            self._workspace = Workspace(team_id=d.get("team_id", ""), enterprise_id=d.get("enterprise_id") or "",
                                        bot_user_id=d.get("user_id", ""), bot_id=d.get("bot_id", ""),
                                        url=d.get("url", ""))
            log.info("Slack workspace %s, bot user %s", self._workspace.team_id, self._workspace.bot_user_id)

    async def _once(self, key: str, fetch: Callable[[], Awaitable]):
        """One lookup per key at a time: concurrent callers share the result."""
        fut = self._inflight.get(key)
        if fut is not None:
            return await asyncio.shield(fut)
        fut = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            value = await fetch()
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            self._inflight.pop(key, None)
        fut.set_result(value)
        return value

    async def user(self, user_id: str) -> SlackUser | None:
        if not user_id:
            return None
        hit = self.users.get(user_id, _MISSING)
        if hit is not _MISSING:
            return hit

        async def fetch():
            try:
                d = await self.api.form_call("users.info", user=user_id)
            except DeliveryError as e:
                if error_code(e) in ("user_not_found", "users_not_found"):
                    self.users.put(user_id, None, self.negative_ttl)
                    return None
                raise SlackUnavailable(f"users.info {user_id}: {e}") from None
            u = _user(d.get("user") or {})
            self.users.put(user_id, u)
            return u

        return await self._once(f"u:{user_id}", fetch)

    async def user_by_email(self, email: str) -> str | None:
        email = (email or "").strip().lower()
        if not email:
            return None
        hit = self.by_email_cache.get(email, _MISSING)
        if hit is not _MISSING:
            return hit
        try:
            d = await self.api.form_call("users.lookupByEmail", email=email)
        except DeliveryError as e:
            if error_code(e) in ("users_not_found", "user_not_found"):
                self.by_email_cache.put(email, None, self.negative_ttl)
                return None
            raise
        u = _user(d.get("user") or {})
        self.users.put(u.id, u)
        self.by_email_cache.put(email, u.id)
        return u.id

    async def dm_channel(self, user_id: str) -> str:
        hit = self.dm_channels.get(user_id)
        if hit:
            return hit

        async def fetch():
            d = await self.api.call("conversations.open", users=user_id)
            cid = (d.get("channel") or {}).get("id", "")
            if not cid:
                raise DeliveryError(f"conversations.open gave no channel for {user_id}", retry=True)
            self.dm_channels.put(user_id, cid)
            return cid

        return await self._once(f"dm:{user_id}", fetch)

    def remember_dm(self, user_id: str, channel: str) -> None:
        """A DM event tells us the bot's DM channel with that user for free."""
        if user_id and channel.startswith("D"):
            self.dm_channels.put(user_id, channel)


def _user(u: dict) -> SlackUser:
    profile = u.get("profile") or {}
    name = (profile.get("real_name") or u.get("real_name") or profile.get("display_name") or u.get("name") or "")
    ent = (u.get("enterprise_user") or {}).get("enterprise_id", "")
    return SlackUser(id=u.get("id", ""), team_id=u.get("team_id", ""), name=name.strip(),
                     email=(profile.get("email") or "").strip().lower() or None, tz=u.get("tz") or None,
                     is_bot=bool(u.get("is_bot")) or u.get("id") == "USLACKBOT", deleted=bool(u.get("deleted")),
                     enterprise_id=ent)
