"""Opening a gate (one review per required group, cards to their channels) and closing it."""
from __future__ import annotations

from vocabulary.labels import uc_ref
from vocabulary.messages import Button, Buttons, Context, Facts, Header, Message, Text
from vocabulary.policy import Gate
from conversations.reviews import lifecycle, rules
from conversations.context import Ctx
from vocabulary.rules.ai_act import extra_groups
from storage.repo import reviews
from storage.tables import GateRequest, ReviewRequest, UseCase
from conversations.reviews import cards as review_cards
from conversations.groups import alerts
from vocabulary.states import GateStatus, TierOverride


async def add_review(acting: Ctx, uc: UseCase, gate: GateRequest, group_key: str, *, level: int = 0,
                     escalated_from_id: int | None = None) -> ReviewRequest:
    group = acting.policy.review.group(group_key)
    due = rules.due_at(acting.policy, uc.effective_tier, acting.now)
    seen = await reviews.last_seen_version(acting.session, uc.id, group_key)
    rr = await reviews.create_review(
        acting.session, gate_request_id=gate.id, use_case_id=uc.id, group_key=group_key, level=level,
        escalated_from_id=escalated_from_id, status=rules.PENDING, quorum=group.quorum, due_at=due,
        created_at=acting.now, seen_version=seen if seen is not None else uc.version, next_reminder_at=due)
    await acting.audit("review.requested", entity="review", entity_id=rr.id, use_case_id=uc.id,
                       data={"gate_request": gate.id, "group": group_key, "level": level, "due_at": due,
                             "quorum": group.quorum, "escalated_from": escalated_from_id,
                             "tier": uc.effective_tier})
    return rr


async def open_gate(acting: Ctx, uc: UseCase, gate: Gate) -> tuple[GateRequest, list[ReviewRequest]]:
    """Create the gate request and one review per group the policy requires; post the cards."""
    attempt = await reviews.gate_attempts(acting.session, uc.id, gate.from_stage) + 1
    gr = await reviews.create_gate(acting.session, use_case_id=uc.id, from_stage=gate.from_stage,
                                   to_stage=gate.to_stage, attempt=attempt, status=GateStatus.PENDING,
                                   requested_by_id=acting.person_id, requested_at=acting.now,
                                   use_case_version=uc.version)
    groups = rules.required_groups(gate, uc.effective_tier, uc.vendor_involved,
                                   extra_groups(acting.policy.eu_ai_act, uc.ai_act_class))
    await acting.audit("gate.requested", entity="gate_request", entity_id=gr.id, use_case_id=uc.id,
                       data={"from": gate.from_stage, "to": gate.to_stage, "attempt": attempt,
                             "tier": uc.effective_tier, "vendor": uc.vendor_involved, "groups": groups})
    rows = [await add_review(acting, uc, gr, g) for g in groups]

    for rr in rows:
        await review_cards.post(acting, rr.id)

    acting.undecidable = await alerts.check_reviews(acting, uc, rows)
    if uc.tier_override_status == TierOverride.PENDING and rules.tier_group(acting.policy) not in groups:
        await post_tier_card(acting, uc)
    return gr, rows


def tier_card(acting: Ctx, uc: UseCase) -> Message:
    why = "; ".join(f"{q} → {a}" for q, a in (uc.risk_tier_reasons or [])) or "no intake answer raised it"
    if uc.tier_override_status == TierOverride.PENDING:
        buttons = [Button(f"Accept {uc.tier_requested} tier", "tier.decide", {"uc": uc.id, "c": "accept"},
                          style="primary"),
                   Button(f"Keep {uc.risk_tier} tier", "tier.decide", {"uc": uc.id, "c": "reject"})]
        status = "Waiting for a decision by the risk reviewers."
    else:
        buttons = []
        status = f"Decided: the requested tier was {uc.tier_override_status}."
    blocks = [Header(f"Tier change requested for {uc_ref(uc)} {uc.title}"[:150]),
              Text([f"The owners ask for {uc.tier_requested} risk instead of the computed {uc.risk_tier}. "
                    "The requested tier applies only once you accept it; it decides which groups review each gate."]),
              Facts([("Computed tier", f"{uc.risk_tier} ({why})"[:600]),
                     ("Requested tier", uc.tier_requested or "—"),
                     ("Justification", (uc.tier_justification or "—")[:600]),
                     ("Outcome", uc.outcome[:600])]),
              Context(status)]
    if buttons:
        blocks.append(Buttons(buttons))
    return Message(blocks, fallback=f"Tier change requested for {uc_ref(uc)}")


async def post_tier_card(acting: Ctx, uc: UseCase) -> None:
    await acting.notify_group(rules.tier_group(acting.policy), tier_card(acting, uc), key=f"tier:{uc.id}:card",
                              remember_as=f"tier:{uc.id}", use_case_id=uc.id, subject=f"tier:{uc.id}")


async def finish_if_decided(acting: Ctx, uc: UseCase, gate_id: int) -> str | None:
    """Pass or stop the gate once its reviews say so; returns 'passed', 'stopped' or None."""
    gate = await reviews.get_gate(acting.session, gate_id)
    if gate is None or gate.status != GateStatus.PENDING:
        return None
    rows = await reviews.for_gate(acting.session, gate_id)
    result = rules.gate_result(r.status for r in rows)
    if result is None:
        return None
    if result == GateStatus.PASSED:
        if not await reviews.close_gate(acting.session, gate_id, GateStatus.PASSED, acting.now):
            return None
        await acting.audit("gate.passed", entity="gate_request", entity_id=gate_id, use_case_id=uc.id,
                           data={"from": gate.from_stage, "to": gate.to_stage,
                                 "groups": {r.group_key: r.status for r in rows if r.status not in rules.SUPERSEDED}})
        await lifecycle.advance(acting, uc, gate_id)
    return result


async def reroute(acting: Ctx, uc: UseCase) -> list[int]:
    """The effective tier changed: the pending gate gains the groups the new tier needs and drops open reviews
    of groups it no longer needs. Returns the ids of reviews added or cancelled."""
    gr = await reviews.pending_gate(acting.session, uc.id)
    if gr is None:
        return []
    gate = acting.policy.gate_from(gr.from_stage)
    if gate is None:
        return []
    wanted = rules.required_groups(gate, uc.effective_tier, uc.vendor_involved,
                                   extra_groups(acting.policy.eu_ai_act, uc.ai_act_class))
    rows = await reviews.for_gate(acting.session, gr.id)
    base = {r.group_key for r in rows if r.level == 0}
    changed: list[int] = []
    for r in rows:
        if r.level == 0 and r.group_key not in wanted and r.status in rules.OPEN:
            await reviews.set_review(acting.session, r.id, status=rules.CANCELLED, decided_at=acting.now,
                                     next_reminder_at=None)
            changed.append(r.id)

    for r in changed:
        await review_cards.refresh(acting, r)
    for g in wanted:
        if g not in base:
            rr = await add_review(acting, uc, gr, g)
            await review_cards.post(acting, rr.id)
            changed.append(rr.id)
    if changed:
        await acting.audit("gate.rerouted", entity="gate_request", entity_id=gr.id, use_case_id=uc.id,
                           data={"tier": uc.effective_tier, "groups": wanted, "reviews": changed})
        await finish_if_decided(acting, uc, gr.id)
    return changed
