"""The digest as a neutral message, in the executive update structure (DOMAIN.md "What leaders receive").

Every list shows the top N (the schedule's `top_n`) and counts the rest, so the message stays within Slack's
and Teams' limits however large the portfolio. Restricted use cases are named only where `visible` is set
(leadership's channels); elsewhere they are in the counts alone.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from vocabulary.labels import stage_label
from vocabulary.messages import Button, Buttons, Context, Divider, Facts, Header, Image, Message, Strong, Text
from vocabulary.policy import Policy
from vocabulary.rules import kpis as kpi_rules
from vocabulary.text import clip
from notifications.digest.data import STALL_DAYS, DigestData
from notifications.digest.regulation import section as regulation_section
from vocabulary.states import KpiFlag, ReviewStatus, UseCaseStatus

SEVERITY_WORD = {"pilot": "pilot exit", "review": "review due", "condition": "condition due", "kpi": "KPI value due"}


def _name(title: str, limit: int = 60) -> str:
    return clip(" ".join((title or "").split()), limit)


def _uc(uc_id: int, title: str) -> str:
    return f"UC-{uc_id} {_name(title)}"


def _day(when, tz: ZoneInfo) -> str:
    if isinstance(when, datetime):
        return when.astimezone(tz).strftime("%a %d %b")
    if isinstance(when, date):
        return when.strftime("%a %d %b")
    return str(when)


def _more(total: int, shown: int) -> list[str]:
    return [f"…and {total - shown} more"] if total > shown else []


def _change(now: int, before: int | None) -> str:
    if before is None or now == before:
        return str(now)
    return f"{now} ({'+' if now > before else '−'}{abs(now - before)})"


def _section(title: str, lines: list[str]) -> Text:
    return Text([Strong(title), "\n" + "\n".join(lines) if lines else ""])


def _group(policy: Policy, key: str) -> str:
    try:
        return policy.review.group(key).name
    except KeyError:
        return key


def build(policy: Policy, d: DigestData, *, image_url: str | None = None, console: bool = False) -> Message:
    tz = ZoneInfo(d.schedule.timezone)
    t = d.times
    blocks: list = [Header(f"{d.schedule.name} · {t.period_at.astimezone(tz):%d %b %Y}")]
    if t.late:
        blocks.append(Text([f"This digest is late: it was due {t.period_at.astimezone(tz):%a %d %b %H:%M} "
                            f"({d.schedule.timezone}), when aiom was not running. The figures are as of now."]))
    blocks += _portfolio(policy, d, tz)
    funnel = ", ".join(f"{stage_label(policy, s)} {n}" for s, n in _stage_list(policy, d))
    if image_url or console:
        blocks.append(Image(url=image_url or "", alt=f"Portfolio funnel: {funnel}"))
    blocks += [_value(policy, d), _progress(policy, d), *_duplicates(d), _blocked(policy, d, tz), _risks(d),
               *_decisions(policy, d, tz),
               _readiness(policy, d), _resourcing(policy, d), _alignment(policy, d), _incidents(policy, d),
               *regulation_section(policy, d.ai_act), _health(policy, d), _next(d, tz), Divider()]
    note = f"Figures as of {t.now.astimezone(tz):%a %d %b %H:%M} ({d.schedule.timezone})."
    if not d.visible:
        note += " Restricted use cases are counted here but not named."
    blocks.append(Context(note))
    fallback = (f"{d.schedule.name}: {d.total(UseCaseStatus.ACTIVE)} live use cases, "
                f"{d.overdue_reviews} overdue reviews, {sum(d.incidents_by_severity.values())} open incidents")
    return Message(blocks, fallback=fallback)


def _stage_list(policy: Policy, d: DigestData) -> list[tuple[str, int]]:
    live = d.by_stage(UseCaseStatus.ACTIVE)
    return [(s, live.get(s, 0)) for s in policy.stage_keys]


def _portfolio(policy: Policy, d: DigestData, tz) -> list:
    before = (d.previous or {}).get("stages") if d.previous else None
    facts = [(stage_label(policy, s), _change(n, before.get(s, 0) if before is not None else None))
             for s, n in _stage_list(policy, d)]
    prev = d.previous or {}
    extra = (f"Live: {d.total(UseCaseStatus.ACTIVE)} · "
             f"paused: {_change(d.total(UseCaseStatus.PAUSED), prev.get('paused'))} · "
             f"stopped: {_change(d.total(UseCaseStatus.STOPPED), prev.get('stopped'))}")
    if d.previous:
        extra += " · changes are since the last digest"
    return [Text([Strong("Portfolio by stage")]), Facts(facts), Context(extra)]


def _value(policy: Policy, d: DigestData) -> Text:
    k = d.kpis
    lines = [f"KPIs at target: {k.get('at_target', 0)} of {k.get('total', 0)}"
             + (f" ({k['flagged']} flagged, {k['unreported']} without a value yet)" if k.get("total") else "")]
    for uc_id, title, outcome, stage, kpis, hit in d.value:
        kp = f" · KPIs {hit}/{kpis} at target" if kpis else " · no KPIs yet"
        lines.append(f"• {_uc(uc_id, title)} ({stage_label(policy, stage)}): {_name(outcome, 110)}{kp}")
    if d.flagged_kpis:
        lines.append(f"Flagged KPIs ({k.get('flagged', 0)}):")
        for f in d.flagged_kpis:
            lines.append(f"• {_uc(f.use_case_id, f.use_case_title)}: {_name(f.name, 60)}, {_flag_reason(f)}, "
                         f"owner {f.owner_name or 'not named'}")
        lines += _more(k.get("flagged", 0), len(d.flagged_kpis))
    return _section("Business value", lines)


def _duplicates(d: DigestData) -> list:
    """One line naming the pairs of use cases that look like the same idea (none: no line)."""
    if not d.duplicates:
        return []
    n = d.schedule.top_n
    pairs = "; ".join(f"{_uc(p.a, p.a_title)} and {_uc(p.b, p.b_title)}" for p in d.duplicates[:n])
    more = f" and {len(d.duplicates) - n} more (aiom similar --all)" if len(d.duplicates) > n else ""
    count = len(d.duplicates)
    return [Text([Strong("Likely duplicates"), f"\n{count} pair{'s' if count != 1 else ''} of use cases look like "
                  f"the same idea (new or edited since the last digest): {pairs}{more}. Their owners may want to "
                  "talk."])]


def _flag_reason(f) -> str:
    if f.reason == KpiFlag.NOT_REPORTED:
        return "not reported" + (f" since {f.last_value_at:%d %b}" if f.last_value_at else " since it was defined")
    fmt = kpi_rules.fmt_number
    return (f"moving away from target (latest {fmt(f.last_value, f.unit)}, target {fmt(f.target, f.unit)}, "
            f"baseline {fmt(f.baseline, f.unit)})")


def _progress(policy: Policy, d: DigestData) -> Text:
    moved: dict[tuple[str, str], int] = {}
    new = status = 0
    for kind, frm, to, n in d.moves:
        if frm is None:
            new += n
        elif frm != to:
            moved[(frm, to)] = moved.get((frm, to), 0) + n
        else:
            status += n
    summary = ", ".join(f"{stage_label(policy, a)} → {stage_label(policy, b)} {n}" for (a, b), n in moved.items())
    lines = [f"Moved: {sum(moved.values())}" + (f" ({summary})" if summary else "")
             + f" · new ideas: {new} · paused, resumed or stopped: {status}"]
    for uc_id, title, kind, frm, to, _ in d.recent_moves:
        what = f"{kind}" if frm == to else f"{stage_label(policy, frm)} → {stage_label(policy, to)}"
        lines.append(f"• {_uc(uc_id, title)}: {what}")
    count, rows = d.stalled
    lines.append(f"Stalled (no stage change for {STALL_DAYS}+ days): {count}")
    for uc_id, title, stage, since in rows:
        lines.append(f"• {_uc(uc_id, title)}: {stage_label(policy, stage)} for {(d.times.now - since).days} days")
    lines += _more(count, len(rows))
    return _section("What moved and what stalled", lines)


def _blocked(policy: Policy, d: DigestData, tz) -> Text:
    lines = [f"Overdue reviews: {d.overdue_reviews} · gates stopped: {d.gates_stopped[0]} · conditions past due: "
             f"{d.conditions[0]} · pilots in limbo: {d.limbo[0]}"]
    for rid, uc_id, title, group, due in d.overdue:
        lines.append(f"• {_uc(uc_id, title)}: {_group(policy, group)} review due {_day(due, tz)}")
    for uc_id, title, frm, to in d.gates_stopped[1]:
        lines.append(f"• {_uc(uc_id, title)}: stopped at the gate to {stage_label(policy, to)}")
    for cid, uc_id, title, due, owner in d.conditions[1]:
        lines.append(f"• {_uc(uc_id, title)}: condition #{cid} due {_day(due, tz)}, owner {owner or 'not named'}")
    for uc_id, title, exit_date in d.limbo[1]:
        lines.append(f"• {_uc(uc_id, title)}: pilot ended {_day(exit_date, tz)} with no decision")
    shown = len(d.overdue) + len(d.gates_stopped[1]) + len(d.conditions[1]) + len(d.limbo[1])
    lines += _more(d.overdue_reviews + d.gates_stopped[0] + d.conditions[0] + d.limbo[0], shown)
    if d.undecidable[0]:
        lines.append(f"Reviews nobody can decide: {d.undecidable[0]}")
        for rid, uc_id, title, group, reason in d.undecidable[1]:
            lines.append(f"• {_uc(uc_id, title)}: {_group(policy, group)} review, {reason}")
        lines += _more(d.undecidable[0], len(d.undecidable[1]))
    return _section("Blocked", lines)


def _risks(d: DigestData) -> Text:
    count, rows = d.risks
    lines = [f"Open risks on live use cases: {count}"]
    for uc_id, title, area, desc, lk, im, owner, _ in rows:
        what = _name(desc, 70) or area.replace("_", " ")
        lines.append(f"• {_uc(uc_id, title)}: {what} (likelihood {lk}, impact {im}), owner {owner or 'not named'}")
    lines += _more(count, len(rows))
    return _section("Top risks", lines)


def _decisions(policy: Policy, d: DigestData, tz) -> list:
    count, rows = d.decisions
    lines = [f"Waiting for leadership: {count}"]
    buttons = []
    for rid, uc_id, title, stage, due, level, status in rows:
        why = "escalated to leadership" if level else f"gate from {stage_label(policy, stage)}"
        waiting = " (waiting for the owners' answer)" if status != ReviewStatus.PENDING else ""
        lines.append(f"• {_uc(uc_id, title)}: {why}, due {_day(due, tz)}{waiting}")
        # A review waiting for a decision opens its card with the decision buttons; otherwise the status.
        buttons.append(Button(f"Open UC-{uc_id}", "review.show", {"r": rid}) if status == ReviewStatus.PENDING
                       else Button(f"Open UC-{uc_id}", "status.show", {"uc": uc_id}))
    lines += _more(count, len(rows))
    out: list = [_section("Decisions required from leadership", lines)]
    if buttons:
        out.append(Buttons(buttons))
    return out


def _readiness(policy: Policy, d: DigestData) -> Text:
    r = d.readiness
    bands = ", ".join(f"{b.label} {r.get(b.key, 0)}" for b in policy.readiness.bands)
    live = d.by_stage(UseCaseStatus.ACTIVE)
    pool = live.get("pilot", 0) + live.get("controlled_rollout", 0)
    lines = [f"Pilots and controlled rollouts with a readiness scorecard: {r.get('scored', 0)} of {pool}",
             f"Bands: {bands}", f"Failing a hard gate (an area below {policy.readiness.hard_gate_min}): "
                                f"{r.get('hard_gate_fail', 0)}"]
    count, rows = d.readiness_drops
    if count:
        lines.append(f"Readiness dropped after a passed gate: {count}")
        bands = {b.key: b.label.lower() for b in policy.readiness.bands}
        for uc_id, title, stage, total, band, before_total, before_band in rows:
            was = f" (was {before_total}, {bands.get(before_band, before_band)})" if before_total is not None else ""
            lines.append(f"• {_uc(uc_id, title)}: {stage_label(policy, stage)}, now {total} "
                         f"({bands.get(band, band)}){was}")
        lines += _more(count, len(rows))
    return _section("Readiness to scale", lines)


def _resourcing(policy: Policy, d: DigestData) -> Text:
    count, rows = d.capacity
    lines = [f"Low delivery capacity (scored 2 or less): {count}"]
    lines += [f"• {_uc(uc_id, title)} ({stage_label(policy, stage)}): scored {v}" for uc_id, title, stage, v in rows]
    lines += _more(count, len(rows))
    load = ", ".join(f"{_group(policy, g)} {n}" for g, n in sorted(d.load.items(), key=lambda x: (-x[1], x[0])))
    lines.append(f"Open reviews by group: {load or 'none'}")
    return _section("Resourcing pressure", lines)


def _alignment(policy: Policy, d: DigestData) -> Text:
    esc = ", ".join(f"to {_group(policy, g)} {n}" for g, n in sorted(d.escalations.items()))
    late = ", ".join(f"{_group(policy, g)} {n}" for g, n in sorted(d.overdue_by_group.items(),
                                                                   key=lambda x: (-x[1], x[0])))
    lines = [f"Escalations since the last digest: {sum(d.escalations.values())}" + (f" ({esc})" if esc else ""),
             f"Groups with overdue reviews: {late or 'none'}"]
    return _section("Cross-functional alignment", lines)


def _incidents(policy: Policy, d: DigestData) -> Text:
    labels = {s.key: s.label for s in policy.incidents.severities}
    sev = ", ".join(f"{labels.get(k, k)} {d.incidents_by_severity.get(k, 0)}" for k in labels)
    total = sum(d.incidents_by_severity.values())
    lines = [f"Open incidents: {total}" + (f" ({sev})" if total else "")]
    for iid, uc_id, title, severity, status, _ in d.incidents:
        lines.append(f"• {_uc(uc_id, title)}: incident #{iid}, {labels.get(severity, severity).lower()}, {status}")
    lines += _more(total, len(d.incidents))
    lines.append(f"KPIs flagged (moving away from target or not reported): {d.kpis.get('flagged', 0)}")
    return _section("Incidents and exceptions", lines)


def _health(policy: Policy, d: DigestData) -> Text:
    scaled, entered = d.pilots_scaled(policy.stage_keys)
    share = f"{scaled} of {entered} ({round(100 * scaled / entered)}%)" if entered else "no pilots yet"
    value = (f"{d.median_to_value:.0f} days ({d.valued} use case{'s' if d.valued != 1 else ''})"
             if d.median_to_value is not None else "no use case has reached its value yet")
    stays = ", ".join(f"{stage_label(policy, s)} {d.stage_medians[s]:.0f}" for s in policy.stage_keys
                      if s in d.stage_medians)
    lines = [f"Pilots that reached scale: {share}", f"Median time from idea to value: {value}",
             f"Median days in each stage (completed stays): {stays or 'not enough history yet'}",
             f"Reviews overdue: {d.overdue_reviews} · conditions past due: {d.conditions[0]}"]
    return _section("Operating-model health", lines)


def _next(d: DigestData, tz) -> Text:
    c = d.next_counts
    lines = [f"Reviews due: {c.get('reviews', 0)} · conditions due: {c.get('conditions', 0)} · pilot exits: "
             f"{c.get('pilot_exits', 0)} · KPI values due: {c.get('kpi_values', 0)}"]
    for when, kind, uc_id, title, ref in d.next_items:
        lines.append(f"• {_day(when, tz)}: {_uc(uc_id, title)}, {SEVERITY_WORD.get(kind, kind)}")
    lines += _more(sum(c.values()), len(d.next_items))
    return _section(f"Next-period priorities (before {_day(d.times.next_at, tz)})", lines)
