"""The risk reviewers decide a requested tier change; an accepted tier re-routes the pending gate."""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from vocabulary.labels import uc_ref
from vocabulary.messages import Button, Buttons, Message, Text
from conversations.reviews import gating, lifecycle, reroute_check, rules
from storage.repo import reviews, use_cases
from vocabulary.states import LIVE_USE_CASE, TierOverride


async def decide_tier(acting: Ctx, use_case_id: int, accept: bool, clicker: rules.Clicker) -> str:
    uc = await reviews.lock_use_case(acting.session, use_case_id)
    if uc is None:
        raise Refusal("I could not find that use case any more.")
    group = acting.policy.review.group(rules.tier_group(acting.policy))
    why = rules.decision_refusal(clicker, group.members, group.name, rules.involved_roles(uc))
    if why:
        raise Refusal(why)
    if uc.tier_override_status != TierOverride.PENDING or not uc.tier_requested:
        raise Refusal(f"The tier of {uc_ref(uc)} was already decided ({uc.tier_override_status}); nothing changed.")
    if uc.status not in LIVE_USE_CASE:
        raise Refusal(f"{uc_ref(uc)} was {uc.status}, so its tier no longer matters.")
    before = uc.effective_tier
    status = TierOverride.ACCEPTED if accept else TierOverride.REJECTED
    if accept and uc.tier_requested != before:
        await reroute_check.refuse_unready_pass(
            acting, uc, tier=uc.tier_requested, ai_act_class=uc.ai_act_class, trigger="tier",
            doing=f"Accepting the requested {uc.tier_requested} risk tier", unchanged="the tier request")
    await use_cases.update_fields(acting.session, uc.id, bump_version=False, tier_override_status=status)
    await acting.session.refresh(uc)
    await acting.audit("use_case.tier_override_decided", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                       data={"requested": uc.tier_requested, "computed": uc.risk_tier, "decision": status,
                             "effective_before": before, "effective_after": uc.effective_tier})
    changed = await gating.reroute(acting, uc) if uc.effective_tier != before else []
    await acting.update_everywhere(f"tier:{uc.id}", gating.tier_card(acting, uc),
                                   key=f"tier:{uc.id}:card@{acting.last_seq}", use_case_id=uc.id)
    open_ids = [r.id for r in await reviews.for_use_case(acting.session, uc.id, open_only=True)]
    await lifecycle.refresh_cards(acting, [i for i in open_ids if i not in changed])
    who = await lifecycle._actor_name(acting)
    text = (f"{who} ({group.name}) {status} the requested {uc.tier_requested} risk tier for {uc_ref(uc)} "
            f"“{uc.title}”. Its reviews now follow the {uc.effective_tier} tier.")
    msg = Message([Text([text]), Buttons([Button("Status", "status.show", {"uc": uc.id})])])
    await lifecycle.tell_involved(acting, uc, msg, "tier")
    return status
