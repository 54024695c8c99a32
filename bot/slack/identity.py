"""Slack users as aiom actors and person hints, and aiom people as Slack user ids (for real mentions)."""
from __future__ import annotations

import time

from bot.slack.directory import Directory, SlackUser, TTLCache, Workspace
from bot.slack import text_in
from vocabulary.interaction import Actor, PersonHint
from storage.db import Database
from storage.repo import people


def is_guest(ws: Workspace, team_id: str, enterprise_id: str = "") -> bool:
    """From another workspace (a Slack Connect / shared channel): may talk, may not decide."""
    if not team_id or team_id == ws.team_id:
        return False
    return not (ws.enterprise_id and enterprise_id == ws.enterprise_id)


async def actor(directory: Directory, user_id: str, *, team_hint: str = "", name_hint: str = "",
                bot: bool = False) -> Actor:
    ws = await directory.workspace()
    u: SlackUser | None = await directory.user(user_id)
    team = (u.team_id if u and u.team_id else "") or team_hint or ws.team_id
    guest = is_guest(ws, team, u.enterprise_id if u else "")
    # An email from another organisation's workspace is whatever its admins typed: never trusted to link a
    # guest to one of our people.
    email = u.email if (u and not guest) else None
    return Actor(platform="slack", external_id=user_id, tenant=team, email=email, email_verified=bool(email),
                 name=(u.name if u else "") or name_hint or user_id, timezone=u.tz if u else None,
                 is_bot=bot or bool(u and u.is_bot), guest=guest)


async def hint(directory: Directory, user_id: str, fallback_name: str = "") -> PersonHint:
    ws = await directory.workspace()
    u = await directory.user(user_id)
    team = (u.team_id if u else "") or ws.team_id
    guest = is_guest(ws, team, u.enterprise_id if u else "")
    return PersonHint(email=None if (guest or not u) else u.email, name=(u.name if u else "") or fallback_name,
                      platform="slack", external_id=user_id, tenant=team)


async def read_text(directory: Directory, raw: str, *, drop_user: str | None = None
                    ) -> tuple[str, dict[str, PersonHint]]:
    """Plain text for the engine and its mentions resolved (`@Name` in the text -> the person)."""
    ids = [u for u in text_in.mentioned_users(raw) if u != drop_user]
    hints = {uid: await hint(directory, uid) for uid in ids}
    names = {uid: h.name for uid, h in hints.items() if h.name}
    parsed = text_in.parse(raw, names, drop_user=drop_user)
    mentions = {shown: hints[uid] for uid, shown in parsed.mentions if uid in hints}
    return parsed.text, mentions


class SlackIds:
    """aiom person id -> Slack user id, from the identities the engine stored (cached briefly)."""

    def __init__(self, db_getter, ttl: float = 600):
        self._db = db_getter
        self.cache = TTLCache(ttl, clock=time.monotonic)

    async def of(self, person_ids: set[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        missing = []
        for pid in person_ids:
            hit = self.cache.get(str(pid), False)
            if hit is False:
                missing.append(pid)
            elif hit:
                out[pid] = hit
        if missing:
            db: Database = self._db()
            async with db.read() as s:
                for pid in missing:
                    uid = next((i.external_id for i in await people.identities_of(s, pid) if i.platform == "slack"),
                               None)
                    self.cache.put(str(pid), uid or "")
                    if uid:
                        out[pid] = uid
        return out
