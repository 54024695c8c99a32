"""Reading a use case's gate facts from the database, and checking its next gate.

`next_gate_check` is what the review workflow calls when an owner asks to move
a use case on, and what the status views show as "missing for the next gate".
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.policy import Gate, Policy
from vocabulary.rules import scoring
from vocabulary.rules.gates import GateCheck, GateFacts, OpenObligation, check_gate
from storage.repo import gate_reads, instruments, people, regulation
from storage.tables import UseCase


async def gather(session: AsyncSession, policy: Policy, use_case: UseCase) -> GateFacts:
    uc = use_case
    cards = await gate_reads.latest_values(session, uc.id)  # instrument -> (latest attempt's id, its answers)
    risk_entries, open_conditions, kpis_defined = await gate_reads.counts(session, uc.id)

    def answers_of(key: str) -> dict[str, int]:
        sc = cards.get(key)
        known = set(scoring.item_keys(policy, key))
        # Items (or values) a newer policy no longer has are ignored, never fatal.
        return {k: v for k, v in sc[1].items() if k in known and scoring.valid_value(policy, key, v)} if sc else {}

    pilot = answers_of(scoring.PILOT_SELECTION)
    pilot_result = scoring.pilot_result(policy, pilot)
    readiness = answers_of(scoring.READINESS)
    readiness_complete = len(readiness) == len(policy.readiness.items)
    reviewed: dict[str, bool] = {}
    at_one = scoring.needs_explicit_review(policy, readiness)
    if at_one:
        rows = await instruments.answers(session, cards[scoring.READINESS][0])
        reviewed = {k: rows[k].reviewed_at is not None for k in at_one}
    rollout = answers_of(scoring.ROLLOUT_CHECKLIST)
    vendor = answers_of(scoring.VENDOR_CHECKLIST)
    return GateFacts(
        use_case_id=uc.id,
        problem_stated=bool((uc.problem or "").strip()),
        outcome_stated=bool((uc.outcome or "").strip()),
        business_owner_named=uc.business_owner_id is not None,
        delivery_owner_named=uc.delivery_owner_id is not None,
        pilot_selection_total=pilot_result.total if pilot_result.complete else None,
        pilot_selection_answered=len(pilot),
        readiness_answers=readiness,
        readiness_complete=readiness_complete,
        areas_at_one_reviewed=reviewed,
        risk_entries=risk_entries,
        risk_reviewed_at=uc.risk_reviewed_at,
        stage_entered_at=uc.stage_entered_at,
        rollout_answers=rollout,
        rollout_complete=len(rollout) == len(policy.rollout_checklist.items),
        vendor_involved=bool(uc.vendor_involved),
        vendor_answered=len(vendor),
        vendor_complete=len(vendor) == len(policy.vendor_checklist.items),
        open_conditions=open_conditions,
        kpis_with_baselines=kpis_defined,
        ai_act_class=uc.ai_act_class or "",
        open_obligations=await ai_act_open(session, uc) if policy.eu_ai_act is not None else [],
    )


async def ai_act_open(session: AsyncSession, uc: UseCase) -> list[OpenObligation]:
    rows = [r for r in await regulation.obligations(session, uc.id) if r.status == regulation.OPEN]
    if not rows:
        return []
    found = await people.get_many(session, [r.owner_id for r in rows if r.owner_id])
    return [OpenObligation(r.title, r.articles, (found[r.owner_id].display_name or found[r.owner_id].email)
                           if r.owner_id in found else "no owner", r.before_leaving) for r in rows]


def next_gate(policy: Policy, use_case: UseCase) -> Gate | None:
    return policy.gate_from(use_case.stage)


async def next_gate_check(session: AsyncSession, policy: Policy,
                          use_case: UseCase) -> tuple[Gate | None, GateCheck | None]:
    """The gate out of the use case's current stage and what it still lacks; (None, None) at the last stage."""
    gate = next_gate(policy, use_case)
    if gate is None:
        return None, None
    facts = await gather(session, policy, use_case)
    return gate, check_gate(policy, gate, facts)
