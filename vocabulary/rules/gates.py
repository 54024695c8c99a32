"""Stage-gate preconditions: what a use case still lacks before its next gate, and how to supply it.

`check_gate(policy, gate, facts)` looks at plain facts (gathered from the
database by `conversations.stages.gate_facts`) and returns every precondition of the
gate that does not hold, each with what is missing and how to supply it,
so an owner never gets a bare "no". A precondition key the code does not know
(a typo in an organisation's policy) is reported as missing, never a crash.

Preconditions (keys used in a policy's `gates[].requires`):

- problem_stated / outcome_stated: the intake text is not empty.
- owners_named: a business owner and a delivery owner are named.
- pilot_selection_scored: all pilot selection criteria are scored.
- risk_register_started: the risk register has at least one entry.
- readiness_complete: all readiness areas are scored.
- readiness_band_ok: the readiness band is at least `readiness.gate_min_band`;
  a band in `readiness.conditional_bands` passes only with conditions
  (`GateCheck.needs_conditions`).
- areas_at_one_reviewed: every area at the explicit-review level has a recorded review.
- risk_register_reviewed: the owners marked the register reviewed since the use case entered its stage.
- conditions_closed: no open condition.
- rollout_checklist_ready: every rollout checkpoint answered and ready.
- hard_gates_ok: every hard-gate readiness area scored and at least `readiness.hard_gate_min`.
- vendor_checklist_done: the vendor checklist is complete, where a vendor is involved.
- kpis_defined: at least one KPI with its baseline.

Every gate also checks `ai_act_clear` when the policy has an EU AI Act section (not listed in `requires`:
see vocabulary/rules/ai_act_gate.py): no prohibited practice, and no open obligation due by this gate.
"""
from __future__ import annotations

from typing import Callable

from vocabulary.policy import Gate, Policy
from vocabulary.rules import scoring
from vocabulary.rules.ai_act_gate import ai_act_missing
from vocabulary.rules.gate_facts import GateCheck, GateFacts, Missing, OpenObligation

__all__ = ["GateCheck", "GateFacts", "Missing", "OpenObligation", "CHECKS", "INSTRUMENT_FOR", "KNOWN_PRECONDITIONS",
           "READINESS_RULES", "check_gate", "readiness_blockers", "readiness_gate"]


def _ref(facts: GateFacts) -> str:
    return f"UC-{facts.use_case_id}" if facts.use_case_id is not None else "the use case"


def _names(policy: Policy, instrument_key: str, keys: list[str], limit: int = 6) -> str:
    inst = scoring.instrument(policy, instrument_key)
    names = {it.key: it.name for it in inst.items}
    shown = [names.get(k, k) for k in keys[:limit]]
    more = len(keys) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


Check = Callable[[Policy, GateFacts], "Missing | None"]


def _problem(policy: Policy, f: GateFacts) -> Missing | None:
    if f.problem_stated:
        return None
    return Missing("problem_stated", "The problem statement is empty.",
                   f"An owner or the proposer describes the problem it solves: edit {_ref(f)}")


def _outcome(policy: Policy, f: GateFacts) -> Missing | None:
    if f.outcome_stated:
        return None
    return Missing("outcome_stated", "There is no outcome statement (process, metric and control in one sentence).",
                   f"An owner or the proposer adds the outcome statement: edit {_ref(f)}")


def _owners(policy: Policy, f: GateFacts) -> Missing | None:
    if f.owners_named:
        return None
    lacking = [r for r, ok in (("business owner", f.business_owner_named),
                               ("delivery owner", f.delivery_owner_named)) if not ok]
    return Missing("owners_named", f"No {' and no '.join(lacking)} is named.",
                   f"Name both a business owner and a delivery owner: edit {_ref(f)}")


def _pilot_scored(policy: Policy, f: GateFacts) -> Missing | None:
    if f.pilot_selection_total is not None:
        return None
    n = len(policy.pilot_selection.items)
    return Missing("pilot_selection_scored",
                   f"The pilot selection criteria are not fully scored ({f.pilot_selection_answered} of {n}).",
                   f"Either owner types: score {_ref(f)} pilot")


def _risk_started(policy: Policy, f: GateFacts) -> Missing | None:
    if f.risk_entries > 0:
        return None
    return Missing("risk_register_started", "The risk register has no entries yet.",
                   f"Add the first risk: type risk {_ref(f)}")


