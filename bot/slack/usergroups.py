"""Review groups that follow a Slack user group (`group security bind @security-review`): the group is found
by its handle (usergroups.list) and its members read with usergroups.users.list, each person's email from
users.info. Both methods need the bot scope `usergroups:read` (manifest/slack*.yaml)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.slack import identity
from bot.slack.api import error_code
from conversations.groups.sources import Roster, SourceError
from vocabulary.interaction import Where
from notifications.delivery import DeliveryError

if TYPE_CHECKING:  # pragma: no cover
    from bot.slack.runtime import SlackRuntime

log = logging.getLogger(__name__)

SCOPE = "usergroups:read"
MISSING_SCOPE = (f"I cannot read Slack user groups: this Slack app lacks the scope {SCOPE}. An admin of the "
                 "Slack workspace adds it to the app (aiom's manifest/slack.yaml lists it) and reinstalls the app.")


class SlackUserGroups:
    platform = "slack"

    def __init__(self, rt: "SlackRuntime"):
        self.rt = rt

    async def _call(self, method: str, **params) -> dict:
        try:
            return await self.rt.api.form_call(method, **params)
        except DeliveryError as e:
            code = error_code(e)
            if code in ("missing_scope", "not_allowed_token_type"):
                raise SourceError(MISSING_SCOPE) from None
            if code in ("no_such_subteam", "subteam_not_found"):
                raise SourceError("That Slack user group no longer exists.") from None
            log.warning("%s failed: %s", method, e)
            raise SourceError(f"Slack did not answer ({code}); please try again in a minute.") from None

    async def find(self, where: Where, text: str) -> Roster:
        handle = text.strip().split()[0].lstrip("@").lower() if text.strip() else ""
        if not handle or handle in ("this", "here"):
            raise SourceError("Which Slack user group? Type its handle, for example “group security bind "
                              "@security-review”.")
        groups = (await self._call("usergroups.list", include_disabled="false")).get("usergroups") or []
        found = next((g for g in groups if str(g.get("handle", "")).lower() == handle
                      or str(g.get("id", "")).lower() == handle), None)
        if found is None:
            raise SourceError(f"There is no Slack user group @{handle} in this workspace (user groups are under "
                              "People → User groups in Slack).")
        return await self.read(found["id"], {"handle": found.get("handle") or handle})

    async def read(self, source_id: str, ref: dict) -> Roster:
        ids = (await self._call("usergroups.users.list", usergroup=source_id)).get("users") or []
        members = []
        for uid in ids:
            u = await self.rt.directory.user(uid)
            if u is None or u.deleted or u.is_bot:
                continue
            members.append(await identity.hint(self.rt.directory, uid))  # guests come without an email
        return Roster(source="slack", source_id=source_id, label="@" + str(ref.get("handle") or source_id),
                      members=members, ref=dict(ref))
