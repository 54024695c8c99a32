"""The next gate's missing preconditions for an exported use case, from the batch the export already read.

The chat's status view reads a use case's gate facts one query at a time (conversations/gate_facts.gather);
the export cannot afford that for 100,000 use cases, so it reads the same facts for a whole batch at once
(storage/repo/portfolio_export.py) and builds the `GateFacts` here, with the same rules: the latest attempt
of each instrument, answers to items the policy no longer has ignored, areas scored at the explicit-review
level reviewed when their answer carries a review, the register reviewed since the use case entered its
stage. `vocabulary.rules.gates.check_gate` then judges them, exactly as for `move UC-4`.
"""
from __future__ import annotations

from typing import Any

from vocabulary.policy import Policy
from vocabulary.rules import scoring
from vocabulary.rules.gates import GateCheck, GateFacts, check_gate
from storage.repo.portfolio_export import Bundle
from vocabulary.states import CLOSED_USE_CASE


def facts(policy: Policy, b: Bundle) -> GateFacts:
    u = b.uc

    def answers_of(key: str) -> dict[str, int]:
        known = set(scoring.item_keys(policy, key))
        return {k: v for k, (v, _) in b.answers.get(key, {}).items()
                if k in known and scoring.valid_value(policy, key, v)}

    pilot = answers_of(scoring.PILOT_SELECTION)
    pilot_result = scoring.pilot_result(policy, pilot)
    readiness = answers_of(scoring.READINESS)
    given = b.answers.get(scoring.READINESS, {})
    rollout = answers_of(scoring.ROLLOUT_CHECKLIST)
    vendor = answers_of(scoring.VENDOR_CHECKLIST)
    return GateFacts(
        use_case_id=u["id"],
        problem_stated=bool((u["problem"] or "").strip()),
        outcome_stated=bool((u["outcome"] or "").strip()),
        business_owner_named=u["business_owner_id"] is not None,
        delivery_owner_named=u["delivery_owner_id"] is not None,
        pilot_selection_total=pilot_result.total if pilot_result.complete else None,
        pilot_selection_answered=len(pilot),
        readiness_answers=readiness,
        readiness_complete=len(readiness) == len(policy.readiness.items),
        areas_at_one_reviewed={k: given[k][1] for k in scoring.needs_explicit_review(policy, readiness)},
        risk_entries=b.risk_entries,
        risk_reviewed_at=u["risk_reviewed_at"],
        stage_entered_at=u["stage_entered_at"],
        rollout_answers=rollout,
        rollout_complete=len(rollout) == len(policy.rollout_checklist.items),
        vendor_involved=bool(u["vendor_involved"]),
        vendor_answered=len(vendor),
        vendor_complete=len(vendor) == len(policy.vendor_checklist.items),
        open_conditions=b.open_conditions,
        kpis_with_baselines=len(b.kpis),
    )


def next_gate(policy: Policy, b: Bundle) -> dict[str, Any]:
    """The record's "gate": where the next gate leads, whether its preconditions hold, and each one missing."""
    # A stopped or withdrawn use case has no next gate, whatever stage it stopped in.
    gate = None if b.uc.get("status") in CLOSED_USE_CASE else policy.gate_from(b.uc["stage"])
    if gate is None:
        return {"to_stage": None, "ready": None, "needs_conditions": False, "missing": []}
    check: GateCheck = check_gate(policy, gate, facts(policy, b))
    return {"to_stage": gate.to_stage, "ready": check.ok, "needs_conditions": check.needs_conditions,
            "missing": [{"key": m.key, "what": m.what, "how": m.how} for m in check.missing]}
