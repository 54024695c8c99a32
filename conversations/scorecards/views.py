"""How scorecards look: one question at a time, the list of answers, and the summary once complete.

Pure functions from policy + plain values to neutral messages (no database), so the hot click path
builds its reply without reading anything more.
"""
from __future__ import annotations

from datetime import datetime

from vocabulary.text import clip, day
from vocabulary.messages import Button, Buttons, Confirm, Context, Facts, Header, Message, Strong, Text
from vocabulary.policy import Policy
from vocabulary.rules import scoring

SHORT = {scoring.PILOT_SELECTION: "Pilot selection", scoring.READINESS: "Readiness",
         scoring.ROLLOUT_CHECKLIST: "Rollout checklist", scoring.VENDOR_CHECKLIST: "Vendor checklist"}
ROW = 5


def rows(buttons: list[Button], per_row: int = ROW) -> list[Buttons]:
    return [Buttons(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row)]


def value_label(policy: Policy, instrument_key: str, value: int) -> str:
    labels = dict(scoring.scale(policy, instrument_key))
    if scoring.is_checklist(instrument_key):
        return labels.get(value, str(value))
    return f"{value} · {labels.get(value, '')}".rstrip(" ·")


def item_name(policy: Policy, instrument_key: str, key: str) -> str:
    inst = scoring.instrument(policy, instrument_key)
    for it in inst.items:
        if it.key == key:
            return it.name
    return key


def names(policy: Policy, instrument_key: str, keys: list[str], values: dict[str, int] | None = None,
          limit: int = 8) -> str:
    shown = []
    for k in keys[:limit]:
        n = item_name(policy, instrument_key, k)
        shown.append(f"{n} ({values[k]})" if values is not None and k in values else n)
    more = len(keys) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def next_unanswered(keys: list[str], answered: set[str], after: str | None = None) -> str | None:
    """The first unanswered item after `after` (wrapping round), or the first unanswered at all."""
    start = keys.index(after) + 1 if after in keys else 0
    for k in keys[start:] + keys[:start]:
        if k not in answered:
            return k
    return None


def progress(policy: Policy, instrument_key: str, answered: int) -> str:
    n = len(scoring.instrument(policy, instrument_key).items)
    return f"{SHORT[instrument_key]} {answered}/{n}"


def question(policy: Policy, *, instrument_key: str, sc_id: int, uc_id: int, title: str, item_key: str,
             answered: int, current: int | None = None, current_by: str = "",
             note: str = "") -> Message:
    """One area: progress, name, key question, what a low score looks like, the scale as buttons."""
    inst = scoring.instrument(policy, instrument_key)
    keys = [it.key for it in inst.items]
    pos = keys.index(item_key)
    item = inst.items[pos]
    checklist = scoring.is_checklist(instrument_key)
    blocks: list = [Header(f"{inst.name} · UC-{uc_id}")]
    if note:
        blocks.append(Text([note]))
    blocks.append(Context(f"{progress(policy, instrument_key, answered)} answered · "
                          f"{'checkpoint' if checklist else 'area'} {pos + 1} of {len(keys)} · {clip(title, 80)}"))
    blocks.append(Text([Strong(item.name), "\n", item.question]))
    if item.low_looks_like:
        lead = "Not ready looks like: " if checklist else "A low score looks like: "
        blocks.append(Text([lead + item.low_looks_like], muted=True))
    if current is not None:
        by = f" (by {current_by})" if current_by else ""
        blocks.append(Context(f"Current answer: {value_label(policy, instrument_key, current)}{by}"))
    scale_buttons = [Button(label if checklist else f"{v} · {label}", "scorecard.answer",
                            {"sc": sc_id, "k": item_key, "v": v},
                            style="primary" if current == v else None)
                     for v, label in scoring.scale(policy, instrument_key)]
    blocks.append(Buttons(scale_buttons))
    nav = []
    if pos > 0:
        nav.append(Button("Back", "scorecard.show", {"sc": sc_id, "k": keys[pos - 1]}))
    nav.append(Button("Review answers", "scorecard.review", {"sc": sc_id}))
    nav.append(Button("Pause", "scorecard.pause", {"sc": sc_id}))
    blocks.append(Buttons(nav))
    return Message(blocks, fallback=f"{progress(policy, instrument_key, answered)}: {item.name}. {item.question}",
                   expects="score")


def paused(policy: Policy, *, instrument_key: str, sc_id: int, uc_id: int, answered: int) -> Message:
    return Message([
        Text([f"Paused UC-{uc_id} at {progress(policy, instrument_key, answered)}. Every answer so far is kept; "
              f"either owner can carry on here or by typing: score UC-{uc_id} {command_word(instrument_key)}"]),
        Buttons([Button("Continue", "scorecard.show", {"sc": sc_id})]),
    ], fallback=f"Paused at {progress(policy, instrument_key, answered)}")


def command_word(instrument_key: str) -> str:
    return {scoring.PILOT_SELECTION: "pilot", scoring.READINESS: "readiness",
            scoring.ROLLOUT_CHECKLIST: "rollout", scoring.VENDOR_CHECKLIST: "vendor"}[instrument_key]


