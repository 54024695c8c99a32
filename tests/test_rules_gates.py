"""Gate preconditions: each missing one listed exactly, with how to supply it; moderate passes only with conditions."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from vocabulary.policy import Gate, default_policy
from vocabulary.rules import gates
from vocabulary.rules.gates import KNOWN_PRECONDITIONS, GateFacts, check_gate

P = default_policy()
R_KEYS = [it.key for it in P.readiness.items]
T0 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
EVERYTHING = Gate(from_stage="exploration", to_stage="pilot", requires=sorted(KNOWN_PRECONDITIONS),
                  groups={"low": ["product"], "medium": ["product"], "high": ["product"]})


def good() -> GateFacts:
    """Facts that satisfy every known precondition."""
    return GateFacts(
        use_case_id=4, problem_stated=True, outcome_stated=True, business_owner_named=True,
        delivery_owner_named=True, pilot_selection_total=33, pilot_selection_answered=12,
        readiness_answers={k: 5 for k in R_KEYS}, readiness_complete=True, areas_at_one_reviewed={},
        risk_entries=3, risk_reviewed_at=T0 + timedelta(days=2), stage_entered_at=T0,
        rollout_answers={it.key: 1 for it in P.rollout_checklist.items}, rollout_complete=True,
        vendor_involved=True, vendor_answered=12, vendor_complete=True, open_conditions=0, kpis_with_baselines=2)


def test_all_good_facts_pass_every_gate_of_the_default_policy():
    for gate in P.gates:
        check = check_gate(P, gate, good())
        assert check.ok and check.missing == [] and not check.needs_conditions


def test_the_default_policy_only_names_known_preconditions():
    for gate in P.gates:
        assert set(gate.requires) <= KNOWN_PRECONDITIONS, gate.requires


def readiness(**changes) -> dict[str, int]:
    return {**{k: 5 for k in R_KEYS}, **changes}


BREAKS = {
    "problem_stated": (dict(problem_stated=False), "edit UC-4"),
    "outcome_stated": (dict(outcome_stated=False), "edit UC-4"),
    "owners_named": (dict(delivery_owner_named=False), "edit UC-4"),
    "pilot_selection_scored": (dict(pilot_selection_total=None, pilot_selection_answered=5), "score UC-4 pilot"),
    "risk_register_started": (dict(risk_entries=0), "risk UC-4"),
    # 54 in total, every hard gate at 3 or more, nothing at 1.
    "readiness_band_ok": (dict(readiness_answers=readiness(**{k: 3 for k in R_KEYS})), "score UC-4 readiness"),
    "areas_at_one_reviewed": (dict(readiness_answers=readiness(model_risk=1),
                                   areas_at_one_reviewed={"model_risk": False}), "Record review"),
    "risk_register_reviewed": (dict(risk_reviewed_at=T0 - timedelta(days=1)), "risks UC-4"),
    "conditions_closed": (dict(open_conditions=2), "evidence"),
    "rollout_checklist_ready": (dict(rollout_answers={**good().rollout_answers, "monitoring": 0}),
                                "score UC-4 rollout"),
    "hard_gates_ok": (dict(readiness_answers=readiness(security_readiness=2)), "score UC-4 readiness"),
    "vendor_checklist_done": (dict(vendor_complete=False, vendor_answered=7), "score UC-4 vendor"),
    "kpis_defined": (dict(kpis_with_baselines=0), "kpi UC-4 add"),
}


def test_every_known_precondition_has_a_break_case():
    assert set(BREAKS) | {"readiness_complete"} == KNOWN_PRECONDITIONS


@pytest.mark.parametrize("key", sorted(BREAKS))
def test_each_missing_precondition_is_listed_exactly_with_its_how(key):
    changes, how = BREAKS[key]
    check = check_gate(P, EVERYTHING, replace(good(), **changes))
    assert check.keys == [key]
    (m,) = check.missing
    assert how in m.how, m.how
    assert m.what and m.what.endswith(".")


def test_an_incomplete_readiness_blocks_its_band_and_reviews_too_each_with_how():
    facts = replace(good(), readiness_answers={k: 5 for k in R_KEYS[:-1]}, readiness_complete=False)
    check = check_gate(P, EVERYTHING, facts)
    assert check.keys == ["areas_at_one_reviewed", "readiness_band_ok", "readiness_complete"]
    assert "17 of 18" in next(m for m in check.missing if m.key == "readiness_complete").what
    assert all("score UC-4 readiness" in m.how for m in check.missing)


def test_an_unscored_hard_gate_area_is_missing():
    answers = {k: 5 for k in R_KEYS if k != "ownership"}
    check = check_gate(P, EVERYTHING, replace(good(), readiness_answers=answers, readiness_complete=False))
    hard = next(m for m in check.missing if m.key == "hard_gates_ok")
    assert "not scored: Ownership" in hard.what


def test_missing_texts_name_the_areas_and_numbers():
    check = check_gate(P, EVERYTHING, replace(good(), readiness_answers=readiness(security_readiness=2,
                                                                                ownership=1),
                                              areas_at_one_reviewed={"ownership": True}))
    hard = next(m for m in check.missing if m.key == "hard_gates_ok")
    assert "Ownership" in hard.what and "Security readiness" in hard.what and "below 3" in hard.what
    weak = check_gate(P, EVERYTHING, replace(good(), readiness_answers=readiness(**{k: 3 for k in R_KEYS})))
    assert "54" in weak.missing[0].what and "moderate" in weak.missing[0].what


def test_a_reviewed_area_at_one_no_longer_blocks():
    facts = replace(good(), readiness_answers=readiness(model_risk=1), areas_at_one_reviewed={"model_risk": True})
    assert check_gate(P, EVERYTHING, facts).ok


def test_risk_register_never_reviewed_and_reviewed_this_stage():
    never = check_gate(P, EVERYTHING, replace(good(), risk_reviewed_at=None))
    assert never.keys == ["risk_register_reviewed"] and "never" in never.missing[0].what
    same_moment = check_gate(P, EVERYTHING, replace(good(), risk_reviewed_at=T0))
    assert same_moment.ok


def test_no_vendor_means_no_vendor_checklist_needed():
    facts = replace(good(), vendor_involved=False, vendor_complete=False, vendor_answered=0)
    assert check_gate(P, EVERYTHING, facts).ok


@pytest.mark.parametrize("from_stage", ["pilot", "controlled_rollout", "scale_decision"])
@pytest.mark.parametrize("total,band,missing,conditions", [
    (75, "strong", [], False), (74, "moderate", [], True), (55, "moderate", [], True),
    (54, "weak", ["readiness_band_ok"], False), (35, "weak", ["readiness_band_ok"], False),
    (34, "low", ["readiness_band_ok"], False)])
def test_moderate_band_passes_only_with_conditions_at_every_later_gate(from_stage, total, band, missing, conditions):
    hard = set(P.readiness.hard_gate_keys)
    answers = {k: (3 if k in hard else 1) for k in R_KEYS}  # hard gates held, so only the band decides
    left = total - sum(answers.values())
    for k in [k for k in R_KEYS if k not in hard] + [k for k in R_KEYS if k in hard]:
        add = min(5 - answers[k], left)
        answers[k] += add
        left -= add
    assert sum(answers.values()) == total
    reviewed = {k: True for k, v in answers.items() if v == 1}
    facts = replace(good(), readiness_answers=answers, areas_at_one_reviewed=reviewed)
    check = check_gate(P, P.gate_from(from_stage), facts)
    assert check.keys == missing
    assert check.needs_conditions is conditions


def test_an_unknown_precondition_is_reported_never_a_crash():
    gate = Gate(from_stage="pilot", to_stage="controlled_rollout", requires=["readines_complete", "owners_named"],
                groups={"low": ["product"], "medium": ["product"], "high": ["product"]})
    check = check_gate(P, gate, good())
    assert check.keys == ["readines_complete"]
    assert "unknown precondition" in check.missing[0].what and "readines_complete" in check.missing[0].what
    assert "policy" in check.missing[0].how


def test_instrument_for_points_at_real_instruments():
    from vocabulary.rules import scoring

    assert set(gates.INSTRUMENT_FOR.values()) <= set(scoring.INSTRUMENTS)
    assert set(gates.INSTRUMENT_FOR) <= KNOWN_PRECONDITIONS
