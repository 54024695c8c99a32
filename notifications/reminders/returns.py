"""Absences that ran out: the person is back by the calendar, so their held reminders go out.

`away until 2026-12-24` ends on its own at the end of that day (UTC) when nobody typed `back`: the sweep
deletes the absence, sends the reminders held meanwhile (the latest per subject) and audits `person.back`.
"""
from __future__ import annotations

from datetime import datetime

from notifications.services import Services
from storage import audit
from storage.repo import absences


async def sweep(services: Services, now: datetime) -> int:
    released = 0
    async with services.db.write() as s:
        for a in await absences.ended_before(s, now.date()):
            await absences.clear_away(s, a.person_id)
            n = await absences.release_held(s, a.person_id, now)
            released += n
            await audit.append(s, action="person.back", actor_id=None, actor_label="aiom", entity="person",
                               entity_id=a.person_id, data={"was_away_until": a.until, "automatic": True,
                                                            "reminders_released": n}, at=now)
    if released:
        services.wake()
    return released
