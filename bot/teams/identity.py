"""Who a Teams user is: AAD object id and tenant, email from the Teams roster, time zone, guest or not.

The email comes from the roster (`TeamsInfo.get_member`: email, else the user
principal name), looked up once per user and kept in a bounded in-process cache;
the person it maps to lives in the database (conversations.people), so a restart
only costs one roster call per user.

The *home* tenant is `MICROSOFT_APP_TENANT_ID` when set. Otherwise the first
tenant that talks to aiom is recorded in the database as home (a row in
conversation_ref with conversation_id "@home") and stays so; people from any
other tenant - or marked "guest" in the roster - are guests: they may talk to
aiom but may not decide reviews, and their roster email does not link them to an
existing aiom person.
"""
from __future__ import annotations

import html
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.teams.activity import tenant_of, timezone_of
from conversations.interaction import Actor, PersonHint
from conversations.people import EMAIL_RE
from storage.db import Database
from storage.repo import conversation_refs

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


class Directory:
    def __init__(self, db: Database, configured_home: str | None, *, max_cached: int = 20000):
        self.db = db
        self._home = configured_home or None
        self._home_loaded = bool(configured_home)
        self._members: OrderedDict[tuple[str, str], Member | None] = OrderedDict()
        self._max = max_cached

    # -- home tenant -------------------------------------------------------------
    async def home_tenant(self, seen: str) -> str:
        if self._home_loaded:
            return self._home or seen
        async with self.db.read() as s:
            row = await conversation_refs.get(s, PLATFORM, HOME_MARK)
        if row is None and seen:
            async with self.db.write() as s:
                row = await conversation_refs.get(s, PLATFORM, HOME_MARK)
                if row is None:
                    await conversation_refs.save(s, platform=PLATFORM, conversation_id=HOME_MARK, kind="home",
                                                 tenant=seen)
                    log.info("Teams: recorded tenant %s as the home tenant (set MICROSOFT_APP_TENANT_ID to "
                             "choose it yourself)", seen)
            self._home = row.tenant if row is not None else seen
        elif row is not None:
            self._home = row.tenant
        self._home_loaded = self._home is not None
        return self._home or seen

    # -- roster ----------------------------------------------------------------------
    async def member(self, turn: TurnContext, user_id: str, tenant: str) -> Member | None:
        key = (tenant, user_id)
        if key in self._members:
            self._members.move_to_end(key)
            return self._members[key]
        try:
            acct = await TeamsInfo.get_member(turn, user_id)
        except Exception as e:  # not in the roster, or the roster is unavailable: no email this time
            log.info("Teams roster lookup for %s failed: %s", user_id, e)
            return None
        email = acct.email or (acct.user_principal_name if acct.user_principal_name
                               and EMAIL_RE.match(acct.user_principal_name) else None)
        m = Member(user_id=acct.id or user_id, aad=acct.aad_object_id or "", name=acct.name or "",
                   email=email.strip().lower() if email else None, tenant=acct.tenant_id or tenant,
                   guest_role=(acct.user_role or "").lower() in ("guest", "anonymous"))
        self._members[key] = m
        if len(self._members) > self._max:
            self._members.popitem(last=False)
        return m

    async def actor(self, turn: TurnContext) -> Actor:
        a = turn.activity
        frm = a.from_property
        tenant = tenant_of(a)
        home = await self.home_tenant(tenant)
        member = await self.member(turn, frm.id, tenant) if frm and frm.id else None
        aad = (frm.aad_object_id if frm else None) or (member.aad if member else "") or (frm.id if frm else "")
        guest = bool(tenant and home and tenant != home)
        if member is not None:
            guest = guest or member.guest_role or bool(member.tenant and home and member.tenant != home)
        name = (frm.name if frm and frm.name else None) or (member.name if member else "")
        email = member.email if member else None
        return Actor(platform=PLATFORM, external_id=aad, tenant=tenant, email=email,
                     email_verified=bool(email) and not guest, name=name or "", timezone=timezone_of(a),
                     extra={"id": frm.id if frm else "", "service_url": a.service_url or ""},
                     is_bot=bool(frm and (frm.role or "").lower() == "bot"), guest=guest)

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
