"""The instruments' arithmetic at every boundary of the seed's numbers, and properties over all answer sets."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vocabulary.policy import default_policy
from vocabulary.rules import scoring

P = default_policy()
R_KEYS = [it.key for it in P.readiness.items]
PS_KEYS = [it.key for it in P.pilot_selection.items]
HARD = ["success_criteria", "ownership", "security_readiness", "privacy_legal_readiness", "production_readiness"]


def readiness_with_total(total: int, *, avoid: set[str] = frozenset(), floor: int = 1) -> dict[str, int]:
    """A full readiness answer set adding up to `total` (points go to areas not in `avoid` first)."""
    answers = {k: floor for k in R_KEYS}
    left = total - floor * len(R_KEYS)
    order = [k for k in R_KEYS if k not in avoid] + [k for k in R_KEYS if k in avoid]
    for k in order:
        add = min(5 - answers[k], left)
        answers[k] += add
        left -= add
    assert left == 0 and sum(answers.values()) == total
    return answers


def pilot_with_total(total: int) -> dict[str, int]:
    answers = {k: 1 for k in PS_KEYS}
    left = total - 12
    for k in PS_KEYS:
        add = min(2, left)
        answers[k] += add
        left -= add
    assert sum(answers.values()) == total
    return answers


# -- the default policy carries the seed's numbers ---------------------------------------------
def test_default_policy_instruments_have_the_seed_shape():
    assert len(PS_KEYS) == 12 and (P.pilot_selection.scale_min, P.pilot_selection.scale_max) == (1, 3)
    assert P.pilot_selection.strong_above == 30
    assert len(R_KEYS) == 18 and (P.readiness.scale_min, P.readiness.scale_max) == (1, 5)
    assert sorted(P.readiness.hard_gate_keys) == sorted(HARD)
    assert (P.readiness.hard_gate_min, P.readiness.explicit_review_at) == (3, 1)
    assert len(P.rollout_checklist.items) == 14 and len(P.vendor_checklist.items) == 12
    assert scoring.scale(P, "readiness") == [(1, "Not in place"), (2, "Major gaps"), (3, "Partially ready"),
                                             (4, "Mostly ready"), (5, "Ready with confidence")]
    assert scoring.scale(P, "rollout_checklist") == [(1, "Ready"), (0, "Not ready")]


# -- readiness bands at every boundary ----------------------------------------------------------
@pytest.mark.parametrize("total,band", [(18, "low"), (34, "low"), (35, "weak"), (54, "weak"), (55, "moderate"),
                                        (74, "moderate"), (75, "strong"), (90, "strong")])
def test_readiness_band_boundaries(total, band):
    answers = readiness_with_total(total)
    assert scoring.readiness_total(P, answers) == total
    assert scoring.readiness_band(P, total).key == band
    result = scoring.readiness_result(P, answers)
    assert result.complete and result.band.key == band and result.total == total


def test_band_actions_follow_the_seed():
    assert scoring.readiness_band(P, 80).action == "Go ahead to a controlled rollout."
    assert "gaps" in scoring.readiness_band(P, 60).action
    assert "pilot" in scoring.readiness_band(P, 40).action
    assert "Not a candidate for scaling" in scoring.readiness_band(P, 20).action


@pytest.mark.parametrize("total", [17, 91, 0, -5])
def test_a_total_outside_the_scale_has_no_band(total):
    with pytest.raises(ValueError):
        scoring.readiness_band(P, total)


def test_a_partial_readiness_has_no_band_yet():
    result = scoring.readiness_result(P, {k: 5 for k in R_KEYS[:17]})
    assert not result.complete and result.band is None and result.answered == 17 and result.total == 85


# -- pilot selection ----------------------------------------------------------------------------------
@pytest.mark.parametrize("total,strong", [(12, False), (30, False), (31, True), (36, True)])
def test_pilot_selection_strong_candidate_only_above_30(total, strong):
    answers = pilot_with_total(total)
    assert scoring.pilot_total(P, answers) == total
    assert scoring.is_strong_candidate(P, total) is strong
    result = scoring.pilot_result(P, answers)
    assert result.complete and result.strong is strong


@pytest.mark.parametrize("total", [11, 37])
def test_pilot_total_outside_the_scale_is_refused(total):
    with pytest.raises(ValueError):
        scoring.is_strong_candidate(P, total)


# -- hard gates and explicit reviews ---------------------------------------------------------------------
@pytest.mark.parametrize("area", HARD)
def test_a_hard_gate_area_at_2_fails_and_at_3_passes(area):
    answers = {k: 5 for k in R_KEYS}
    answers[area] = 2
    assert scoring.hard_gate_failures(P, answers) == [area]
    answers[area] = 3
    assert scoring.hard_gate_failures(P, answers) == []


def test_an_ordinary_area_at_2_is_not_a_hard_gate_failure():
    answers = {k: 5 for k in R_KEYS}
    answers["model_risk"] = 2
    assert scoring.hard_gate_failures(P, answers) == []


@pytest.mark.parametrize("area", ["problem_clarity", "ownership", "executive_visibility"])
def test_any_area_at_1_needs_explicit_review_and_2_does_not(area):
    answers = {k: 4 for k in R_KEYS}
    answers[area] = 1
    assert scoring.needs_explicit_review(P, answers) == [area]
    answers[area] = 2
    assert scoring.needs_explicit_review(P, answers) == []


def test_weakest_three_lowest_first_ties_in_policy_order():
    answers = {k: 4 for k in R_KEYS}
    answers.update({"executive_visibility": 1, "value_case": 2, "data_readiness": 2, "model_risk": 2})
    assert scoring.weakest(P, answers) == ["executive_visibility", "value_case", "data_readiness"]
    assert scoring.weakest(P, answers, n=1) == ["executive_visibility"]


# -- validation -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [{"problem_clarity": 0}, {"problem_clarity": 6}, {"nope": 3},
                                 {"problem_clarity": True}, {"problem_clarity": "3"}, {"problem_clarity": 3.0}])
def test_readiness_answers_outside_the_scale_raise(bad):
    with pytest.raises(ValueError):
        scoring.readiness_total(P, bad)
    with pytest.raises(ValueError):
        scoring.hard_gate_failures(P, bad)


@pytest.mark.parametrize("bad", [{"business_problem": 4}, {"business_problem": 0}, {"ownership_x": 2}])
def test_pilot_answers_outside_the_scale_raise(bad):
    with pytest.raises(ValueError):
        scoring.pilot_total(P, bad)


# -- checklists -------------------------------------------------------------------------------------------------
def test_checklist_ready_only_when_every_checkpoint_is_ready():
    cl = P.rollout_checklist
    keys = [it.key for it in cl.items]
    assert scoring.checklist_ready(cl, {k: 1 for k in keys}) == (True, [])
    answers = {k: 1 for k in keys}
    answers["monitoring"] = 0
    assert scoring.checklist_ready(cl, answers) == (False, ["monitoring"])
    del answers["monitoring"]
    answers["rollback_readiness"] = 0
    assert scoring.checklist_ready(cl, answers) == (False, ["monitoring", "rollback_readiness"])
    assert scoring.checklist_ready(cl, {}) == (False, keys)
    result = scoring.checklist_result(cl, answers)
    assert (result.answered, result.ready, result.complete) == (13, 12, False)


@pytest.mark.parametrize("bad", [{"monitoring": 2}, {"monitoring": "ready"}, {"not_a_checkpoint": 1}])
def test_checklist_values_are_ready_or_not_ready(bad):
    with pytest.raises(ValueError):
        scoring.checklist_ready(P.rollout_checklist, bad)


# -- properties over every possible answer set -------------------------------------------------------------------
full_readiness = st.fixed_dictionaries({k: st.integers(1, 5) for k in R_KEYS})
partial_readiness = st.dictionaries(st.sampled_from(R_KEYS), st.integers(1, 5))
full_pilot = st.fixed_dictionaries({k: st.integers(1, 3) for k in PS_KEYS})


@settings(max_examples=300, deadline=None)
@given(full_readiness)
def test_readiness_total_in_range_with_exactly_one_band(answers):
    total = scoring.readiness_total(P, answers)
    assert 18 <= total <= 90
    assert sum(1 for b in P.readiness.bands if b.min_total <= total <= b.max_total) == 1
    band = scoring.readiness_band(P, total)
    assert band.min_total <= total <= band.max_total


@settings(max_examples=300, deadline=None)
@given(full_readiness, st.sampled_from(R_KEYS))
def test_raising_any_area_never_lowers_the_band(answers, area):
    before = scoring.readiness_band(P, scoring.readiness_total(P, answers))
    if answers[area] < 5:
        higher = {**answers, area: answers[area] + 1}
        after = scoring.readiness_band(P, scoring.readiness_total(P, higher))
        assert scoring.band_rank(P, after.key) >= scoring.band_rank(P, before.key)


@settings(max_examples=200, deadline=None)
@given(full_readiness, full_readiness)
def test_band_is_monotone_in_the_total(a, b):
    ta, tb = scoring.readiness_total(P, a), scoring.readiness_total(P, b)
    ra = scoring.band_rank(P, scoring.readiness_band(P, ta).key)
    rb = scoring.band_rank(P, scoring.readiness_band(P, tb).key)
    if ta <= tb:
        assert ra <= rb
    else:
        assert ra >= rb


@settings(max_examples=300, deadline=None)
@given(partial_readiness)
def test_hard_gate_failures_are_exactly_the_hard_gate_areas_below_3(answers):
    expected = [k for k in P.readiness.hard_gate_keys if k in answers and answers[k] < 3]
    assert scoring.hard_gate_failures(P, answers) == expected
    assert scoring.needs_explicit_review(P, answers) == [k for k in R_KEYS if answers.get(k) == 1]
    total = scoring.readiness_total(P, answers)
    assert len(answers) <= total <= 5 * len(answers)


@settings(max_examples=300, deadline=None)
@given(full_pilot)
def test_pilot_total_in_range_and_strong_exactly_above_30(answers):
    total = scoring.pilot_total(P, answers)
    assert 12 <= total <= 36
    assert scoring.is_strong_candidate(P, total) is (total > 30)
    assert scoring.pilot_result(P, answers).strong is (total > 30)
