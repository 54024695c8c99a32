"""Everything a review card shows, read in one place (the card builder itself is pure)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.policy import Policy
from storage.repo import absences, conditions, people, reviews
from storage.tables import (
    AuditEntry,
    Condition,
    GateRequest,
    InfoRequest,
    Person,
    ReviewDecision,
    ReviewRequest,
    RiskEntry,
    UseCase,
)
from conversations.stages import gate_facts
from vocabulary.rules.gates import READINESS_RULES
from conversations.groups.decidability import group_decidability
from vocabulary.states import OPEN_REVIEW, GateStatus, ReviewStatus

LEVELS = {"low": 1, "medium": 2, "high": 3}


@dataclass
class CardData:
    uc: UseCase
    rr: ReviewRequest
    gate: GateRequest
    decisions: list[ReviewDecision]
    infos: list[InfoRequest]
    # Conditions attached by this review, and every open condition of the use case.
    own_conditions: list[Condition]
    open_conditions: list[Condition]
    scores: dict
    risks: list[RiskEntry]
    # What changed on the use case since the card was posted (audit entries, oldest first), and where it counts from.
    changes: list[AuditEntry]
    people: dict[int, Person] = field(default_factory=dict)
    last_look: AuditEntry | None = None
    escalated_from: ReviewRequest | None = None
    # Who escalated to this review and why (from the audit entry of the escalation).
    escalation: AuditEntry | None = None
    escalated_to: ReviewRequest | None = None
    needs_conditions: bool = False
    # Why nobody can decide this review while it is open ("" when someone can): conversations/groups.
    undecidable: str = ""
    # Decision id -> the delegate who made it for an absent member (conversations/people/absence.py).
    stand_ins: dict[int, int] = field(default_factory=dict)

    def decider(self, decision: ReviewDecision) -> str:
        """Who decided: the member, or "Bob for alice@… (away)" when a delegate stood in."""
        by = self.stand_ins.get(decision.id)
        if by is None:
            return self.name(decision.person_id)
        member = self.people.get(decision.person_id)
        return f"{self.name(by)} for {(member.email if member else None) or self.name(decision.person_id)} (away)"
    # What the latest readiness scorecard breaks of the gate's readiness rules (a re-score during the review).
    readiness_blockers: list[str] = field(default_factory=list)

    def name(self, person_id: int | None) -> str:
        p = self.people.get(person_id) if person_id else None
        if p is None:
            return "nobody yet" if person_id is None else f"person {person_id}"
        return p.display_name or p.email or f"person {p.id}"


def top_risks(risks: list[RiskEntry], n: int = 3) -> list[RiskEntry]:
    def weight(r: RiskEntry) -> tuple:
        return (-(LEVELS.get(r.impact, 2) * LEVELS.get(r.likelihood, 2)), -LEVELS.get(r.impact, 2), r.id)
    return sorted(risks, key=weight)[:n]


async def needs_conditions(session: AsyncSession, policy: Policy, uc: UseCase) -> bool:
    """Whether the gate being reviewed passes only with conditions (a moderate readiness band)."""
    _gate, check = await gate_facts.next_gate_check(session, policy, uc)
    return bool(check is not None and getattr(check, "needs_conditions", False))


async def gate_state(session: AsyncSession, policy: Policy, uc: UseCase) -> tuple[bool, list[str]]:
    """Whether the gate under review passes only with conditions, and what of its readiness rules the latest
    scorecard breaks."""
    _gate, check = await gate_facts.next_gate_check(session, policy, uc)
    if check is None:
        return False, []
    return check.needs_conditions, [m.what for m in check.missing if m.key in READINESS_RULES]


async def load(session: AsyncSession, policy: Policy, review_id: int,
               known_needs_conditions: dict[int, bool] | None = None) -> CardData | None:
    found = await reviews.with_case(session, review_id)
    if found is None:
        return None
    rr, uc, gate = found
    infos = await reviews.infos(session, [rr.id])
    changes, look = await reviews.changes_since(session, uc.id, rr.group_key, review_id=rr.id)
    own_conditions, open_conditions = await conditions.for_card(session, rr.id, uc.id)
    data = CardData(
        uc=uc, rr=rr, gate=gate, decisions=await reviews.decisions(session, [rr.id]), infos=infos,
        own_conditions=own_conditions, open_conditions=open_conditions,
        scores=await reviews.latest_scores(session, uc.id), risks=top_risks(await reviews.live_risks(session, uc.id)),
        changes=changes, last_look=look)
    if rr.escalated_from_id:
        data.escalated_from = await reviews.get_review(session, rr.escalated_from_id)
        data.escalation = await reviews.escalation_note(session, rr.escalated_from_id, uc.id)
    if rr.status == ReviewStatus.ESCALATED:
        later = [r for r in await reviews.for_gate(session, gate.id) if r.escalated_from_id == rr.id]
        data.escalated_to = later[0] if later else None
    if gate.status == GateStatus.PENDING and gate.from_stage == uc.stage:
        known = (known_needs_conditions or {}).get(uc.id)
        if known is not None:  # this turn's approval already checked the gate (and found no readiness blocker)
            data.needs_conditions = known
        else:
            data.needs_conditions, data.readiness_blockers = await gate_state(session, policy, uc)
    ids = {uc.proposer_id, uc.business_owner_id, uc.delivery_owner_id, uc.sponsor_id}
    ids |= {d.person_id for d in data.decisions}
    data.stand_ins = {k: v.by_person_id for k, v in (await absences.delegated_for_reviews(session, [rr.id])).items()}
    ids |= set(data.stand_ins.values())
    ids |= {i.asked_by_id for i in infos} | {i.answered_by_id for i in infos}
    ids |= {c.owner_id for c in data.open_conditions + data.own_conditions}
    ids |= {c.closed_by_id for c in data.own_conditions}
    ids |= {r.owner_id for r in data.risks}
    ids |= {e.actor_id for e in data.changes}
    if data.escalation is not None and data.escalation.actor_id:
        ids.add(data.escalation.actor_id)
    ids |= {(e.data or {}).get(k) for e in data.changes for k in ("owner", "owner_id")
            if isinstance((e.data or {}).get(k), int)}
    data.people = await people.get_many(session, [i for i in ids if i])
    if rr.status in OPEN_REVIEW:
        involved = [data.people[i].email for i in (uc.proposer_id, uc.business_owner_id, uc.delivery_owner_id,
                                                    uc.sponsor_id) if i in data.people and data.people[i].email]
        data.undecidable = group_decidability(policy, rr.group_key, excluded=involved).reason
    return data