def _readiness_complete(policy: Policy, f: GateFacts) -> Missing | None:
    if f.readiness_complete:
        return None
    n = len(policy.readiness.items)
    return Missing("readiness_complete",
                   f"The readiness scorecard is not complete ({len(f.readiness_answers)} of {n} areas scored).",
                   f"Either owner types: score {_ref(f)} readiness")


def _band_ok(policy: Policy, f: GateFacts) -> Missing | None:
    minimum = next(b for b in policy.readiness.bands if b.key == policy.readiness.gate_min_band)
    if not f.readiness_complete:
        return Missing("readiness_band_ok",
                       f"The readiness band is only known once all areas are scored; this gate needs "
                       f"{minimum.label.lower()} or better.",
                       f"Finish the readiness scorecard: score {_ref(f)} readiness")
    total = scoring.readiness_total(policy, f.readiness_answers)
    band = scoring.readiness_band(policy, total)
    if scoring.band_ok(policy, band.key):
        return None
    return Missing("readiness_band_ok",
                   f"Readiness is {total} ({band.label.lower()}); this gate needs {minimum.label.lower()} "
                   f"({minimum.min_total} or more).",
                   f"Close the gaps in the weakest areas, then score again: score {_ref(f)} readiness")


def _areas_reviewed(policy: Policy, f: GateFacts) -> Missing | None:
    if not f.readiness_complete:
        return Missing("areas_at_one_reviewed",
                       "Areas scored 1 cannot be checked until the readiness scorecard is complete.",
                       f"Finish the readiness scorecard: score {_ref(f)} readiness")
    pending = [k for k, reviewed in f.areas_at_one_reviewed.items() if not reviewed]
    if not pending:
        return None
    level = policy.readiness.explicit_review_at
    return Missing("areas_at_one_reviewed",
                   f"Areas scored {level} need an explicit review first: {_names(policy, 'readiness', pending)}.",
                   f"Open the readiness summary (score {_ref(f)} readiness) and click Record review on each.")


def _risk_reviewed(policy: Policy, f: GateFacts) -> Missing | None:
    if f.risk_reviewed_at is not None and (f.stage_entered_at is None or f.risk_reviewed_at >= f.stage_entered_at):
        return None
    when = "has never been marked reviewed" if f.risk_reviewed_at is None else \
        "has not been reviewed since the use case entered its current stage"
    return Missing("risk_register_reviewed", f"The risk register {when}.",
                   f"Go through the risks (type risks {_ref(f)}) and click Mark register reviewed.")


def _conditions(policy: Policy, f: GateFacts) -> Missing | None:
    if f.open_conditions == 0:
        return None
    n = f.open_conditions
    return Missing("conditions_closed", f"{n} condition{'s' if n != 1 else ''} from earlier reviews "
                                        f"{'are' if n != 1 else 'is'} still open.",
                   f"Each condition's owner closes it with a short evidence note (see them with: status {_ref(f)}).")


def _rollout(policy: Policy, f: GateFacts) -> Missing | None:
    all_ready, not_ready = scoring.checklist_ready(policy.rollout_checklist, f.rollout_answers)
    if all_ready:
        return None
    n = len(policy.rollout_checklist.items)
    unanswered = n - len(f.rollout_answers)
    if unanswered:
        what = f"The rollout checklist is not complete ({len(f.rollout_answers)} of {n} checkpoints answered)."
    else:
        what = f"Rollout checkpoints not ready yet: {_names(policy, 'rollout_checklist', not_ready)}."
    return Missing("rollout_checklist_ready", what,
                   f"Either owner types: score {_ref(f)} rollout (mark each checkpoint once it is ready)")


def _hard_gates(policy: Policy, f: GateFacts) -> Missing | None:
    inst = policy.readiness
    failing = scoring.hard_gate_failures(policy, f.readiness_answers)
    unscored = [k for k in inst.hard_gate_keys if k not in f.readiness_answers]
    if not failing and not unscored:
        return None
    parts = []
    if failing:
        parts.append(f"below {inst.hard_gate_min}: {_names(policy, 'readiness', failing)}")
    if unscored:
        parts.append(f"not scored: {_names(policy, 'readiness', unscored)}")
    return Missing("hard_gates_ok", "Hard-gate readiness areas are " + "; ".join(parts) + ".",
                   f"Raise each to {inst.hard_gate_min} or more and re-score them: score {_ref(f)} readiness")


