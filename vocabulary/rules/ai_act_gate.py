"""The EU AI Act precondition of every gate (key `ai_act_clear`), kept apart from the policy's `requires`.

When the policy has an `eu_ai_act` section, every gate also needs:
- the use case is not classified as a prohibited practice (it cannot move at all), and
- every EU AI Act obligation due before leaving this stage (or an earlier one) is closed with evidence.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vocabulary.rules.gate_facts import GateFacts, Missing

if TYPE_CHECKING:  # pragma: no cover
    from vocabulary.policy import Gate, Policy

KEY = "ai_act_clear"


def ai_act_missing(policy: "Policy", gate: "Gate", f: GateFacts) -> Missing | None:
    act = policy.eu_ai_act
    if act is None:
        return None
    ref = f"UC-{f.use_case_id}" if f.use_case_id is not None else "the use case"
    if f.ai_act_class == "prohibited":
        return Missing(KEY, f"It is classified as a prohibited practice under the {act.name}, so it cannot move on.",
                       f"The {_group(policy, act.legal_group)} group reviews it. Only the "
                       f"{_group(policy, act.change_group)} group can change the classification, with a reason: "
                       f"classify {ref} <classification> because <reason>")
    stages = policy.stage_keys
    here = stages.index(gate.from_stage) if gate.from_stage in stages else len(stages)
    due = [o for o in f.open_obligations
           if (stages.index(o.before_leaving) if o.before_leaving in stages else 0) <= here]
    if not due:
        return None
    shown = "; ".join(f"{o.title} ({o.articles}; owner {o.owner})" if o.articles else f"{o.title} (owner {o.owner})"
                      for o in due[:6])
    more = f" and {len(due) - 6} more" if len(due) > 6 else ""
    n = len(due)
    return Missing(KEY, f"{n} {act.name} obligation{'s are' if n != 1 else ' is'} still open: {shown}{more}.",
                   f"Each owner closes theirs with a note of the evidence: obligations {ref}")


def _group(policy: "Policy", key: str) -> str:
    try:
        return policy.review.group(key).name
    except KeyError:
        return key
