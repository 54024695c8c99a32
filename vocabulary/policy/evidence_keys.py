"""The evidence keys a policy's framework controls may name (`frameworks[].controls[].evidence`): their grammar,
checked when the policy loads. What each key means for a use case is in `vocabulary/rules/evidence.py`."""
from __future__ import annotations

import re

SCORE = re.compile(r"^(readiness|pilot_selection)\.([a-z0-9_]+)>=(\d+)$")
KEYED = re.compile(r"^(risk|rollout|vendor|gate|kpis|obligation)\.([a-z0-9_]+)$")
FIXED = {"incidents.process", "ai_act.classified", "ai_act.not_prohibited", "owners.named",
         "risk_register.reviewed"}


def key_problem(policy, key: str) -> str | None:
    """Why `key` is not an evidence key `policy` (a `Policy`, being validated) can check, or None when it is."""
    if not isinstance(key, str):
        return f"an evidence key must be text, not {key!r}"
    key = key.replace(" ", "")
    if key in FIXED:
        return None
    m = SCORE.match(key)
    if m:
        inst = getattr(policy, m.group(1))
        if m.group(2) not in {i.key for i in inst.items}:
            return f"unknown {inst.name.lower()} item {m.group(2)!r} in evidence key {key!r}"
        if not inst.scale_min <= int(m.group(3)) <= inst.scale_max:
            return f"{key!r}: the minimum score must lie within {inst.scale_min}-{inst.scale_max}"
        return None
    m = KEYED.match(key)
    if not m:
        return (f"unknown evidence key {key!r} (known kinds: readiness.<area>>=<n>, pilot_selection.<item>>=<n>, "
                "risk.<area>, rollout.<checkpoint>, vendor.<item>, gate.<stage>, kpis.defined, kpis.<layer>, "
                "obligation.<key>, " + ", ".join(sorted(FIXED)) + ")")
    kind, name = m.groups()
    known = {
        "risk": [a.key for a in policy.risk_register.areas],
        "rollout": [i.key for i in policy.rollout_checklist.items],
        "vendor": [i.key for i in policy.vendor_checklist.items],
        "gate": [g.from_stage for g in policy.gates],
        "kpis": ["defined", *(layer.key for layer in policy.kpis.layers)],
        "obligation": [o.key for o in policy.eu_ai_act.obligations] if policy.eu_ai_act else [],
    }[kind]
    if name not in known:
        return f"unknown {kind} key {name!r} in evidence key {key!r} (known: {', '.join(known) or 'none'})"
    return None