def answers_list(policy: Policy, *, instrument_key: str, sc_id: int, uc_id: int, title: str,
                 values: dict[str, int], complete: bool) -> Message:
    """Every area with its answer, and a button to change any of them."""
    inst = scoring.instrument(policy, instrument_key)
    lines = []
    for i, it in enumerate(inst.items, 1):
        v = values.get(it.key)
        lines.append(f"{i}. {it.name}: {value_label(policy, instrument_key, v) if v is not None else 'not answered'}")
    change = [Button(clip(it.name, 60), "scorecard.show", {"sc": sc_id, "k": it.key}) for it in inst.items]
    tail = [Button("See the summary", "scorecard.summary", {"sc": sc_id})] if complete else \
        [Button("Continue where we left off", "scorecard.show", {"sc": sc_id}, style="primary"),
         Button("Pause", "scorecard.pause", {"sc": sc_id})]
    return Message([
        Header(f"{inst.name} · UC-{uc_id}: your answers"),
        Context(f"{progress(policy, instrument_key, len(values))} answered · {clip(title, 80)}"),
        Text(["\n".join(lines)]),
        Context("Click an area to change its answer."),
        *rows(change),
        Buttons(tail),
    ], fallback=f"{inst.name} answers for UC-{uc_id}")


def summary(policy: Policy, *, instrument_key: str, sc_id: int, uc_id: int, title: str, attempt: int,
            values: dict[str, int], reviewed: dict[str, tuple[str, str]], completed_at: datetime | None,
            note: str = "") -> Message:
    """The result once every item is answered. `reviewed` maps an area scored 1 to (reviewer, note)."""
    inst = scoring.instrument(policy, instrument_key)
    blocks: list = [Header(f"{inst.name} complete · UC-{uc_id}")]
    if note:
        blocks.append(Text([note]))
    when = f" · completed {day(completed_at)}" if completed_at else ""
    blocks.append(Context(f"{clip(title, 80)} · attempt {attempt}{when}"))
    if instrument_key == scoring.READINESS:
        blocks.extend(_readiness_blocks(policy, sc_id, values, reviewed))
    elif instrument_key == scoring.PILOT_SELECTION:
        r = scoring.pilot_result(policy, values)
        verdict = (f"Strong candidate (above {inst.strong_above})" if r.strong
                   else f"Not a strong candidate (a strong one scores above {inst.strong_above})")
        blocks.append(Facts([("Total", f"{r.total} of {inst.total_max}"), ("Result", verdict)]))
        low = [k for k in scoring.weakest(policy, values, 3, instrument_key=instrument_key)
               if values[k] < inst.scale_max]
        if low:
            blocks.append(Text([f"Weakest criteria: {names(policy, instrument_key, low, values)}."]))
    else:
        r = scoring.checklist_result(inst, values)
        blocks.append(Facts([("Ready", f"{r.ready} of {r.of}"),
                             ("Result", "Every checkpoint is ready." if r.all_ready else
                              f"{len(r.not_ready)} not ready yet")]))
        if r.not_ready:
            blocks.append(Text([f"Not ready: {names(policy, instrument_key, r.not_ready, limit=14)}. "
                                "Change a checkpoint to Ready once it is in place."]))
    blocks.append(Buttons([
        Button("Review answers", "scorecard.review", {"sc": sc_id}),
        Button("Start a new attempt", "scorecard.again", {"sc": sc_id},
               confirm=Confirm("Start a new attempt?", "The current answers stay on record, but the next gate "
                               "will look at the new attempt once it is answered.", yes="Start again")),
        Button("Status", "status.show", {"uc": uc_id}),
    ]))
    return Message(blocks, fallback=f"{inst.name} complete for UC-{uc_id}")


def _readiness_blocks(policy: Policy, sc_id: int, values: dict[str, int],
                      reviewed: dict[str, tuple[str, str]]) -> list:
    inst = policy.readiness
    r = scoring.readiness_result(policy, values)
    out: list = [Facts([("Total", f"{r.total} of {inst.total_max}"),
                        ("Band", r.band.label if r.band else "not known yet"),
                        ("Recommended action", r.band.action if r.band else "Score every area first.")])]
    if r.hard_gate_failures:
        out.append(Text([Strong("Hard gates not met"),
                         f" (below {inst.hard_gate_min}, so it cannot scale): "
                         f"{names(policy, 'readiness', r.hard_gate_failures, values)}."]))
    else:
        out.append(Text([f"Hard gates: every hard-gate area is at {inst.hard_gate_min} or more."]))
    if r.needs_review:
        lines = []
        pending = []
        for k in r.needs_review:
            if k in reviewed:
                who, text = reviewed[k]
                lines.append(f"• {item_name(policy, 'readiness', k)}: reviewed by {who}: “{clip(text, 200)}”")
            else:
                lines.append(f"• {item_name(policy, 'readiness', k)}: needs explicit review")
                pending.append(k)
        out.append(Text([Strong(f"Scored {inst.explicit_review_at}, needs explicit review before more investment"),
                         "\n" + "\n".join(lines)]))
        out.extend(rows([Button(clip(f"Record review: {item_name(policy, 'readiness', k)}", 75),
                                "scorecard.record_review", {"sc": sc_id, "k": k}) for k in pending]))
    out.append(Text([f"Weakest areas: {names(policy, 'readiness', r.weakest, values)}."]))
    return out


def chooser(policy: Policy, uc_id: int, vendor: bool, intro: str) -> Message:
    keys = [k for k in scoring.INSTRUMENTS if vendor or k != scoring.VENDOR_CHECKLIST]
    return Message([Text([intro]),
                    Buttons([Button(scoring.instrument(policy, k).name, "scorecard.start", {"uc": uc_id, "i": k})
                             for k in keys])], fallback=intro)
