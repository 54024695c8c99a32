"""Policy checks for the regulation and framework sections: group, stage and question references, and every
framework evidence key. Each problem carries its own location; framework problems name the framework and the
control by key (the loader adds the line of the organisation's file, see lines.py)."""
from __future__ import annotations

from vocabulary.policy.evidence_keys import key_problem
from vocabulary.policy.problems import PolicyReferenceError
from vocabulary.policy.regulation import CLASSES


def framework_location(fw_key: str, control_key: str, i: int) -> str:
    return f"frameworks[{fw_key}].controls[{control_key}].evidence[{i}]"


def check_regulation(policy) -> None:
    """The regulation and framework sections of `policy`, the `Policy` being validated (its validator runs this)."""
    problems: list[tuple[str, str]] = []
    add = lambda loc, msg: problems.append((loc, msg))  # noqa: E731
    groups = {g.key for g in policy.review.groups}
    act = policy.eu_ai_act
    if act is not None:
        for where, key in (("eu_ai_act.legal_group", act.legal_group), ("eu_ai_act.change_group", act.change_group),
                           *((f"eu_ai_act.high_risk_groups[{j}]", k) for j, k in enumerate(act.high_risk_groups))):
            if key not in groups:
                add(where, f"unknown review group {key!r} (known: {', '.join(sorted(groups))})")
        risk_qs = {q.key: {o.key for o in q.options} for q in policy.intake.risk_questions}
        earlier: dict[str, set[str]] = {}
        seen: set[str] = set()
        for i, q in enumerate(act.questions):
            if q.key in seen:
                add(f"eu_ai_act.questions[{i}].key", f"duplicate key {q.key!r}")
            seen.add(q.key)
            if not q.ask_when:
                add(f"eu_ai_act.questions[{i}].ask_when", "needs at least one condition (questions appear only "
                                                           "when relevant)")
            _conditions(add, f"eu_ai_act.questions[{i}].ask_when", q.ask_when, risk_qs, earlier)
            for j, o in enumerate(q.options):
                if o.applies_from and act.date(o.applies_from) is None:
                    add(f"eu_ai_act.questions[{i}].options[{j}].applies_from",
                        f"unknown date {o.applies_from!r} (known: {', '.join(d.key for d in act.dates)})")
            earlier[q.key] = {o.key for o in q.options}
        stages_with_gate = [g.from_stage for g in policy.gates]
        for i, ob in enumerate(act.obligations):
            if ob.before_leaving not in stages_with_gate:
                add(f"eu_ai_act.obligations[{i}].before_leaving",
                    f"unknown stage {ob.before_leaving!r} (a stage with a gate out of it: "
                    f"{', '.join(stages_with_gate)})")
            _conditions(add, f"eu_ai_act.obligations[{i}].only_when", ob.only_when, risk_qs, earlier)
    seen_fw: set[str] = set()
    for i, fw in enumerate(policy.frameworks):
        if fw.key in seen_fw:
            add(f"frameworks[{i}].key", f"duplicate key {fw.key!r}")
        seen_fw.add(fw.key)
        seen_c: set[str] = set()
        for j, c in enumerate(fw.controls):
            if c.key in seen_c:
                add(f"frameworks[{fw.key}].controls[{c.key}]", f"duplicate control key {c.key!r}")
            seen_c.add(c.key)
            if not c.evidence:
                add(f"frameworks[{fw.key}].controls[{c.key}].evidence", "needs at least one evidence key")
            for k, ev in enumerate(c.evidence):
                why = key_problem(policy, ev)
                if why:
                    add(framework_location(fw.key, c.key, k), why)
    if problems:
        raise PolicyReferenceError(problems)


def _conditions(add, where: str, conditions, risk_qs: dict[str, set[str]], earlier: dict[str, set[str]]) -> None:
    for j, c in enumerate(conditions):
        kind, _, name = c.answer.partition(".")
        if kind == "risk" and name in risk_qs:
            known = risk_qs[name]
        elif kind == "ai_act" and name == "class":
            known = set(CLASSES)
        elif kind == "ai_act" and name in earlier:
            known = earlier[name]
        else:
            add(f"{where}[{j}].answer", f"unknown answer {c.answer!r} (use risk.<intake risk question>, "
                                        "ai_act.<an earlier AI Act question> or ai_act.class)")
            continue
        for v in c.one_of:
            if v not in known:
                add(f"{where}[{j}].one_of", f"{c.answer} has no answer {v!r} (known: {', '.join(sorted(known))})")
