"""Changing a review group's settings in the database: one locked read-modify-write per change, audited with
what it was before and after. Two admins changing the same group at once queue on the row lock, so each change
applies to what the other left (nothing is lost)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.policy import Policy
from storage import audit
from storage.repo import group_settings
from storage.repo.people import normalise_email
from storage.tables import ReviewGroupSetting

AUDIT_ACTION = "settings.review_group_changed"


@dataclass
class Change:
    before: dict
    after: dict
    setting: ReviewGroupSetting
    changed: bool = False


def snapshot(policy: Policy, key: str, s: ReviewGroupSetting | None) -> dict:
    g = policy.review.group(key)
    members = sorted({normalise_email(m) for m in (s.members if s is not None and s.members is not None
                                                   else g.members) if normalise_email(m)})
    channels = {**g.channels, **((s.channels or {}) if s is not None else {})}
    return {"members": members, "channels": channels,
            "source": (s.source if s is not None else "") or "", "source_label": s.source_label if s else ""}


async def change(session: AsyncSession, base: Policy, key: str, edit: Callable[[ReviewGroupSetting, dict], None], *,
                 now: datetime, actor_id: int | None, actor_label: str, platform: str = "", why: str = "") -> Change:
    """Lock the group's row, let `edit(row, current)` change it (`current` is the group as it stands, with
    its members as a list the edit may replace), and audit before/after when anything changed."""
    base.review.group(key)  # KeyError for an unknown group, before anything is written
    row = await group_settings.locked(session, key, now)
    before = snapshot(base, key, row)
    edit(row, before)
    after = snapshot(base, key, row)
    if after == before and row.version > 0:
        return Change(before, after, row, False)
    row.version += 1
    row.updated_at, row.updated_by_id = now, actor_id
    session.add(row)
    await session.flush()
    if after != before:
        await audit.append(session, action=AUDIT_ACTION, actor_id=actor_id, actor_label=actor_label,
                           platform=platform, entity="review_group", entity_id=key, at=now,
                           data={"group": key, "before": before, "after": after, "why": why})
    return Change(before, after, row, after != before)
