"""The policy: the built-in default reproduces the seed frameworks; organisation
files merge over it; broken files give located problems."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from vocabulary.policy import (
    Policy,
    PolicyError,
    Problem,
    check_policy_file,
    default_policy,
    load_policy,
    policy_from_data,
)

FILES = Path(__file__).parent / "policy_files"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def names(items) -> list[str]:
    return [i.name for i in items]


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.problems == check_policy_file(path)
    return info.value.problems


def locations(problems: list[Problem]) -> list[str]:
    return [p.location for p in problems]


# --------------------------------------------------------------- the default

def test_default_is_cached_and_is_what_load_none_gives():
    assert isinstance(default_policy(), Policy)
    assert default_policy() is default_policy() is load_policy(None)
    assert default_policy().organisation == "Default organisation"


def test_stages_in_order():
    p = default_policy()
    assert p.stage_keys == ["exploration", "pilot", "controlled_rollout", "scale_decision", "ongoing_operation"]
    assert all(s.label and s.proves and s.move_on_when and s.decided_by for s in p.stages)


def test_pilot_selection_criteria():
    ps = default_policy().pilot_selection
    assert names(ps.items) == [
        "Business problem", "Strategic relevance", "Value potential", "Workflow fit",
        "User needs and adoption", "Data readiness", "Technical feasibility", "Risk exposure",
        "Ownership", "Decision path", "Delivery capacity", "Path to production"]
    assert (ps.scale_min, ps.scale_max) == (1, 3)
    assert (ps.total_min, ps.total_max) == (12, 36)
    assert ps.strong_above == 30
    assert sorted(ps.scale_labels) == [1, 2, 3]
    assert all(i.question and i.low_looks_like and i.good_looks_like for i in ps.items)


def test_readiness_scorecard_areas_scale_and_hard_gates():
    rd = default_policy().readiness
    assert names(rd.items) == [
        "Problem clarity", "Strategic relevance", "Value case", "Success criteria", "Ownership",
        "Decision rights", "User workflow fit", "User adoption readiness", "Data readiness",
        "Technical feasibility", "Security readiness", "Privacy and legal readiness", "Model risk",
        "Operational controls", "Vendor readiness", "Delivery capacity", "Production readiness",
        "Executive visibility"]
    assert (rd.scale_min, rd.scale_max, rd.total_min, rd.total_max) == (1, 5, 18, 90)
    assert rd.scale_labels == {1: "Not in place", 2: "Major gaps", 3: "Partially ready",
                               4: "Mostly ready", 5: "Ready with confidence"}
    assert sorted(rd.hard_gate_keys) == sorted(
        ["ownership", "success_criteria", "security_readiness", "privacy_legal_readiness", "production_readiness"])
    assert rd.hard_gate_min == 3 and rd.explicit_review_at == 1
    assert rd.item("privacy_legal_readiness").name == "Privacy and legal readiness"
    assert all(i.question and i.low_looks_like and i.good_looks_like for i in rd.items)


def test_readiness_bands_exactly():
    rd = default_policy().readiness
    assert [(b.key, b.min_total, b.max_total) for b in rd.bands] == [
        ("strong", 75, 90), ("moderate", 55, 74), ("weak", 35, 54), ("low", 18, 34)]
    assert rd.gate_min_band == "moderate" and rd.conditional_bands == ["moderate"]
    assert all(b.action for b in rd.bands)


def test_risk_register_areas_and_owner_roles():
    rr = default_policy().risk_register
    assert [(a.name, a.owner_role) for a in rr.areas] == [
        ("Data privacy", "Security/Privacy"), ("Security exposure", "Security"),
        ("Output reliability", "Product/Delivery"), ("Bias and fairness", "Product/Risk/Legal"),
        ("Legal or regulatory exposure", "Legal/Compliance"), ("Vendor dependency", "Procurement/Architecture"),
        ("Integration failure", "Engineering/Delivery"), ("Ownership ambiguity", "Executive sponsor"),
        ("Monitoring gap", "Operations/Delivery"), ("Low adoption or misuse", "Product/Change lead"),
        ("Cost creep", "Product/Finance"), ("Reputation risk", "Communications/Product/Risk")]
    assert [c.key for c in rr.likelihood] == [c.key for c in rr.impact] == ["low", "medium", "high"]
    assert [c.key for c in rr.statuses] == ["open", "mitigating", "accepted", "closed"]
    assert all(a.looks_like and a.why_it_matters and a.good_control for a in rr.areas)


def test_rollout_and_vendor_checklists():
    p = default_policy()
    assert names(p.rollout_checklist.items) == [
        "Problem definition", "Ownership", "Success criteria", "Workflow fit", "Security review",
        "Privacy and legal review", "Data readiness", "Reliability threshold", "Human oversight",
        "Monitoring", "Incident response", "Rollback readiness", "Support model", "Executive visibility"]
    assert names(p.vendor_checklist.items) == [
        "Use-case fit", "Workflow integration", "Data handling", "Security posture", "Privacy and compliance",
        "Model reliability", "Human oversight", "Implementation effort", "Vendor maturity",
        "Commercial model", "Interoperability and lock-in", "Monitoring and support"]


def test_gates_follow_the_stages():
    p = default_policy()
    assert [(g.from_stage, g.to_stage) for g in p.gates] == list(zip(p.stage_keys, p.stage_keys[1:]))
    assert p.gate_from("exploration").requires == [
        "problem_stated", "outcome_stated", "owners_named", "pilot_selection_scored", "risk_register_started"]
    assert p.gate_from("pilot").groups["high"] == ["product", "security", "privacy", "legal", "risk"]
    assert p.gate_from("pilot").with_vendor == ["procurement"]
    assert p.gate_from("scale_decision").groups == {t: ["leadership"] for t in ("low", "medium", "high")}
    assert p.gate_from("ongoing_operation") is None


def test_intake_review_and_schedules_defaults():
    p = default_policy()
    assert [q.key for q in p.intake.risk_questions] == [
        "data_sensitivity", "audience", "decision_impact", "vendor", "regulated", "scale"]
    regulated = {o.key: o.tier for o in p.intake.risk_questions[4].options}
    assert regulated == {"no": "low", "yes": "high"}  # quoted: YAML would read them as booleans
    assert [(e.at, e.count, e.becomes) for e in p.intake.tier_rule.escalations] == [("medium", 3, "high")]
    assert [g.key for g in p.review.groups] == [
        "product", "security", "privacy", "legal", "procurement", "risk", "leadership"]
    assert all(g.escalates_to == "leadership" for g in p.review.groups[:-1])
    assert p.review.group("leadership").escalates_to is None
    assert p.review.deadline_days == {"low": 3, "medium": 5, "high": 10}
    assert [(d.key, d.cron) for d in p.digests] == [
        ("weekly", "0 8 * * mon"), ("monthly", "0 8 1 * *"), ("quarterly", "0 8 1 1,4,7,10 *")]
    assert [(k.key, k.default_cadence) for k in p.kpis.layers] == [
        ("business_outcome", "monthly"), ("model_quality", "weekly"), ("operational_health", "daily")]
    assert [(s.key, s.ack_within_minutes) for s in p.incidents.severities] == [
        ("sev1", 60), ("sev2", 240), ("sev3", None)]
    assert [a.key for a in p.incidents.rollback_actions] == ["pause", "limit", "reverse"]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed articles not available")
def test_default_wording_is_our_own():
    words = lambda text: re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))  # noqa: E731
    seed = words(" ".join(f.read_text() for f in SEEDS.glob("*.txt")))
    grams = {tuple(seed[i:i + 6]) for i in range(len(seed) - 5)}
    p = default_policy()
    texts = [t for inst in (p.pilot_selection, p.readiness, p.rollout_checklist, p.vendor_checklist)
             for i in inst.items for t in (i.question, i.low_looks_like, i.good_looks_like)]
    texts += [t for a in p.risk_register.areas for t in (a.looks_like, a.why_it_matters, a.good_control)]
    texts += [t for s in p.stages for t in (s.proves, s.move_on_when)] + [b.action for b in p.readiness.bands]
    copied = [t for t in texts if any(tuple(w[i:i + 6]) in grams for w in [words(t)] for i in range(len(w) - 5))]
    assert copied == []


# --------------------------------------------------------------- merging

@pytest.mark.parametrize("name", ["override.yaml", "override.toml"])
def test_override_changes_one_value_and_keeps_the_rest(name):
    p = load_policy(FILES / name)
    assert p.review.deadline_days == {"low": 3, "medium": 5, "high": 7}
    d = default_policy()
    assert p.model_dump(exclude={"review"}) == d.model_dump(exclude={"review"})
    assert p.review.groups == d.review.groups
    assert check_policy_file(str(FILES / name)) == []


@pytest.mark.parametrize("name", ["by_key.yaml", "by_key.toml"])
def test_lists_of_keyed_entries_merge_by_key(name):
    p = load_policy(FILES / name)
    security = p.review.group("security")
    assert security.quorum == 2 and security.members == ["alice@example.com", "bob@example.com"]
    assert security.name == "Security" and security.escalates_to == "leadership"  # untouched fields kept
    assert [g.key for g in p.review.groups][-2:] == ["leadership", "ethics"]  # appended
    assert p.review.group("ethics").quorum == 1
    assert [d.key for d in p.digests] == ["weekly", "monthly"]  # removed


def test_by_key_update_of_a_nested_item_keeps_order_and_other_fields():
    p = load_policy(FILES / "by_key.yaml")
    d = default_policy()
    assert [i.key for i in p.readiness.items] == [i.key for i in d.readiness.items]
    model_risk = p.readiness.item("model_risk")
    assert model_risk.question == "Do we know how the model fails?"
    assert model_risk.low_looks_like == d.readiness.item("model_risk").low_looks_like


def test_toml_string_keys_address_integer_keys():
    labels = load_policy(FILES / "by_key.toml").readiness.scale_labels
    assert labels[1] == "Absent" and labels[5] == "Ready with confidence" and len(labels) == 5


def test_plain_lists_replace_wholesale():
    p = policy_from_data({"export_groups": ["risk"], "intake": {"tier_rule": {"escalations": []}}})
    assert p.export_groups == ["risk"] and p.intake.tier_rule.escalations == []


def test_empty_file_is_the_default(tmp_path):
    f = tmp_path / "empty.yaml"
    f.write_text("# nothing yet\n")
    assert load_policy(f) == default_policy()


# --------------------------------------------------------------- broken files

def test_yaml_syntax_error_names_the_line():
    [problem] = problems_of(FILES / "syntax_error.yaml")
    assert problem.location == "syntax_error.yaml line 4"
    assert "YAML" in problem.message


def test_toml_syntax_error_names_the_line():
    [problem] = problems_of(FILES / "syntax_error.toml")
    assert problem.location == "syntax_error.toml line 3"
    assert "TOML" in problem.message


def test_wrong_type_is_located_on_the_merged_document():
    [problem] = problems_of(FILES / "wrong_type.yaml")
    assert problem.location == "review.groups[3].quorum"
    assert "integer" in problem.message and "'legal'" in problem.message


def test_unknown_field_says_which_and_where():
    [problem] = problems_of(FILES / "unknown_field.yaml")
    assert problem.location == "review.groups[2].qorum"
    assert "unknown field 'qorum'" in problem.message and "review.groups[2]" in problem.message
    assert "did you mean 'quorum'" in problem.message


def test_unknown_top_level_section():
    with pytest.raises(PolicyError) as info:
        policy_from_data({"reviews": {}})
    [problem] = info.value.problems
    assert problem.location == "reviews" and "did you mean 'review'" in problem.message


def test_unknown_group_references_are_each_located():
    problems = problems_of(FILES / "unknown_group.yaml")
    assert locations(problems) == ["review.groups[5].escalates_to", "incidents.rollback_groups[1]"]
    assert "'board'" in problems[0].message and "'ops'" in problems[1].message


def test_bands_with_a_gap():
    [problem] = problems_of(FILES / "band_gap.yaml")
    assert problem.location == "readiness.bands[2]"
    assert "35" in problem.message and "gaps" in problem.message


def test_removing_an_unknown_key():
    [problem] = problems_of(FILES / "remove_missing.yaml")
    assert problem.location == "stages[0]" and "'incubation'" in problem.message


def test_every_problem_is_reported_on_its_own_line():
    bad = {"review": {"groups": [{"key": "legal", "quorum": "two"}, {"key": "privacy", "colour": "red"}]},
           "reminders": {"timezone": "Mars/Olympus", "sweep_cron": "every minute"}}
    with pytest.raises(PolicyError) as info:
        policy_from_data(bad, source="bad.yaml")
    assert sorted(locations(info.value.problems)) == [
        "reminders.sweep_cron", "reminders.timezone", "review.groups[2].colour", "review.groups[3].quorum"]
    lines = str(info.value).splitlines()
    assert "4 problems" in lines[0] and "bad.yaml" in lines[0]
    assert len(lines) == 5 and all(str(p) in str(info.value) for p in info.value.problems)


def test_unquoted_yes_no_gets_a_hint(tmp_path):
    f = tmp_path / "bool.yaml"
    f.write_text("intake:\n  risk_questions:\n    - key: regulated\n      options:\n"
                 "        - {key: maybe, label: no, tier: medium}\n")
    [problem] = problems_of(f)
    assert problem.location == "intake.risk_questions[4].options[2].label"
    assert "quotes" in problem.message


def test_duplicate_yaml_key_is_a_syntax_problem(tmp_path):
    f = tmp_path / "dup.yaml"
    f.write_text("organisation: A\norganisation: B\n")
    [problem] = problems_of(f)
    assert problem.location == "dup.yaml line 2" and "duplicate key 'organisation'" in problem.message


def test_entry_without_key_in_a_keyed_list(tmp_path):
    f = tmp_path / "nokey.yaml"
    f.write_text("stages:\n  - label: Somewhere\n")
    [problem] = problems_of(f)
    assert problem.location == "stages[0]" and "'key'" in problem.message


def test_cross_reference_checks_after_merge():
    # Removing a group the default gates still name is caught, each use located.
    with pytest.raises(PolicyError) as info:
        policy_from_data({"review": {"groups": [{"key": "procurement", "remove": True}]}})
    assert locations(info.value.problems) == ["gates[1].with_vendor[0]", "gates[2].with_vendor[0]"]


def test_missing_file_is_one_problem(tmp_path):
    missing = tmp_path / "nope.yaml"
    [problem] = check_policy_file(missing)
    assert problem.location == str(missing) and "no such file" in problem.message
    with pytest.raises(PolicyError):
        load_policy(missing)


@pytest.mark.parametrize("name,content,needle", [
    ("policy.json", "{}", "unsupported file type"),
    ("list.yaml", "- a\n- b\n", "must be a mapping"),
])
def test_other_unusable_files(tmp_path, name, content, needle):
    f = tmp_path / name
    f.write_text(content)
    [problem] = check_policy_file(f)
    assert needle in problem.message
