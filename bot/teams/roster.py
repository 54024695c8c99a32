"""Review groups that follow a Teams team (`group security bind this team`, typed in one of its channels): the
team's roster is read page by page (GET /v3/conversations/{team}/pagedmembers), each member's email from the
roster (email, else the user principal name). Guests and people of another tenant come without an email: they
may see cards but never decide."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import quote

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference

from bot.teams.activity import CHANNEL_ID, channel_data, kind_of, split_conversation, tenant_of
from bot.teams.connector import ConnectorError
from conversations.groups.sources import Roster, SourceError
from vocabulary.interaction import PersonHint, Where
from vocabulary.people import EMAIL_RE

if TYPE_CHECKING:  # pragma: no cover
    from bot.teams.runtime import TeamsRuntime

log = logging.getLogger(__name__)

PAGE = 500  # the most Teams returns per page
MAX_PAGES = 200
THIS_TEAM = ("this team", "team", "this")


class TeamsRosters:
    platform = "teams"

    def __init__(self, rt: "TeamsRuntime"):
        self.rt = rt
        # Channel id -> the team it belongs to, as the last message from it said (a process learns it on the
        # message that asks to bind, so nothing needs storing).
        self.teams: dict[str, dict] = {}

    def note(self, activity: Activity) -> None:
        """Remember which team a channel belongs to (called on every channel activity aiom reads)."""
        team = channel_data(activity).get("team") or {}
        if kind_of(activity) != "channel" or not team.get("id"):
            return
        base = split_conversation(activity.conversation.id)[0]
        self.teams[base] = {"team_id": team["id"], "team_name": team.get("name") or "",
                            "service_url": activity.service_url or "", "tenant": tenant_of(activity)}

    async def find(self, where: Where, text: str) -> Roster:
        if text.strip().lower() not in THIS_TEAM:
            raise SourceError("In Teams a group follows the team you type in: write “group security bind this "
                              "team” in a channel of that team (mention me there).")
        info = self.teams.get(where.conversation_id) if where.kind == "channel" else None
        if info is None:
            raise SourceError("I can only read a team's members from inside the team: type “group security bind "
                              "this team” in one of its channels (mention me there; install me in the team first).")
        return await self.read(info["team_id"], info)

    async def read(self, source_id: str, ref: dict) -> Roster:
        reference = ConversationReference(
            activity_id=None, bot=ChannelAccount(id=self.rt.bot_id),
            conversation=ConversationAccount(id=source_id, conversation_type="channel", is_group=True,
                                             tenant_id=ref.get("tenant") or None),
            channel_id=CHANNEL_ID, service_url=ref.get("service_url") or "")
        label = ref.get("team_name") or source_id
        home = await self.rt.directory.home_tenant(ref.get("tenant") or "")
        members: list[PersonHint] = []
        token = ""
        for _ in range(MAX_PAGES):
            path = f"/v3/conversations/{quote(source_id, safe='')}/pagedmembers?pageSize={PAGE}"
            if token:
                path += f"&continuationToken={quote(token, safe='')}"
            try:
                page = await self.rt.proactive.read(reference, path)
            except ConnectorError as e:
                if e.status in (401, 403, 404):
                    raise SourceError(f"I cannot read the members of the team {label}: I am not installed in it "
                                      f"(or no longer allowed to read it, HTTP {e.status}). Add aiom to the team "
                                      "and try again.") from None
                raise SourceError(f"Teams did not answer (HTTP {e.status}); please try again in a minute.") from None
            for m in page.get("members") or []:
                members.append(self._hint(m, ref.get("tenant") or "", home))
            token = page.get("continuationToken") or ""
            if not token:
                break
        return Roster(source="teams", source_id=source_id, label=label, members=members, ref=dict(ref))

    def _hint(self, m: dict, tenant: str, home: str) -> PersonHint:
        email = m.get("email") or (m.get("userPrincipalName") if EMAIL_RE.match(m.get("userPrincipalName") or "")
                                   else None)
        guest = (m.get("userRole") or "").lower() in ("guest", "anonymous") or bool(
            m.get("tenantId") and home and m.get("tenantId") != home)
        return PersonHint(email=None if guest or not email else email.strip().lower(), name=m.get("name") or "",
                          platform="teams" if m.get("aadObjectId") else "", external_id=m.get("aadObjectId") or "",
                          tenant=tenant)
