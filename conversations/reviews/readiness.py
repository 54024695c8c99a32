"""The gate's readiness rules, re-checked on the latest scorecard whenever a gate is about to pass.

The rules were checked when the owners asked for the gate, but a re-score since then can lower readiness. An
approval (conversations/reviews/deciding.py) and a pass caused by re-routing the gate (a tier or EU AI Act
class change that drops the last open reviews, conversations/reviews/rerouting.py) both call `check`: neither
lets a weak, low, hard-gate-failing or unreviewed-at-1 use case through.
"""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from vocabulary.labels import uc_ref
from storage.repo import reviews
from conversations.stages import gate_facts
from storage.tables import UseCase
from vocabulary.rules.gates import check_gate, readiness_blockers, readiness_gate

APPROVAL_NEXT = ("Nothing was recorded. Ask the owners for more information (they can close the gaps and score "
                 "again), or stop it.")


async def blockers(acting: Ctx, gate_request_id: int, uc: UseCase):
    """(the policy's gate, the readiness rules the latest scorecard breaks, the facts) — the gate is None when
    the gate does not apply the readiness rules (or is not the use case's next gate)."""

    gr = await reviews.get_gate(acting.session, gate_request_id)
    gate = acting.policy.gate_from(gr.from_stage) if gr is not None and gr.from_stage == uc.stage else None
    if not readiness_gate(gate):
        return None, [], None
    facts = await gate_facts.gather(acting.session, acting.policy, uc)
    return gate, readiness_blockers(acting.policy, gate, facts), facts


def refusal_text(uc: UseCase, found, next_step: str = APPROVAL_NEXT, what: str = "") -> str:
    lines = "\n".join(f"• {m.what}" for m in found)
    return (f"{what}{uc_ref(uc)} cannot pass this gate now: its latest readiness scorecard does not meet the "
            f"readiness rules.\n{lines}\n{next_step}")


async def check(acting: Ctx, gate_request_id: int, uc: UseCase, *, next_step: str = APPROVAL_NEXT,
                what: str = ""):
    """The gate's check on the latest scorecard; refuses when the readiness rules block it.

    Returns None when the gate does not apply the readiness rules, otherwise the full `GateCheck` (its
    `needs_conditions` says a moderate band passes only with conditions).
    """

    gate, found, facts = await blockers(acting, gate_request_id, uc)
    if gate is None:
        return None
    if found:
        raise Refusal(refusal_text(uc, found, next_step, what))
    return check_gate(acting.policy, gate, facts)
