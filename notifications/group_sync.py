"""Review groups that follow a Slack user group or a Teams team stay current: each change event from the
platform (Slack subteam_members_changed / subteam_updated, Teams conversationUpdate members added / removed)
re-reads that source, and a periodic pass re-reads every bound source (events can be missed while aiom is down).

The source is read outside any transaction; the new members are written in one short transaction, audited when
they changed. A source that cannot be read keeps the members it had (nobody is dropped because an API failed).
"""
from __future__ import annotations

import logging

from conversations.groups.sources import SourceError, refresh_bound
from notifications.services import Services
from storage.repo import group_settings

log = logging.getLogger(__name__)

EVERY_MINUTES = 30


async def sync_source(services: Services, platform: str, source_id: str, ref: dict | None = None, *, why: str) -> int:
    """Re-read one source and update every group bound to it; returns how many groups changed."""
    source = services.group_sources.get(platform)
    if source is None:
        return 0
    if ref is None:
        async with services.db.read() as s:
            rows = await group_settings.by_source(s, platform, source_id)
        if not rows:
            return 0  # not a source any group follows
        ref = rows[0].source_ref or {}
    try:
        roster = await source.read(source_id, ref)
    except SourceError as e:
        log.warning("could not read the %s source %s of a review group: %s", platform, source_id, e.text)
        return 0
    async with services.db.write() as s:
        changed = await refresh_bound(s, services.policy, roster, now=services.clock(), why=why)
    return sum(1 for c in changed if c.changed)


async def sweep(services: Services) -> int:
    """The periodic pass: every bound source on the platforms this process runs."""
    async with services.db.read() as s:
        rows = [r for p in services.group_sources for r in await group_settings.bound(s, p)]
    seen: set[tuple[str, str]] = set()
    n = 0
    for r in rows:
        if (r.source, r.source_id) in seen:
            continue
        seen.add((r.source, r.source_id))
        n += await sync_source(services, r.source, r.source_id, r.source_ref or {}, why="periodic sync")
    return n
