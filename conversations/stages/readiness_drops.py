"""A readiness drop after a gate has passed is news.

Once a use case has passed a gate that applies the readiness rules (pilot → controlled rollout and every gate
after it in the default policy), its latest readiness scorecard must keep meeting them. When a re-score (a
changed answer on the complete scorecard, or a new attempt completed) lowers the band, or makes the rules
block where they did not, the drop is recorded (the digest lists it), audited, and the owners, the sponsor and
leadership are told. The status view shows the standing state (`standing_blockers`).
"""
from __future__ import annotations

from conversations.stages import gate_facts
from conversations.context import Ctx
from vocabulary.labels import stage_label, uc_ref
from vocabulary.messages import Button, Buttons, Context, Header, Message, Text
from vocabulary.policy import Gate, Policy
from vocabulary.rules import scoring
from vocabulary.rules.gates import GateFacts, Missing, readiness_blockers, readiness_gate
from storage.repo import instruments, reviews
from storage.repo import readiness_drops as repo
from storage.tables import UseCase
from conversations.reviews import cards as review_cards
from conversations.reviews import rules
from vocabulary.states import UseCaseStatus


def gate_into(policy: Policy, stage: str) -> Gate | None:
    """The gate the use case passed to reach `stage` (None for the first stage)."""
    return next((g for g in policy.gates if g.to_stage == stage), None)


def vouched(policy: Policy, uc: UseCase) -> Gate | None:
    """The gate into the use case's stage when that gate applied the readiness rules, else None."""
    gate = gate_into(policy, uc.stage)
    return gate if readiness_gate(gate) else None


def standing_blockers(policy: Policy, uc: UseCase, facts: GateFacts) -> list[Missing]:
    """What the latest readiness scorecard breaks of the rules the use case's stage was reached under."""
    gate = vouched(policy, uc)
    if gate is None or uc.status != UseCaseStatus.ACTIVE or not facts.readiness_answers:
        return []
    return readiness_blockers(policy, gate, facts)


async def before_values(ctx: Ctx, scorecard_id: int, use_case_id: int, attempt: int,
                        complete: bool) -> dict[str, int] | None:
    """The readiness answers a re-score is compared with: this scorecard's, when it was already complete,
    else the previous attempt's (None when there is none)."""
    if complete:
        return dict((await instruments.values_for(ctx.session, [scorecard_id])).get(scorecard_id, {}))
    prev = await repo.previous_attempt(ctx.session, use_case_id, scoring.READINESS, attempt)
    if prev is None:
        return None
    values = (await instruments.values_for(ctx.session, [prev.id])).get(prev.id, {})
    return dict(values) if len(values) == len(ctx.policy.readiness.items) else None


async def after_rescore(ctx: Ctx, uc: UseCase, scorecard_id: int, before: dict[str, int] | None) -> str:
    """Judge a complete readiness scorecard against the one before it; on a drop record it, tell everyone
    concerned, and return a note for the person who scored (else "")."""
    policy = ctx.policy
    gate = vouched(policy, uc)
    if gate is None or uc.status != UseCaseStatus.ACTIVE:
        return ""
    facts = await gate_facts.gather(ctx.session, policy, uc)
    if not facts.readiness_complete:
        return ""
    blockers = readiness_blockers(policy, gate, facts)
    total = scoring.readiness_total(policy, facts.readiness_answers)
    band = scoring.readiness_band(policy, total)
    before_total = before_band = None
    news = bool(blockers) and before is None
    if before is not None:
        before_total = scoring.readiness_total(policy, before)
        before_band = scoring.readiness_band(policy, before_total)
        was = readiness_blockers(policy, gate, GateFacts(
            readiness_answers=before, readiness_complete=True,
            areas_at_one_reviewed={k: facts.areas_at_one_reviewed.get(k, True)
                                   for k in scoring.needs_explicit_review(policy, before)}))
        fell = scoring.band_rank(policy, band.key) < scoring.band_rank(policy, before_band.key)
        news = fell or (bool(blockers) and (not was or total < before_total))
    if not news:
        return ""
    reasons = [m.what for m in blockers]
    if before_band is not None and before_band.key != band.key:
        reasons.insert(0, f"Readiness fell from {before_total} ({before_band.label.lower()}) to {total} "
                          f"({band.label.lower()}).")
    drop = await repo.add(ctx.session, use_case_id=uc.id, scorecard_id=scorecard_id, at=ctx.now, stage=uc.stage,
                          total=total, band=band.key, before_total=before_total,
                          before_band=before_band.key if before_band else "", reasons=reasons)
    await ctx.audit("readiness.dropped", entity="scorecard", entity_id=scorecard_id, use_case_id=uc.id,
                    data={"stage": uc.stage, "total": total, "band": band.key, "before_total": before_total,
                          "before_band": before_band.key if before_band else None, "reasons": reasons})
    msg = news_message(policy, uc, total, band.label, reasons, ctx.person.display_name or ctx.person.email)
    told = 0
    for pid in dict.fromkeys([uc.business_owner_id, uc.delivery_owner_id, uc.sponsor_id, uc.proposer_id]):
        if pid and pid != ctx.person.id:
            await ctx.notify_person(pid, msg, key=f"uc:{uc.id}:readiness_drop:{drop.id}:{pid}", use_case_id=uc.id)
            told += 1
    await ctx.notify_group(policy.review.leadership_group, msg, key=f"uc:{uc.id}:readiness_drop:{drop.id}:leaders",
                           use_case_id=uc.id)
    who = "the other owners, the sponsor and leadership" if told else "leadership"
    return (f"Readiness has dropped below what {stage_label(policy, uc.stage)} needs: "
            + " ".join(reasons) + f" {who.capitalize()} have been told; the next gate is blocked until the gaps "
            "are closed and it is scored again.")


def news_message(policy: Policy, uc: UseCase, total: int, band_label: str, reasons: list[str], by: str) -> Message:
    stage = stage_label(policy, uc.stage)
    nxt = policy.gate_from(uc.stage)
    after = (f"Its move to {stage_label(policy, nxt.to_stage)} is blocked until the gaps are closed and it is "
             "scored again." if nxt is not None else
             "It is in the last stage: leadership may want to pause or redirect it until the gaps are closed.")
    lines = "\n".join(f"• {r}" for r in reasons)
    return Message([Header(f"Readiness dropped: {uc_ref(uc)} {uc.title}"[:150]),
                    Text([f"{uc_ref(uc)} “{uc.title}” reached {stage}, but its latest readiness scorecard "
                          f"(re-scored by {by}) reads {total} of {policy.readiness.total_max} "
                          f"({band_label.lower()}):\n{lines}\n{after}"]),
                    Context("The readiness rules hold at every gate, on the latest scorecard."),
                    Buttons([Button("Status", "status.show", {"uc": uc.id})])],
                   fallback=f"Readiness dropped on {uc_ref(uc)}: {total} ({band_label.lower()})")


async def refresh_reviews(ctx: Ctx, uc: UseCase) -> None:
    """A readiness scorecard was completed or changed: the open review cards show what it means for the gate."""
    gate = await reviews.pending_gate(ctx.session, uc.id)
    rows = [r for r in await reviews.for_gate(ctx.session, gate.id) if r.status in rules.OPEN] if gate else []
    if not rows:
        return
    for r in rows:
        await review_cards.refresh(ctx, r.id)
