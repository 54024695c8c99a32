"""Who a Teams user is: AAD object id and tenant, email from the Teams roster, time zone, guest or not.

The email comes from the roster (`TeamsInfo.get_member`: email, else the user
principal name), kept in a bounded in-process cache for an hour (MEMBER_TTL), so
a changed email or a guest role given in Entra is picked up within the hour.
Someone the roster does not know is remembered as unknown for a few minutes
(MISS_TTL; a minute when the roster could not be reached), so they do not cost
a roster call on every turn. The person an email maps to lives in the database
(conversations.people.lookup), so a restart only costs one roster call per user.

The *home* tenant - whose members may decide reviews and are linked to aiom
people by email - is `MICROSOFT_APP_TENANT_ID`:

- set: that tenant is home; everyone else (and anyone the roster marks
  "guest") is a guest: they may talk to aiom but may not decide reviews, and
  their roster email does not link them to an existing aiom person;
- unset with authentication on (MICROSOFT_APP_ID): aiom cannot tell the
  organisation's staff from a partner tenant's, so it treats *everyone* in
  Teams as a guest until it is set, and says so loudly at start (NO_HOME_WARNING);
- unset in anonymous development mode (AIOM_TEAMS_ANONYMOUS=1): the first
  tenant that talks to aiom is recorded in the database as home (a row in
  conversation_ref with conversation_id "@home") and stays so.
"""
from __future__ import annotations

import html
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.teams.activity import kind_of, tenant_of, timezone_of
from vocabulary.interaction import Actor, PersonHint
from vocabulary.people import EMAIL_RE
from storage.db import Database
from storage.repo import conversation_refs
from storage.types import utcnow

log = logging.getLogger(__name__)

HOME_MARK = "@home"
PLATFORM = "teams"


@dataclass(frozen=True)
class Member:
    user_id: str  # "29:…"
    aad: str
    name: str
    email: str | None
    tenant: str
    guest_role: bool


MEMBER_TTL = timedelta(hours=1)
MISS_TTL = timedelta(minutes=10)  # not in the roster
ERROR_TTL = timedelta(minutes=1)  # the roster could not be asked
NOT_FOUND = (400, 404)  # Teams answers MemberNotFoundInConversation with one of these

NO_HOME_WARNING = (
    "MICROSOFT_APP_TENANT_ID is not set, so aiom cannot tell your organisation's Teams users from people of "
    "a partner tenant: until it is set, everyone in Teams is treated as a guest - they can talk to aiom, but "
    "they cannot decide reviews and their email does not link them to their aiom account. Set "
    "MICROSOFT_APP_TENANT_ID to your Microsoft Entra tenant id (Azure portal > Microsoft Entra ID > Overview).")


@dataclass(frozen=True)
class HomeRule:
    """How the home tenant is known: configured, learnt from the first tenant seen, or not known at all."""

    configured: str | None
    learn_first: bool
    warning: str | None = None


def home_rule(settings) -> HomeRule:
    if settings.MICROSOFT_APP_TENANT_ID:
        return HomeRule(configured=settings.MICROSOFT_APP_TENANT_ID, learn_first=False)
    if settings.MICROSOFT_APP_ID:
        return HomeRule(configured=None, learn_first=False, warning=NO_HOME_WARNING)
    return HomeRule(configured=None, learn_first=True)  # anonymous development mode: first one wins


