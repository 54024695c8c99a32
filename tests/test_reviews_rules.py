"""The pure review rules: routing, deadlines, closure with quorum, gate results, pilot exit dates, rights."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

import pytest

from vocabulary.policy import default_policy
from conversations.reviews import rules
from conversations.reviews.rules import Clicker, Vote

NOW = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def policy():
    return default_policy()


def test_routing_follows_gate_tier_and_vendor(policy):
    g = policy.gate_from("pilot")
    assert rules.required_groups(g, "low", False) == ["product", "security"]
    assert rules.required_groups(g, "high", True) == ["product", "security", "privacy", "legal", "risk",
                                                      "procurement"]
    first = policy.gate_from("exploration")
    assert rules.required_groups(first, "low", True) == ["product"]  # no vendor groups at this gate
    last = policy.gate_from("scale_decision")
    assert all(rules.required_groups(last, t, v) == ["leadership"] for t in ("low", "medium", "high")
               for v in (True, False))


def test_a_group_named_twice_is_asked_once(policy):
    g = policy.gate_from("pilot").model_copy(update={"with_vendor": ["security", "procurement"]})
    assert rules.required_groups(g, "low", True) == ["product", "security", "procurement"]


def test_deadlines_by_tier_and_paused_time(policy):
    assert [rules.due_at(policy, t, NOW) - NOW for t in ("low", "medium", "high")] == \
        [timedelta(days=3), timedelta(days=5), timedelta(days=10)]
    due = NOW + timedelta(days=3)
    assert rules.resume_due(due, NOW + timedelta(days=1), NOW + timedelta(days=3, hours=2)) == \
        due + timedelta(days=2, hours=2)
    assert rules.resume_due(due, None, NOW) == due
    assert rules.resume_due(due, NOW, NOW - timedelta(hours=1)) == due  # a clock that went backwards


@pytest.mark.parametrize("quorum", [1, 2, 3])
def test_group_closure_for_every_combination_of_three_members(quorum):
    choices = [None, rules.APPROVE, rules.APPROVE_WITH_CONDITIONS, rules.ESCALATE, rules.STOP]
    for combo in itertools.product(choices, repeat=3):
        votes = [Vote(i, d) for i, d in enumerate(combo) if d]
        got = rules.group_result(votes, quorum)
        approvals = sum(1 for d in combo if d in (rules.APPROVE, rules.APPROVE_WITH_CONDITIONS))
        if rules.STOP in combo:
            assert got == rules.STOPPED
        elif rules.ESCALATE in combo:
            assert got == rules.ESCALATED
        elif approvals >= quorum:
            cond = rules.APPROVE_WITH_CONDITIONS in combo
            assert got == (rules.APPROVED_WITH_CONDITIONS if cond else rules.APPROVED)
        else:
            assert got is None


def test_the_same_member_twice_counts_once():
    votes = [Vote(7, rules.APPROVE), Vote(7, rules.APPROVE)]
    assert rules.group_result(votes, 2) is None
    assert rules.group_result(votes + [Vote(8, rules.APPROVE)], 2) == rules.APPROVED
    assert rules.group_result([], 0) is None  # a quorum below one still needs one approval


def test_gate_result():
    assert rules.gate_result(["approved", "approved_with_conditions"]) == "passed"
    assert rules.gate_result(["approved", "pending"]) is None
    assert rules.gate_result(["approved", "info_requested"]) is None
    assert rules.gate_result(["approved", "stopped"]) == "stopped"
    assert rules.gate_result(["escalated", "approved", "approved"]) == "passed"  # the escalation decided
    assert rules.gate_result(["escalated", "pending"]) is None
    assert rules.gate_result(["cancelled", "approved"]) == "passed"
    assert rules.gate_result(["cancelled"]) is None and rules.gate_result([]) is None


def test_pilot_exit_date_from_the_target_timeline():
    assert rules.pilot_exit_date(NOW, "within_3_months") == date(2027, 1, 7)
    assert rules.pilot_exit_date(NOW, "3_to_6_months") == (NOW + timedelta(days=90)).date()
    assert rules.pilot_exit_date(NOW, "6_to_12_months") == (NOW + timedelta(days=120)).date()
    assert rules.pilot_exit_date(NOW, "over_12_months") == (NOW + timedelta(days=180)).date()
    assert rules.pilot_exit_date(NOW, "") == (NOW + timedelta(days=90)).date()


def test_decision_rights():
    members = ["Pat.Product@example.com", "pia.product@example.com"]
    involved = {"proposer": 1, "business owner": 2, "delivery owner": 3, "executive sponsor": None}
    ok = Clicker(person_id=9, email="pat.product@example.com")
    assert rules.decision_refusal(ok, members, "Product", involved) is None
    assert "another workspace" in rules.decision_refusal(Clicker(9, "pat.product@example.com", guest=True),
                                                         members, "Product", involved)
    assert "could not confirm your email" in rules.decision_refusal(Clicker(9, None), members, "Product", involved)
    assert "Only members of Product" in rules.decision_refusal(Clicker(9, "sam@example.com"), members, "Product",
                                                               involved)
    for pid, role in ((1, "proposer"), (2, "business owner"), (3, "delivery owner")):
        assert f"You are the {role}" in rules.decision_refusal(Clicker(pid, "pia.product@example.com"), members,
                                                                "Product", involved)


def test_the_tier_group(policy):
    assert rules.tier_group(policy) == "risk"
    groups = [g for g in policy.review.groups if g.key != "risk"]
    without = policy.model_copy(update={"review": policy.review.model_copy(update={"groups": groups})})
    assert rules.tier_group(without) == "leadership"
