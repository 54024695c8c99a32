"""The bot's DM with each person, as a personal conversation reference in the database (platform "slack",
conversation = the DM channel id, person), so flows that reach a person where they talk to aiom - the KPI
prompt's "one typed reply records it" - work in Slack as they do in Teams (bot/teams/refs.py).

Written after a DM turn, only when this process has not written the same (channel, person) already.
"""
from __future__ import annotations

import logging
from collections import OrderedDict

from storage.db import Database
from storage.repo import conversation_refs, people

log = logging.getLogger(__name__)

PLATFORM = "slack"


class DmReferences:
    def __init__(self, db_getter, *, max_cached: int = 50_000):
        self._db = db_getter
        self._written: OrderedDict[str, str] = OrderedDict()  # DM channel -> Slack user stored for it
        self._max = max_cached

    async def remember(self, channel: str, user_id: str, tenant: str) -> None:
        """Store `channel` as the personal conversation of the person behind Slack user `user_id`."""
        if not channel.startswith("D") or not user_id or self._written.get(channel) == user_id:
            return
        db: Database = self._db()
        async with db.write() as s:
            ident = await people.identity(s, PLATFORM, tenant, user_id)
            if ident is None:
                return
            await conversation_refs.save(s, platform=PLATFORM, conversation_id=channel, kind="personal",
                                         tenant=tenant, person_id=ident.person_id)
        self._written[channel] = user_id
        self._written.move_to_end(channel)
        if len(self._written) > self._max:
            self._written.popitem(last=False)
