"""Before a tier or EU AI Act class change re-routes a pending gate: would it pass the gate, and may it?

Re-routing cancels the open reviews of groups the new tier (or class) no longer needs. When what is left is all
approvals, the gate would pass there and then, without anyone approving it now. Such a pass is checked exactly
as an approval is (conversations/reviews/readiness.py, the same function): if the latest scorecard breaks the
gate's readiness rules, or a moderate band has no approval with conditions, the change is refused before
anything is written, the refusal is audited (`gate.reroute_held`), and the reply names the failing rules.
"""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from vocabulary.labels import group_name, stage_label, uc_ref
from vocabulary.rules.ai_act import extra_groups
from conversations.reviews import readiness, rules
from storage.repo import reviews
from storage.tables import UseCase

NEXT_STEP = ("Nothing was recorded: {what} is unchanged and the gate stays open. The owners can close the gaps and "
             "score again; then make the change again.")
CONDITIONS = ("Readiness is in a band that passes this gate only with conditions, and none of the groups left "
              "approved it with conditions.")


async def would_pass(acting: Ctx, uc: UseCase, tier: str, ai_act_class: str | None):
    """(the pending gate request, the groups whose open reviews would be cancelled) when re-routing to `tier` /
    `ai_act_class` would pass the pending gate at once; None otherwise."""
    gr = await reviews.pending_gate(acting.session, uc.id)
    gate = acting.policy.gate_from(gr.from_stage) if gr is not None else None
    if gate is None:
        return None
    wanted = rules.required_groups(gate, tier, uc.vendor_involved, extra_groups(acting.policy.eu_ai_act,
                                                                                 ai_act_class))
    rows = await reviews.for_gate(acting.session, gr.id)
    if any(g not in {r.group_key for r in rows if r.level == 0} for g in wanted):
        return None  # a new review opens: nothing passes now
    dropped = [r for r in rows if r.level == 0 and r.group_key not in wanted and r.status in rules.OPEN]
    if not dropped:
        return None
    after = [rules.CANCELLED if r in dropped else r.status for r in rows]
    if rules.gate_result(after) != "passed":
        return None
    return gr, [r.group_key for r in dropped], [r for r in rows if r not in dropped]


async def refuse_unready_pass(acting: Ctx, uc: UseCase, *, tier: str, ai_act_class: str | None,
                              doing: str, unchanged: str, trigger: str) -> None:
    """Refuse (audited) a change that would pass the pending gate while its readiness rules block it.

    `doing` says what the change is ("Accepting the low risk tier"), `unchanged` what stays as it was.
    """
    found = await would_pass(acting, uc, tier, ai_act_class)
    if found is None:
        return
    gr, dropped, left = found

    named = [group_name(acting.policy, g) for g in dropped]
    names = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    move = f"{stage_label(acting.policy, gr.from_stage)} → {stage_label(acting.policy, gr.to_stage)}"
    what = (f"{doing} would cancel the open review{'s' if len(dropped) != 1 else ''} of {names}, and with the "
            f"remaining groups all approved, {uc_ref(uc)}'s gate {move} would pass now. ")
    next_step = NEXT_STEP.format(what=unchanged)
    try:
        check = await readiness.check(acting, gr.id, uc, next_step=next_step, what=what)
        if check is not None and check.needs_conditions and \
                not any(r.status == rules.APPROVED_WITH_CONDITIONS for r in left):
            raise Refusal(f"{what}{uc_ref(uc)} cannot pass this gate now: {CONDITIONS}\n{next_step}")
    except Refusal:
        _gate, blockers, _facts = await readiness.blockers(acting, gr.id, uc)
        await acting.audit("gate.reroute_held", entity="gate_request", entity_id=gr.id, use_case_id=uc.id,
                           data={"from": gr.from_stage, "to": gr.to_stage, "trigger": trigger, "tier": tier,
                                 "ai_act_class": ai_act_class, "would_cancel": dropped,
                                 "rules": [m.what for m in blockers] or [CONDITIONS]})
        raise
