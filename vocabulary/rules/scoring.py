"""The four instruments' arithmetic: totals, bands, hard gates, explicit reviews, checklists.

Plain functions over plain data, driven by the policy (so an organisation's own
scales and thresholds apply without code changes). Answers are
`{item_key: score}`; a checklist answer is 1 (ready) or 0 (not ready).
Anything that is not a known item or not on the scale raises ValueError: a
wrong number here would silently move a use case through a gate.

Definitions (the seed's numbers live in the default policy):

- *Pilot selection*: the total of the 12 scores (1-3 each, 12-36); a total
  strictly above `strong_above` (30) is a strong candidate.
- *Readiness*: the total of the 18 scores (1-5 each, 18-90) falls in exactly one
  band (75-90 strong, 55-74 moderate, 35-54 weak, 18-34 low).
- *Hard gates*: a hard-gate area scored below `hard_gate_min` (3) fails.
- *Explicit review*: an area scored at or below `explicit_review_at` (1) needs one.
- *Weakest*: the lowest-scored areas, ties in the policy's order.
- *Checklist ready*: every checkpoint answered and marked ready.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from vocabulary.policy import Band, Checklist, Policy, ScoredInstrument

PILOT_SELECTION = "pilot_selection"
READINESS = "readiness"
ROLLOUT_CHECKLIST = "rollout_checklist"
VENDOR_CHECKLIST = "vendor_checklist"
INSTRUMENTS = (PILOT_SELECTION, READINESS, ROLLOUT_CHECKLIST, VENDOR_CHECKLIST)
CHECKLISTS = (ROLLOUT_CHECKLIST, VENDOR_CHECKLIST)
READY, NOT_READY = 1, 0


# -- instruments ---------------------------------------------------------------
def instrument(policy: Policy, key: str) -> ScoredInstrument | Checklist:
    if key not in INSTRUMENTS:
        raise ValueError(f"unknown instrument {key!r}")
    return getattr(policy, key)


def is_checklist(key: str) -> bool:
    return key in CHECKLISTS


def scale(policy: Policy, key: str) -> list[tuple[int, str]]:
    """The values an item of this instrument may take, with their labels, in button order."""
    inst = instrument(policy, key)
    if isinstance(inst, ScoredInstrument):
        return [(v, inst.scale_labels.get(v, str(v))) for v in range(inst.scale_min, inst.scale_max + 1)]
    return [(READY, "Ready"), (NOT_READY, "Not ready")]


def item_keys(policy: Policy, key: str) -> list[str]:
    return [it.key for it in instrument(policy, key).items]


def valid_value(policy: Policy, key: str, value: object) -> bool:
    """Whether `value` is a score (or checklist mark) this instrument accepts. Booleans are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return value in {v for v, _ in scale(policy, key)}


def _check(inst: ScoredInstrument, answers: Mapping[str, int]) -> None:
    known = {it.key for it in inst.items}
    for k, v in answers.items():
        if k not in known:
            raise ValueError(f"{inst.name}: unknown item {k!r}")
        if isinstance(v, bool) or not isinstance(v, int) or not inst.scale_min <= v <= inst.scale_max:
            raise ValueError(f"{inst.name}: {k} must be a whole number from {inst.scale_min} to {inst.scale_max}, "
                             f"not {v!r}")


def _complete(inst: ScoredInstrument | Checklist, answers: Mapping[str, int]) -> bool:
    return all(it.key in answers for it in inst.items)


# -- pilot selection -------------------------------------------------------------
def pilot_total(policy: Policy, answers: Mapping[str, int]) -> int:
    """The total of the answered criteria (12-36 once all twelve are scored)."""
    _check(policy.pilot_selection, answers)
    return sum(answers.values())


def is_strong_candidate(policy: Policy, total: int) -> bool:
    inst = policy.pilot_selection
    if not inst.total_min <= total <= inst.total_max:
        raise ValueError(f"a pilot selection total must be {inst.total_min}-{inst.total_max}, not {total}")
    return total > inst.strong_above


@dataclass(frozen=True)
class PilotResult:
    total: int
    answered: int
    of: int
    complete: bool
    # Only meaningful once complete (False before).
    strong: bool


def pilot_result(policy: Policy, answers: Mapping[str, int]) -> PilotResult:
    inst = policy.pilot_selection
    total = pilot_total(policy, answers)
    complete = _complete(inst, answers)
    return PilotResult(total=total, answered=len(answers), of=len(inst.items), complete=complete,
                       strong=complete and is_strong_candidate(policy, total))


# -- readiness --------------------------------------------------------------------
def readiness_total(policy: Policy, answers: Mapping[str, int]) -> int:
    """The total of the answered areas (18-90 once all eighteen are scored)."""
    _check(policy.readiness, answers)
    return sum(answers.values())


