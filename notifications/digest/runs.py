"""Sending the digest: each schedule's latest slot, to each of its channels, once.

`run_due(services, now)` is what the scheduler calls at a digest's cron time and after every reminder sweep. The
database, not the scheduler's memory, decides: the latest slot at or before `now` is due on a channel that has
no run for it yet. A slot more than the staleness margin old was missed (aiom was down): it goes out once,
marked late, and only on channels that had this digest before (a new installation does not open with a "late"
digest). Older missed slots are never sent: only the latest counts.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, timedelta

from vocabulary.messages import Message
from vocabulary.policy import DigestSchedule, Policy
from notifications.digest import content, history, pictures, schedule
from notifications.digest.data import Times, collect
from storage.repo.outbox_enqueue import CONSOLE_GROUP_PREFIX
from notifications.reminders.common import stale_after
from notifications.services import Services
from storage import audit
from storage.repo import digest_runs as runs
from storage.repo import outbox

log = logging.getLogger(__name__)


def targets(policy: Policy, s: DigestSchedule, platforms: set[str]) -> list[tuple[str, str]]:
    """(platform, channel) pairs a digest goes to. The local chat prints a digest the policy sends somewhere
    (as leadership's channel); a schedule without channels is switched off."""
    out = [(p, ch) for p, chans in s.channels.items() if p in platforms for ch in chans]
    if "console" in platforms and s.channels:
        out.append(("console", CONSOLE_GROUP_PREFIX + policy.review.leadership_group))
    return out


def leadership_channel(policy: Policy, platform: str, channel: str) -> bool:
    """Leadership's own channels see restricted use cases by name."""
    lead = policy.review.leadership_group
    if platform == "console":
        return channel == CONSOLE_GROUP_PREFIX + lead
    try:
        return channel in policy.review.group(lead).channels.get(platform, [])
    except KeyError:
        return False


def public_url(services: Services) -> str | None:
    url = services.public_url
    return url.rstrip("/") if url else None


def image_url(services: Services, run_id: int, token: str) -> str | None:
    """The portfolio-by-stage picture inside the text digest, when aiom is reachable at a public URL."""
    return chart_url(services, run_id, "stages", token)


def chart_url(services: Services, run_id: int, name: str, token: str) -> str | None:
    """Where Slack and Teams fetch a digest chart when aiom has a public URL: aiom's own server
    (notifications/digest/web.py), by the run's id and an unguessable token. Without one the picture travels
    in the message itself (notifications/digest/pictures.py)."""
    base = public_url(services)
    return f"{base}/digest/chart/{run_id}/{name}.png?t={token}" if base else None


async def times_for(session, s: DigestSchedule, slot: datetime, now: datetime, late: bool) -> tuple[Times, dict | None]:
    prev = await runs.previous(session, s.key, schedule.period_id(slot))
    since = schedule.parse_period(prev.period) if prev else (schedule.previous_fire(s, slot) or slot - timedelta(7))
    nxt = schedule.next_fire(s, now) or now + timedelta(days=7)
    return Times(period_at=slot, since=since, next_at=nxt, now=now, late=late), (prev.snapshot if prev else None)


async def run_due(services: Services, now: datetime, *, only: str | None = None) -> int:
    """Claim, build and queue every digest that is due on any channel; returns how many were queued."""
    platforms = services.platforms
    queued = 0
    async with services.db.write() as s:
        await runs.mark_sent(s)
    for sched in services.policy.digests:
        if only is not None and sched.key != only:
            continue
        try:
            queued += await _run_one(services, sched, platforms, now)
        except Exception:
            log.exception("digest %s failed; the next sweep tries again", sched.key)
    if queued:
        services.wake()
    return queued


async def _run_one(services: Services, sched: DigestSchedule, platforms: set[str], now: datetime) -> int:
    pairs = targets(services.policy, sched, platforms)
    slot = schedule.last_fire(sched, now) if pairs else None
    if slot is None:
        return 0
    period = schedule.period_id(slot)
    late = now - slot > stale_after(services.policy, now)
    worker = services.worker
    lease = timedelta(seconds=services.policy.reminders.claim_seconds)
    async with services.db.read() as s:
        done = await runs.taken(s, sched.key, period, now)
    pairs = [p for p in pairs if p not in done]
    if not pairs:
        return 0
    claimed: list[tuple[int, str, str]] = []
    async with services.db.write() as s:
        for platform, channel in pairs:
            if late and not await runs.ever_sent(s, sched.key, platform, channel, period):
                continue
            rid = await runs.claim(s, key=sched.key, platform=platform, channel=channel, period=period,
                                   worker=worker, now=now, lease=lease, late=late)
            if rid is not None:
                claimed.append((rid, platform, channel))
    if not claimed:
        return 0
    async with services.db.read() as s:
        times, previous = await times_for(s, sched, slot, now, late)
        earlier = await history.past(s, sched.key, slot)
    data = await collect(services.db, services.policy, sched, times,
                         {leadership_channel(services.policy, p, c) for _, p, c in claimed}, previous)
    pictured = {leadership_channel(services.policy, p, c) for _, p, c in claimed if p != "console"}
    drawn = {v: await asyncio.to_thread(history.digest_charts, services.policy, data[v], earlier) for v in pictured}
    n = 0
    async with services.db.write() as s:
        for rid, platform, channel in claimed:
            d = data[leadership_channel(services.policy, platform, channel)]
            token = secrets.token_urlsafe(18)
            message = content.build(services.policy, d, image_url=image_url(services, rid, token),
                                    console=platform == "console")
            if not await runs.finish(s, rid, worker=worker,
                                     snapshot={**history.snapshot(services.policy, d), "funnel_token": token}):
                continue  # our claim expired and another process took the run over
            oid = await outbox.enqueue(s, dedupe_key=f"digest:{sched.key}:{platform}:{channel}:{period}",
                                       platform=platform, kind="post", target=channel, message=message.to_dict(),
                                       purpose="digest", subject=f"digest:{sched.key}:{period}", late=late,
                                       now=now)
            await runs.set_outbox(s, rid, oid)
            n += 1 if oid else 0
            if oid and platform != "console":  # the local chat has the digest's own picture line
                drawing = drawn[leadership_channel(services.policy, platform, channel)]
                for chart in drawing:
                    url = chart_url(services, rid, chart.name, token)
                    if not chart.enough or (url and chart.name == "stages"):
                        continue  # a served stages chart is in the text digest already
                    note = pictures.not_yet_note(drawing) if chart.name == "stages" else ""
                    key = f"digest:{sched.key}:{platform}:{channel}:{period}:{chart.name}"
                    await outbox.enqueue(s, dedupe_key=key,
                                         platform=platform, kind="post", target=channel,
                                         message=pictures.message(chart, url, note).to_dict(), purpose="digest",
                                         subject=f"digest:{sched.key}:{period}:{chart.name}", late=late, now=now)
        if n:
            await audit.append(s, action="digest.queued", actor_label="aiom", entity="digest", entity_id=sched.key,
                               data={"period": period, "late": late, "channels": [[p, c] for _, p, c in claimed]},
                               at=now)
    return n


async def preview(services: Services, key: str, now: datetime, *, platform: str = "console",
                  channel: str | None = None) -> Message:
    """The digest as it would go out now to `channel`, without claiming, recording or sending anything."""
    sched = next((d for d in services.policy.digests if d.key == key), None)
    if sched is None:
        raise KeyError(key)
    channel = channel or CONSOLE_GROUP_PREFIX + services.policy.review.leadership_group
    slot = schedule.last_fire(sched, now) or now
    visible = leadership_channel(services.policy, platform, channel)
    async with services.db.read() as s:
        times, previous = await times_for(s, sched, slot, now, False)
    data = await collect(services.db, services.policy, sched, times, {visible}, previous)
    return content.build(services.policy, data[visible], console=True)
