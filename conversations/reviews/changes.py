"""What changed on a use case, for a review card. The card is shared by a whole channel, so its block counts
from what everyone there can see: "Changed since this card was posted", or, for a card of a later gate, since
the group's last decision on the use case. "Changed since you last looked" is said only in one member's private
Details reply, counted from that member's own last look (their Details, decision or question).

Edits of the facts (before → after), re-scores (grouped per instrument), scorecards completed, risks added or
changed, the risk register reviewed, conditions opened by other groups or closed, questions answered, and a
requested tier decided. The newest lines are kept; older ones are counted.
"""
from __future__ import annotations

from datetime import date

from vocabulary.labels import group_name, uc_ref
from vocabulary.policy import Policy
from vocabulary.text import clip, day, when
from conversations.reviews.card_data import CardData

SHOWN = 8


def _instrument(policy: Policy, key: str):
    for inst in (policy.pilot_selection, policy.readiness, policy.rollout_checklist, policy.vendor_checklist):
        if inst.key == key:
            return inst
    return None


def _item_name(inst, key: str) -> str:
    if inst is None:
        return key
    return next((i.name for i in inst.items if i.key == key), key)


def _value(inst, policy: Policy, value) -> str:
    if inst is not None and inst.key in (policy.rollout_checklist.key, policy.vendor_checklist.key):
        return "ready" if value else "not ready"
    return str(value)


def _day(value) -> str:
    """A due date as the audit entry holds it (an ISO date) in the card's format."""
    try:
        return day(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value or "—")


def _area(policy: Policy, key: str) -> str:
    try:
        return policy.risk_register.area(key).name
    except KeyError:
        return key


def lines(policy: Policy, d: CardData) -> list[str]:
    out: list[str] = []
    scores: dict[tuple, list] = {}  # (instrument, person) -> [entry, …] answered in a row
    last_key = None

    def by(e) -> str:
        return f"({d.name(e.actor_id) if e.actor_id else 'aiom'}, {when(e.at)})"

    for e in d.changes:
        data = e.data or {}
        if e.action == "scorecard.answered":
            key = (data.get("instrument"), e.actor_id)
            if key == last_key and out and out[-1] is None:
                scores[key].append(e)
                continue
            scores[key] = [e]
            last_key = key
            out.append(None)  # filled in below, in its place
            continue
        last_key = None
        if e.action == "use_case.edited":
            for f, change in (data.get("changes") or {}).items():
                out.append(f"{change.get('label', f)}: “{clip(change.get('before', ''), 120)}” → "
                           f"“{clip(change.get('after', ''), 160)}” {by(e)}")
        elif e.action == "scorecard.completed":
            inst = _instrument(policy, data.get("instrument", ""))
            name = inst.name if inst else data.get("instrument", "A scorecard")
            if "total" in data:
                band = f" ({data['band']})" if data.get("band") else ""
                out.append(f"{name} completed: {data['total']} of {inst.total_max if inst else '?'}{band} {by(e)}")
            else:
                out.append(f"{name} completed: {data.get('ready', '?')} ready {by(e)}")
        elif e.action == "scorecard.area_reviewed":
            inst = _instrument(policy, policy.readiness.key)
            out.append(f"Area scored 1 reviewed: {_item_name(inst, data.get('item', ''))} {by(e)}")
        elif e.action == "risk.added":
            out.append(f"New risk: {_area(policy, data.get('area', ''))} (impact {data.get('impact')}, likelihood "
                       f"{data.get('likelihood')}): {clip(data.get('description'), 160)} {by(e)}")
        elif e.action == "risk.updated":
            field = data.get("field", "")
            before, after = data.get("from"), data.get("to")
            if field == "owner":
                before, after = d.name(before), d.name(after)
            out.append(f"Risk #{e.entity_id} {field.replace('_', ' ')}: “{clip(before, 80)}” → "
                       f"“{clip(after, 120)}” {by(e)}")
        elif e.action == "risk_register.reviewed":
            out.append(f"Risk register marked reviewed {by(e)}")
        elif e.action == "condition.opened":
            out.append(f"Condition #{e.entity_id} added: {clip(data.get('text'), 160)} (owner "
                       f"{d.name(data.get('owner'))}, due {_day(data.get('due'))}) {by(e)}")
        elif e.action == "condition.closed":
            out.append(f"Condition #{e.entity_id} closed: {clip(data.get('text'), 120)}; evidence: "
                       f"{clip(data.get('evidence'), 160)} {by(e)}")
        elif e.action == "review.info_answered":
            out.append(f"Question answered: {clip(data.get('answer'), 200)} {by(e)}")
        elif e.action == "use_case.tier_override_decided":
            out.append(f"Requested {data.get('requested')} risk tier {data.get('decision')}; the reviews follow the "
                       f"{data.get('effective_after')} tier {by(e)}")
    # Re-scores, one line per run of answers by one person on one instrument.
    runs = iter(scores.values())
    done: list[str] = []
    for line in out:
        if line is not None:
            done.append(line)
            continue
        run = next(runs)
        inst = _instrument(policy, (run[0].data or {}).get("instrument", ""))
        name = inst.name if inst else (run[0].data or {}).get("instrument", "A scorecard")
        items = [f"{_item_name(inst, x.data.get('item', ''))} {_value(inst, policy, x.data.get('value'))}"
                 for x in run if x.data]
        verb = "re-scored" if any((x.data or {}).get("changed") for x in run) else "scored"
        shown = ", ".join(items[:6]) + (f" and {len(items) - 6} more" if len(items) > 6 else "")
        done.append(f"{name} {verb}: {shown} {by(run[-1])}")
    return done


def heading(policy: Policy, d: CardData) -> str:
    """The shared card's heading: it counts from facts everyone in the channel can see (the card's posting, or
    the group's last decision on an earlier gate), never from one member's look."""
    look = d.last_look
    at = f" (on {when(look.at)})" if look is not None else ""
    if look is not None and look.action == "review.decided":
        return f"Changed since {group_name(policy, d.rr.group_key)}'s last decision on {uc_ref(d.uc)}{at}:"
    return f"Changed since this card was posted{at}:"


def _block(head: str, rows: list[str]) -> str:
    more = len(rows) - SHOWN
    body = "\n".join(f"• {r}" for r in rows[-SHOWN:])
    return head + "\n" + body + (f"\n…and {more} earlier change{'s' if more != 1 else ''}" if more > 0 else "")


def text(policy: Policy, d: CardData) -> str | None:
    """The shared card's block, or None when nothing changed (or the review is no longer open)."""
    rows = lines(policy, d)
    return _block(heading(policy, d), rows) if rows else None


def personal(policy: Policy, d: CardData, person_id: int) -> str | None:
    """For one member's private Details reply: `d.changes` / `d.last_look` counted from that person's last look
    ("since you last looked"), or from the card's start when they never looked. None when nothing is new."""
    look = d.last_look
    mine = look is not None and look.actor_id == person_id and look.action != "review.requested"
    rows = lines(policy, d)
    if mine:
        head = f"Changed since you last looked (on {when(look.at)}):"
        return _block(head, rows) if rows else f"Nothing has changed since you last looked (on {when(look.at)})."
    return _block(heading(policy, d), rows) if rows else None
