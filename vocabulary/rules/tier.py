"""From the intake risk answers to a risk tier, and which answers drove it."""
from __future__ import annotations

from dataclasses import dataclass

from vocabulary.policy.models import TIERS, Intake

RANK = {t: i for i, t in enumerate(TIERS)}


@dataclass(frozen=True)
class TierResult:
    tier: str
    # (question text, chosen option label) of the answers that set the tier.
    reasons: tuple[tuple[str, str], ...]
    escalated: bool = False


def tier_for(intake: Intake, answers: dict[str, str]) -> TierResult:
    """The highest tier any answer carries, raised by the policy's escalation rule.

    Unanswered questions count as the lowest tier (the flow never submits without them).
    """
    chosen: list[tuple[str, str, str]] = []  # (question, label, tier)
    for q in intake.risk_questions:
        key = answers.get(q.key)
        opt = next((o for o in q.options if o.key == key), None)
        if opt is not None:
            chosen.append((q.question, opt.label, opt.tier))
    tier = max((t for _, _, t in chosen), key=RANK.__getitem__, default=TIERS[0])
    escalated = False
    for rule in intake.tier_rule.escalations:
        count = sum(1 for _, _, t in chosen if t == rule.at)
        if count >= rule.count and RANK[rule.becomes] > RANK[tier]:
            tier, escalated = rule.becomes, True
    if escalated:
        driving = [c for c in chosen if RANK[c[2]] >= min(RANK[r.at] for r in intake.tier_rule.escalations)]
    else:
        driving = [c for c in chosen if c[2] == tier]
    if tier == TIERS[0]:
        driving = []
    return TierResult(tier=tier, reasons=tuple((q, label) for q, label, _ in driving), escalated=escalated)