class Directory:
    def __init__(self, db: Database, rule: HomeRule, *, clock: Callable[[], datetime] = utcnow,
                 max_cached: int = 20000):
        self.db = db
        self.rule = rule
        self.clock = clock
        self._home = rule.configured or None
        self._home_loaded = bool(rule.configured) or not rule.learn_first
        self._members: OrderedDict[tuple[str, str], tuple[datetime, Member | None]] = OrderedDict()
        self._max = max_cached
        # Users the roster answered "not found" for (not merely unreachable), and what to do when one of them
        # is someone aiom knew: record them as having left (conversations/people/leavers.py, wired in bot/teams).
        self._gone: set[tuple[str, str]] = set()
        self.on_missing: Callable[[str, str], Awaitable[object]] | None = None

    # -- home tenant -------------------------------------------------------------
    async def home_tenant(self, seen: str) -> str:
        """The home tenant ("" when it is not known; in development mode `seen` may become it)."""
        if self._home_loaded:
            return self._home or ("" if not self.rule.learn_first else seen)
        async with self.db.read() as s:
            row = await conversation_refs.get(s, PLATFORM, HOME_MARK)
        if row is None and seen:
            async with self.db.write() as s:
                row = await conversation_refs.get(s, PLATFORM, HOME_MARK)
                if row is None:
                    await conversation_refs.save(s, platform=PLATFORM, conversation_id=HOME_MARK, kind="home",
                                                 tenant=seen)
                    log.info("Teams: recorded tenant %s as the home tenant (development mode; with an app id, "
                             "MICROSOFT_APP_TENANT_ID names it)", seen)
            self._home = row.tenant if row is not None else seen
        elif row is not None:
            self._home = row.tenant
        self._home_loaded = self._home is not None
        return self._home or seen

    def is_guest(self, tenant: str, home: str) -> bool:
        if not self.rule.learn_first:  # authentication on: only the configured tenant is home
            return not home or tenant != home
        return bool(tenant and home and tenant != home)

    # -- roster ----------------------------------------------------------------------
    async def member(self, turn: TurnContext, user_id: str, tenant: str) -> Member | None:
        key = (tenant, user_id)
        now = self.clock()
        cached = self._members.get(key)
        if cached is not None and cached[0] > now:
            self._members.move_to_end(key)
            return cached[1]
        try:
            acct = await TeamsInfo.get_member(turn, user_id)
        except Exception as e:  # not in the roster, or the roster is unavailable: no email for a while
            resp = getattr(e, "response", None)  # msrest's requests-style status_code, or aiohttp's status
            status = getattr(resp, "status_code", None) or getattr(resp, "status", None)
            log.info("Teams roster lookup for %s failed: %s", user_id, e)
            self._keep(key, now + (MISS_TTL if status in NOT_FOUND else ERROR_TTL), None)
            if status in NOT_FOUND:
                self._gone.add(key)
            return None
        self._gone.discard(key)
        email = acct.email or (acct.user_principal_name if acct.user_principal_name
                               and EMAIL_RE.match(acct.user_principal_name) else None)
        m = Member(user_id=acct.id or user_id, aad=acct.aad_object_id or "", name=acct.name or "",
                   email=email.strip().lower() if email else None, tenant=acct.tenant_id or tenant,
                   guest_role=(acct.user_role or "").lower() in ("guest", "anonymous"))
        self._keep(key, now + MEMBER_TTL, m)
        return m

    def _keep(self, key: tuple[str, str], until: datetime, member: Member | None) -> None:
        self._members[key] = (until, member)
        self._members.move_to_end(key)
        if len(self._members) > self._max:
            self._members.popitem(last=False)

    async def actor(self, turn: TurnContext) -> Actor:
        a = turn.activity
        frm = a.from_property
        tenant = tenant_of(a)
        home = await self.home_tenant(tenant)
        member = await self.member(turn, frm.id, tenant) if frm and frm.id else None
        aad = (frm.aad_object_id if frm else None) or (member.aad if member else "") or (frm.id if frm else "")
        guest = self.is_guest(tenant, home)
        if member is not None:
            guest = guest or member.guest_role or bool(member.tenant and home and member.tenant != home)
        if member is None and frm and frm.id and (tenant, frm.id) in self._gone and kind_of(a) == "personal":
            await self._missing(tenant, aad)
        name = (frm.name if frm and frm.name else None) or (member.name if member else "")
        email = member.email if member else None
        return Actor(platform=PLATFORM, external_id=aad, tenant=tenant, email=email,
                     email_verified=bool(email) and not guest, name=name or "", timezone=timezone_of(a),
                     extra={"id": frm.id if frm else "", "service_url": a.service_url or ""},
                     is_bot=bool(frm and (frm.role or "").lower() == "bot"), guest=guest)

    async def _missing(self, tenant: str, external_id: str) -> None:
        """The roster no longer knows someone writing in their own personal chat: they have left the tenant."""
        if self.on_missing is None:
            return
        try:
            await self.on_missing(tenant, external_id)
        except Exception:  # bookkeeping: never at the cost of the turn
            log.exception("could not record Teams user %s as having left", external_id)

    async def mentions(self, turn: TurnContext, text: str) -> tuple[str, dict[str, PersonHint]]:
        """The text with the bot's own @mention removed, and every other mention resolved to a person."""
        a = turn.activity
        bot_id = a.recipient.id if a.recipient else None
        tenant = tenant_of(a)
        hints: dict[str, PersonHint] = {}
        for e in a.entities or []:
            if getattr(e, "type", None) != "mention":
                continue
            props = getattr(e, "additional_properties", None) or {}
            mentioned = props.get("mentioned") or {}
            token = props.get("text") or ""
            if not token:
                continue
            if mentioned.get("id") == bot_id:
                text = text.replace(token, " ")
                continue
            member = await self.member(turn, mentioned.get("id", ""), tenant) if mentioned.get("id") else None
            hints[token] = PersonHint(email=member.email if member else None,
                                      name=(member.name if member else "") or mentioned.get("name", ""),
                                      platform=PLATFORM if member and member.aad else "",
                                      external_id=member.aad if member else "", tenant=tenant)
        return clean_text(text), hints


_SPACES = re.compile(r"[ \t\u00a0]+")


def clean_text(text: str) -> str:
    text = html.unescape(text or "")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")).strip()
