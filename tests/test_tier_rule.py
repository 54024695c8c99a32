"""The risk tier from the intake risk answers (vocabulary/rules/tier.py), at every boundary of the default
policy's rule, and the reasons the proposer is shown."""
from __future__ import annotations

import pytest

from vocabulary.policy import default_policy
from vocabulary.rules.tier import tier_for
from tests.support.harness import Harness
from tests.test_intake import answer_all

INTAKE = default_policy().intake
LOW = {"data_sensitivity": "internal", "audience": "internal", "decision_impact": "assists", "vendor": "none",
       "regulated": "no", "scale": "one_team"}
QUESTION = {q.key: q.question for q in INTAKE.risk_questions}
LABEL = {(q.key, o.key): o.label for q in INTAKE.risk_questions for o in q.options}


def answers(**changes: str) -> dict[str, str]:
    return {**LOW, **changes}


def reasons(*pairs: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((QUESTION[q], LABEL[(q, a)]) for q, a in pairs)


@pytest.mark.parametrize("changes,tier", [
    ({}, "low"),
    ({"data_sensitivity": "public", "vendor": "approved_vendor", "scale": "department"}, "low"),
    ({"data_sensitivity": "personal"}, "medium"),
    ({"audience": "external"}, "medium"),
    ({"decision_impact": "recommends"}, "medium"),
    ({"vendor": "new_vendor"}, "medium"),
    ({"scale": "organisation"}, "medium"),
    ({"data_sensitivity": "special_category"}, "high"),
    ({"decision_impact": "decides"}, "high"),
    ({"regulated": "yes"}, "high"),
])
def test_the_highest_answer_sets_the_tier(changes, tier):
    assert tier_for(INTAKE, answers(**changes)).tier == tier


def test_two_medium_answers_stay_medium_three_escalate_to_high():
    two = tier_for(INTAKE, answers(data_sensitivity="personal", audience="external"))
    assert (two.tier, two.escalated) == ("medium", False)
    assert two.reasons == reasons(("data_sensitivity", "personal"), ("audience", "external"))
    three = tier_for(INTAKE, answers(data_sensitivity="personal", audience="external", vendor="new_vendor"))
    assert (three.tier, three.escalated) == ("high", True)
    assert three.reasons == reasons(("data_sensitivity", "personal"), ("audience", "external"),
                                    ("vendor", "new_vendor"))


def test_a_high_answer_with_medium_ones_is_high_without_escalation_and_only_the_high_answer_is_the_reason():
    r = tier_for(INTAKE, answers(regulated="yes", audience="external", vendor="new_vendor"))
    assert (r.tier, r.escalated) == ("high", False)
    assert r.reasons == reasons(("regulated", "yes"))


def test_with_escalation_every_medium_or_high_answer_is_a_reason():
    r = tier_for(INTAKE, answers(data_sensitivity="confidential", audience="external", scale="organisation",
                                 decision_impact="recommends"))
    assert (r.tier, r.escalated) == ("high", True)
    assert len(r.reasons) == 4


def test_low_has_no_reasons_and_unknown_answers_count_as_low():
    assert tier_for(INTAKE, LOW).reasons == ()
    r = tier_for(INTAKE, {"data_sensitivity": "no-such-option", "regulated": "maybe"})
    assert (r.tier, r.reasons) == ("low", ())


def test_the_escalation_count_comes_from_the_policy():
    lenient = INTAKE.model_copy(update={"tier_rule": INTAKE.tier_rule.model_copy(update={
        "escalations": [INTAKE.tier_rule.escalations[0].model_copy(update={"count": 4})]})})
    three = answers(data_sensitivity="personal", audience="external", vendor="new_vendor")
    assert tier_for(lenient, three).tier == "medium"
    assert tier_for(lenient, {**three, "scale": "organisation"}).tier == "high"


# -- what the proposer is told ------------------------------------------------------------------------
# Risk questions in policy order: data sensitivity, audience, decision impact, vendor, regulated, scale; then the
# EU AI Act questions these answers make relevant, each answered "None of these" (1).
@pytest.mark.parametrize("picks,expected", [
    (["1", "1", "1", "1", "1", "1"], "LOW risk because none of your answers raised it"),
    (["4", "1", "1", "1", "1", "1", "1", "1"],
     "MEDIUM risk because of: “What is the most sensitive data it would use?” → Personal data about people."),
    (["4", "2", "1", "1", "1", "1", "1", "1", "1"],
     "MEDIUM risk because of: “What is the most sensitive data it would use?” → Personal data about people; "
     "“Who sees what it produces?” → Customers or the public."),
    (["4", "2", "1", "3", "Acme AI", "1", "1", "1", "1", "1"],
     "HIGH risk because of (several medium-risk answers together): “What is the most sensitive data it would "
     "use?” → Personal data about people; “Who sees what it produces?” → Customers or the public; “Does it rely "
     "on an outside supplier or model provider?” → A new supplier or model provider."),
    (["1", "1", "3", "1", "1", "1", "1", "1"],
     "HIGH risk because of: “How much does it decide on its own?” → It decides automatically about people, money "
     "or safety."),
])
async def test_the_proposer_is_told_the_tier_and_the_answers_that_drove_it(harness: Harness, picks, expected):
    zoe = harness.person("zoe@example.com")
    seen = await answer_all(zoe, picks=picks)
    assert expected in " ".join(seen.text.split())
    seen = await zoe.click("That tier is right")
    tier = expected.split(" ", 1)[0].lower()
    assert f"Risk tier: {tier}" in " ".join(seen.text.split())
