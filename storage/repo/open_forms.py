"""The forms a person has open (a Slack modal, a Teams form card, the local chat's questions), kept with their
declared fields so a submission is held to the same length limits from any aiom process and after a restart.

One row per person, platform and form id (the latest definition opened), in `message_ref` under the purpose
`open-form:<form id>`; each opening overwrites it, so the rows stay few.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo import message_refs

PURPOSE = "open-form:"


def _channel(person_id: int) -> str:
    return f"person:{person_id}"


async def keep(session: AsyncSession, *, platform: str, person_id: int, form: dict, now) -> None:
    await message_refs.remember(session, platform=platform, purpose=(PURPOSE + form["form_id"])[:128],
                                channel=_channel(person_id), message_id=form["form_id"][:256],
                                extra={"form": form}, now=now)


async def find(session: AsyncSession, *, platform: str, person_id: int, form_id: str) -> dict | None:
    ref = await message_refs.find(session, platform, (PURPOSE + form_id)[:128], _channel(person_id))
    if ref is None or ref.message_id != form_id[:256]:
        return None
    return (ref.extra or {}).get("form")
