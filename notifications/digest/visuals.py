"""The charts and the report for the chat flows (conversations/visuals.py), set on the engine by bot/app.py."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from vocabulary.labels import stage_label
from vocabulary.messages import Message
from notifications.digest import history, pictures, report
from notifications.services import Services


class DigestVisuals:
    def __init__(self, db, policy):
        self.db = db
        self.policy = policy

    async def portfolio(self, counts: dict[str, int], visible: bool, now: datetime) -> list[Message]:
        sched = report.schedule_for(self.policy)
        async with self.db.read() as s:
            earlier = await history.past(s, sched.key, now + timedelta(minutes=1))
        keys = list(dict.fromkeys([*self.policy.stage_keys, *counts]))
        current = {"at": now.isoformat(), "stages": {k: counts.get(k, 0) for k in keys}, "restricted": {},
                   "labels": {k: stage_label(self.policy, k) for k in self.policy.stage_keys}}
        drawn = await asyncio.to_thread(history.all_charts, self.policy, [*earlier, current],
                                        ZoneInfo(sched.timezone), visible)
        note = pictures.not_yet_note(drawn)
        return [pictures.message(c, note=note if c.name == "stages" else "") for c in drawn if c.enough]

    async def report(self, period: str, now: datetime) -> tuple[bytes, str]:
        return await report.build(Services(db=self.db, policy=self.policy), period, now)