def _vendor(policy: Policy, f: GateFacts) -> Missing | None:
    if not f.vendor_involved or f.vendor_complete:
        return None
    n = len(policy.vendor_checklist.items)
    return Missing("vendor_checklist_done",
                   f"A vendor is involved and the vendor checklist is not complete ({f.vendor_answered} of {n}).",
                   f"Either owner types: score {_ref(f)} vendor")


def _kpis(policy: Policy, f: GateFacts) -> Missing | None:
    if f.kpis_with_baselines > 0:
        return None
    return Missing("kpis_defined", "No KPI with a baseline is defined.",
                   f"Define the KPIs with their baselines and targets: kpi {_ref(f)} add")


CHECKS: dict[str, Check] = {
    "problem_stated": _problem,
    "outcome_stated": _outcome,
    "owners_named": _owners,
    "pilot_selection_scored": _pilot_scored,
    "risk_register_started": _risk_started,
    "readiness_complete": _readiness_complete,
    "readiness_band_ok": _band_ok,
    "areas_at_one_reviewed": _areas_reviewed,
    "risk_register_reviewed": _risk_reviewed,
    "conditions_closed": _conditions,
    "rollout_checklist_ready": _rollout,
    "hard_gates_ok": _hard_gates,
    "vendor_checklist_done": _vendor,
    "kpis_defined": _kpis,
}
KNOWN_PRECONDITIONS: frozenset[str] = frozenset(CHECKS)

# Which instrument supplies a precondition (the default for "score UC-4").
INSTRUMENT_FOR = {
    "pilot_selection_scored": scoring.PILOT_SELECTION,
    "readiness_complete": scoring.READINESS,
    "readiness_band_ok": scoring.READINESS,
    "areas_at_one_reviewed": scoring.READINESS,
    "hard_gates_ok": scoring.READINESS,
    "rollout_checklist_ready": scoring.ROLLOUT_CHECKLIST,
    "vendor_checklist_done": scoring.VENDOR_CHECKLIST,
}


# The readiness rules: the policy names them at every gate from pilot -> controlled rollout onwards.
READINESS_RULES: tuple[str, ...] = ("readiness_complete", "readiness_band_ok", "hard_gates_ok",
                                    "areas_at_one_reviewed")


def readiness_gate(gate: Gate | None) -> bool:
    """Whether the gate applies the readiness rules (the policy requires at least one of them)."""
    return gate is not None and any(k in gate.requires for k in READINESS_RULES)


def readiness_blockers(policy: Policy, gate: Gate, facts: GateFacts) -> list[Missing]:
    """The readiness rules of `gate` that the latest scorecard breaks (re-checked when a reviewer approves)."""
    out: list[Missing] = []
    for key in READINESS_RULES:
        if key in gate.requires:
            m = CHECKS[key](policy, facts)
            if m is not None:
                out.append(m)
    return out


def check_gate(policy: Policy, gate: Gate, facts: GateFacts) -> GateCheck:
    """Every precondition of `gate` that does not hold, in the policy's order."""
    missing: list[Missing] = []
    for key in gate.requires:
        check = CHECKS.get(key)
        if check is None:
            missing.append(Missing(key, f"The policy names an unknown precondition “{key}”, so this gate "
                                        "cannot be checked.",
                                   "Ask the operating-model admin to correct the policy file "
                                   f"(known preconditions: {', '.join(sorted(KNOWN_PRECONDITIONS))})."))
            continue
        m = check(policy, facts)
        if m is not None:
            missing.append(m)
    act_missing = ai_act_missing(policy, gate, facts)
    if act_missing is not None:
        missing.append(act_missing)
    return GateCheck(missing=missing, needs_conditions=_needs_conditions(policy, gate, facts))


def _needs_conditions(policy: Policy, gate: Gate, facts: GateFacts) -> bool:
    if "readiness_band_ok" not in gate.requires or not facts.readiness_complete:
        return False
    band = scoring.readiness_band(policy, scoring.readiness_total(policy, facts.readiness_answers))
    return band.key in policy.readiness.conditional_bands and scoring.band_ok(policy, band.key)