def readiness_band(policy: Policy, total: int) -> Band:
    for band in policy.readiness.bands:
        if band.min_total <= total <= band.max_total:
            return band
    inst = policy.readiness
    raise ValueError(f"a readiness total must be {inst.total_min}-{inst.total_max}, not {total}")


def band_rank(policy: Policy, band_key: str) -> int:
    """Higher is better: bands ordered by their lower bound."""
    order = sorted(policy.readiness.bands, key=lambda b: b.min_total)
    for i, b in enumerate(order):
        if b.key == band_key:
            return i
    raise ValueError(f"unknown readiness band {band_key!r}")


def band_ok(policy: Policy, band_key: str) -> bool:
    """At least the weakest band that may pass the pilot -> controlled rollout gate."""
    return band_rank(policy, band_key) >= band_rank(policy, policy.readiness.gate_min_band)


def hard_gate_failures(policy: Policy, answers: Mapping[str, int]) -> list[str]:
    """Hard-gate areas scored below the minimum, in the policy's order (unanswered areas are not counted)."""
    inst = policy.readiness
    _check(inst, answers)
    return [k for k in inst.hard_gate_keys if k in answers and answers[k] < inst.hard_gate_min]


def needs_explicit_review(policy: Policy, answers: Mapping[str, int]) -> list[str]:
    """Areas scored at (or below) the explicit-review level, in the policy's order."""
    inst = policy.readiness
    _check(inst, answers)
    return [it.key for it in inst.items if it.key in answers and answers[it.key] <= inst.explicit_review_at]


def weakest(policy: Policy, answers: Mapping[str, int], n: int = 3, *, instrument_key: str = READINESS) -> list[str]:
    """The `n` lowest-scored items, ties broken by the policy's order."""
    inst = instrument(policy, instrument_key)
    if isinstance(inst, ScoredInstrument):
        _check(inst, answers)
    order = {it.key: i for i, it in enumerate(inst.items)}
    ranked = sorted((k for k in answers if k in order), key=lambda k: (answers[k], order[k]))
    return ranked[:max(n, 0)]


@dataclass(frozen=True)
class ReadinessResult:
    total: int
    answered: int
    of: int
    complete: bool
    # None until every area is scored (a band of a partial total would mislead).
    band: Band | None
    hard_gate_failures: list[str]
    needs_review: list[str]
    weakest: list[str]


def readiness_result(policy: Policy, answers: Mapping[str, int]) -> ReadinessResult:
    inst = policy.readiness
    total = readiness_total(policy, answers)
    complete = _complete(inst, answers)
    return ReadinessResult(total=total, answered=len(answers), of=len(inst.items), complete=complete,
                           band=readiness_band(policy, total) if complete else None,
                           hard_gate_failures=hard_gate_failures(policy, answers),
                           needs_review=needs_explicit_review(policy, answers),
                           weakest=weakest(policy, answers, 3))


# -- checklists ---------------------------------------------------------------------
def checklist_ready(policy_checklist: Checklist, answers: Mapping[str, int | bool]) -> tuple[bool, list[str]]:
    """(every checkpoint ready, checkpoints not ready or not answered yet, in the policy's order)."""
    known = {it.key for it in policy_checklist.items}
    for k, v in answers.items():
        if k not in known:
            raise ValueError(f"{policy_checklist.name}: unknown checkpoint {k!r}")
        if v not in (READY, NOT_READY) or (not isinstance(v, (int, bool))):
            raise ValueError(f"{policy_checklist.name}: {k} must be ready (1) or not ready (0), not {v!r}")
    not_ready = [it.key for it in policy_checklist.items if not answers.get(it.key)]
    return not not_ready, not_ready


@dataclass(frozen=True)
class ChecklistResult:
    answered: int
    of: int
    complete: bool
    ready: int
    all_ready: bool
    not_ready: list[str]


def checklist_result(policy_checklist: Checklist, answers: Mapping[str, int | bool]) -> ChecklistResult:
    all_ready, not_ready = checklist_ready(policy_checklist, answers)
    of = len(policy_checklist.items)
    return ChecklistResult(answered=len(answers), of=of, complete=_complete(policy_checklist, answers),
                           ready=of - len(not_ready), all_ready=all_ready, not_ready=not_ready)


def result(policy: Policy, key: str, answers: Mapping[str, int]):
    """The result dataclass of any instrument."""
    if key == PILOT_SELECTION:
        return pilot_result(policy, answers)
    if key == READINESS:
        return readiness_result(policy, answers)
    return checklist_result(instrument(policy, key), answers)
