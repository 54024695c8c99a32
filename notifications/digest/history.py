"""From the figures kept per period to the three charts (notifications/digest/charts.py).

Every digest run stores a snapshot of its period (counts by stage key, the labels of the day, restricted
counts, the health figures). The trend reads the last 12 periods, the health chart the last snapshot of
each of the last four quarters. Pictures shown outside leadership's channels leave restricted use cases
out of the counts.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from vocabulary.labels import stage_label
from vocabulary.policy import Policy
from notifications.digest import charts
from notifications.digest.data import DigestData
from storage.repo import digest_history

TREND_PERIODS = 12
QUARTERS = 4
LOOK_BACK = timedelta(days=QUARTERS * 92 + 31)  # enough snapshots for four whole quarters


def snapshot(policy: Policy, d: DigestData) -> dict:
    """The run's snapshot: the digest's figures plus the stage labels of the day."""
    return {**d.snapshot(policy.stage_keys), "labels": {k: stage_label(policy, k) for k in policy.stage_keys}}


def _period(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


async def past(session, key: str, before: datetime) -> list[dict]:
    """Snapshots of digest `key` from the last year or so, oldest first, of the periods before `before`."""
    return await digest_history.snapshots(session, key, after=_period(before - LOOK_BACK), before=_period(before))


def _at(snap: dict) -> datetime:
    return datetime.fromisoformat(snap["at"])


def labels(policy: Policy, snaps: list[dict]) -> dict[str, str]:
    """Stage key -> label: the policy's stages first (today's labels), then stages only the history has, under
    the last label they had."""
    out = {k: stage_label(policy, k) for k in policy.stage_keys}
    for snap in snaps:
        for k in snap.get("stages", {}):
            if k not in out:
                out[k] = None  # type: ignore[assignment]
    for k, v in out.items():
        if v is None:
            out[k] = next((s["labels"][k] for s in reversed(snaps) if k in s.get("labels", {})), k)
    return out


def live(snap: dict, visible: bool) -> dict[str, int]:
    """Live counts by stage key in a snapshot; without restricted use cases unless `visible`."""
    hidden = {} if visible else snap.get("restricted", {})
    return {k: max(0, int(v) - int(hidden.get(k, 0))) for k, v in snap.get("stages", {}).items()}


def quarter_of(when: datetime) -> str:
    return f"{when.year}-Q{(when.month - 1) // 3 + 1}"


def stages_chart(policy: Policy, snap: dict, previous: dict | None, tz: ZoneInfo, visible: bool) -> charts.Chart:
    """Live use cases by stage in `snap`, with the change since `previous` (the last digest's snapshot)."""
    now = live(snap, visible)
    prev = live(previous, visible) if previous and "stages" in previous else None
    since = _at(previous).astimezone(tz).strftime("%d %b") if prev is not None and previous.get("at") else ""
    rows = [(label, now.get(k, 0), prev.get(k, 0) if prev is not None else None)
            for k, label in labels(policy, [previous, snap] if prev is not None else [snap]).items()
            if k in now or (prev and prev.get(k))]
    return charts.stages(rows, since=since)


def trend_chart(policy: Policy, snaps: list[dict], tz: ZoneInfo, visible: bool) -> charts.Chart:
    snaps = snaps[-TREND_PERIODS:]
    names = labels(policy, snaps)
    counts = [live(s, visible) for s in snaps]
    keys = [k for k in names if any(c.get(k) for c in counts)] or [k for k in names if k in policy.stage_keys]
    periods = [_at(s).astimezone(tz).strftime("%d %b") for s in snaps]
    if len({p for p in periods}) < len(periods):  # several digests a day: say the time too
        periods = [_at(s).astimezone(tz).strftime("%d %b %H:%M") for s in snaps]
    return charts.trend(periods, [(names[k], [c.get(k, 0) for c in counts]) for k in keys])


def quarters(policy: Policy, snaps: list[dict], tz: ZoneInfo, *, last: str | None = None) -> list[charts.Quarter]:
    """The last snapshot of each of the last four quarters (up to `last`, e.g. "2026-Q4") with health figures."""
    names = labels(policy, snaps)
    by_q: dict[str, dict] = {}
    for s in snaps:
        q = quarter_of(_at(s).astimezone(tz))
        if "health" in s and (last is None or q <= last):
            by_q[q] = s
    out = []
    for q in sorted(by_q)[-QUARTERS:]:
        h = by_q[q]["health"]
        stays = h.get("stage_days") or {}
        days = {names.get(k, k): float(stays[k]) for k in [*names, *stays] if k in stays}  # in funnel order
        out.append(charts.Quarter(q, int(h.get("scaled", 0)), int(h.get("entered", 0)), h.get("to_value"), days))
    return out


def health_chart(policy: Policy, snaps: list[dict], tz: ZoneInfo, *, last_quarter: str | None = None
                 ) -> charts.Chart:
    recent = [s for s in snaps if "overdue_reviews" in s][-TREND_PERIODS:]  # digests' figures only
    periods = [_at(s).astimezone(tz).strftime("%d %b") for s in recent]
    return charts.health(quarters(policy, snaps, tz, last=last_quarter), periods,
                         [int(s.get("overdue_reviews", 0)) for s in recent], [int(s.get("limbo", 0)) for s in recent])


def all_charts(policy: Policy, snaps: list[dict], tz: ZoneInfo, visible: bool, *, last_quarter: str | None = None
               ) -> list[charts.Chart]:
    """The three charts for the last of `snaps` (oldest first), the others being the periods before it."""
    previous = snaps[-2] if len(snaps) > 1 else None
    return [stages_chart(policy, snaps[-1], previous, tz, visible), trend_chart(policy, snaps, tz, visible),
            health_chart(policy, snaps, tz, last_quarter=last_quarter)]


def digest_charts(policy: Policy, d: DigestData, earlier: list[dict], *, visible: bool | None = None
                  ) -> list[charts.Chart]:
    """The three charts for digest data `d`, with `earlier` the snapshots of the periods before it."""
    tz = ZoneInfo(d.schedule.timezone)
    visible = d.visible if visible is None else visible
    snaps = [*earlier, snapshot(policy, d)]
    return all_charts(policy, snaps, tz, visible)
