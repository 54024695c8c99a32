"""Regulation and frameworks as policy data: the built-in ones load; an organisation adds its own framework or
changes a date; `aiom policy check` refuses an unknown evidence key, naming the line of the file."""
from __future__ import annotations

import subprocess
from datetime import date

import pytest

from vocabulary.policy import PolicyError, default_policy, load_policy
from vocabulary.rules import ai_act
from tests.support.proc import AIOM, clean_env

ORG_FRAMEWORK = """\
organisation: Acme
frameworks:
  - key: acme-controls
    name: Acme AI controls
    controls:
      - key: ACME-1
        title: Owners named
        evidence: [owners.named]
      - key: ACME-2
        title: Security checked
        evidence:
          - readiness.security_readiness>=3
          - rollout.security_sign_off
eu_ai_act:
  dates:
    - {key: general, date: 2027-12-02, what: "Moved by a later amendment (example)."}
"""


def test_the_built_in_regulation_and_frameworks_load():
    p = default_policy()
    assert [f.key for f in p.frameworks] == ["eu-ai-act", "nist-ai-rmf", "iso-42001"]
    nist = p.framework("nist-ai-rmf")
    assert [c.key for c in nist.controls][:1] == ["GOVERN 1"]
    assert {c.key.split()[0] for c in nist.controls} == {"GOVERN", "MAP", "MEASURE", "MANAGE"}
    assert {d.key: d.date for d in p.eu_ai_act.dates}["prohibitions"] == date(2025, 2, 2)


def test_an_unknown_evidence_key_is_refused_with_the_line_named(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(ORG_FRAMEWORK)
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    (problem,) = err.value.problems
    assert problem.location == "acme.yaml line 13 (frameworks[acme-controls].controls[ACME-2].evidence[1])"
    assert "unknown rollout key 'security_sign_off'" in problem.message and "security_review" in problem.message
    r = subprocess.run([*AIOM, "policy", "check", str(path)], env=clean_env(), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2
    assert "acme.yaml line 13" in r.stdout and "rollout.security_sign_off" in r.stdout


def test_the_same_in_toml_names_the_line(tmp_path):
    path = tmp_path / "acme.toml"
    path.write_text('organisation = "Acme"\n\n[[frameworks]]\nkey = "acme"\nname = "Acme"\n\n'
                    '[[frameworks.controls]]\nkey = "A-1"\ntitle = "Scored"\n'
                    'evidence = ["readiness.no_such_area>=3"]\n')
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert err.value.problems[0].location.startswith("acme.toml line 10 ")


def test_an_organisation_framework_and_a_changed_date_are_taken(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(ORG_FRAMEWORK.replace("rollout.security_sign_off", "rollout.security_review"))
    p = load_policy(path)
    assert [f.key for f in p.frameworks][-1] == "acme-controls"
    assert {d.key: d.date for d in p.eu_ai_act.dates}["general"] == date(2027, 12, 2)


@pytest.mark.parametrize("bad,where", [
    ("eu_ai_act:\n  legal_group: lawyers\n", "eu_ai_act.legal_group"),
    ("eu_ai_act:\n  questions:\n    - {key: role, ask_when: [{answer: risk.nope, one_of: [x]}]}\n",
     "eu_ai_act.questions[3].ask_when[0].answer"),
    ("eu_ai_act:\n  obligations:\n    - {key: deployer_logs, before_leaving: ongoing_operation}\n",
     "eu_ai_act.obligations[4].before_leaving"),
])
def test_bad_references_in_the_act_section_are_named(tmp_path, bad, where):
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert where in [p.location for p in err.value.problems]


# -- the classification rule, over plain data ---------------------------------------------------------------
ACT = default_policy().eu_ai_act
PEOPLE = {"data_sensitivity": "personal", "audience": "internal", "decision_impact": "recommends"}


@pytest.mark.parametrize("risk,answers,expect", [
    ({"data_sensitivity": "public", "audience": "internal"}, {}, ("minimal", "")),
    (PEOPLE, {"prohibited": "none", "high_risk_area": "none"}, ("minimal", "")),
    (PEOPLE, {"prohibited": "social_scoring", "high_risk_area": "employment"}, ("prohibited", "")),
    (PEOPLE, {"prohibited": "none", "high_risk_area": "essential_services", "transparency": "chats",
              "role": "provider", "gpai": "no"}, ("high_risk", "provider")),
    ({"audience": "external"}, {"transparency": "generates", "role": "both"}, ("transparency", "both")),
])
def test_classification(risk, answers, expect):
    result = ai_act.classify(ACT, risk, answers)
    assert (result.classification, result.role) == expect


def test_a_question_not_asked_does_not_count():
    # answers left over from an earlier path (staff-only, public data) are ignored
    result = ai_act.classify(ACT, {"data_sensitivity": "public"}, {"prohibited": "social_scoring"})
    assert result.classification == "minimal" and result.answers == {}


def test_obligations_follow_class_role_and_conditions():
    hr = ai_act.classify(ACT, PEOPLE, {"prohibited": "none", "high_risk_area": "critical_infrastructure",
                                       "transparency": "none", "role": "deployer"})
    keys = [o.key for o in ai_act.obligations_for(ACT, hr)]
    assert "deployer_fria" not in keys and "deployer_inform_workers" not in keys and "deployer_logs" in keys
    both = ai_act.classify(ACT, PEOPLE, {"prohibited": "none", "high_risk_area": "employment",
                                         "transparency": "chats", "role": "both", "gpai": "yes"})
    keys = [o.key for o in ai_act.obligations_for(ACT, both)]
    assert {"deployer_fria", "provider_conformity", "tell_people_ai", "gpai_copyright"} <= set(keys)
