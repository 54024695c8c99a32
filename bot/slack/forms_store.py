"""Forms waiting for an "Open the form" click (a modal needs a trigger id, which typed text does not give).

Kept in the database (a message_ref with purpose `form:<token>`, for the Slack user who asked, with an expiry),
so the click works from any aiom process and after a restart.
"""
from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime, timedelta
from typing import Callable

from vocabulary.messages import Form
from storage.repo import message_refs

PLATFORM = "slack"
PURPOSE = "form:"


class FormsStore:
    def __init__(self, db_getter: Callable, clock: Callable[[], datetime], ttl: timedelta = timedelta(days=1)):
        self._db = db_getter
        self.clock = clock
        self.ttl = ttl

    async def put(self, user_id: str, form: Form) -> str:
        token = secrets.token_urlsafe(9)
        expires = self.clock() + self.ttl
        async with self._db().write() as s:
            await message_refs.remember(s, platform=PLATFORM, purpose=PURPOSE + token, channel=user_id,
                                        message_id=token, extra={"form": dataclasses.asdict(form),
                                                                 "expires": expires.isoformat()},
                                        now=self.clock())
        return token

    async def get(self, token: str, user_id: str) -> Form | None:
        """The form stored under `token` for this Slack user, unless it expired (None otherwise)."""
        if not token or not user_id:
            return None
        async with self._db().read() as s:
            ref = await message_refs.find(s, PLATFORM, PURPOSE + token, user_id)
        if ref is None:
            return None
        try:
            if datetime.fromisoformat(str(ref.extra.get("expires"))) < self.clock():
                return None
        except ValueError:
            return None
        return Form.from_dict(ref.extra.get("form"))
