"""The review rules as plain functions over plain data: routing, deadlines, closure, decision rights.

Definitions (the README's "Gates and reviews" section repeats them):

- *Routing*: a gate needs the groups the policy lists for the use case's effective tier (a requested tier
  counts only once the risk reviewers accepted it), plus the gate's `with_vendor` groups when a vendor is
  involved; each group once, in policy order.
- *Deadline*: `due_at = requested + deadline_days[tier]`. Time a review spends waiting for the owners' answer
  (or while leadership has paused the use case) does not count: the due date moves forward by that time.
- *A group's part closes* when one member stops it (stopped), one member escalates it (escalated), or
  `quorum` distinct members approved (approved; "approved with conditions" when any of them attached
  conditions). The same member twice counts once.
- *The gate passes* when every group's part still in play (not escalated or cancelled; an escalated part is
  replaced by its escalation) is approved; a single stop stops it.
- *Pilot exit date*: a use case entering the pilot stage gets an exit date from its owners' target timeline
  (`PILOT_DAYS`), 90 days when the target is unknown.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

from vocabulary.policy import Gate, Policy
from vocabulary.states import OPEN_REVIEW, GateStatus, ReviewStatus

PENDING, INFO = ReviewStatus.PENDING, ReviewStatus.INFO_REQUESTED
APPROVED, APPROVED_WITH_CONDITIONS = ReviewStatus.APPROVED, ReviewStatus.APPROVED_WITH_CONDITIONS
ESCALATED, STOPPED, CANCELLED = ReviewStatus.ESCALATED, ReviewStatus.STOPPED, ReviewStatus.CANCELLED
OPEN = OPEN_REVIEW
APPROVALS = (APPROVED, APPROVED_WITH_CONDITIONS)
# Parts of a gate that no longer count: their decision moved elsewhere or was called off.
SUPERSEDED = (ESCALATED, CANCELLED)

# Decisions as recorded on review_decision.decision.
APPROVE, APPROVE_WITH_CONDITIONS, ESCALATE, STOP = "approve", "approve_with_conditions", "escalate", "stop"

PILOT_DAYS = {"within_3_months": 45, "3_to_6_months": 90, "6_to_12_months": 120, "over_12_months": 180}
DEFAULT_PILOT_DAYS = 90

# The group that decides a requested tier change when the policy has a group with this key;
# otherwise the leadership group decides it.
TIER_GROUP = "risk"


def required_groups(gate: Gate, tier: str, vendor_involved: bool, extra: list[str] | tuple = ()) -> list[str]:
    groups = list(gate.groups.get(tier, []))
    if vendor_involved:
        groups += gate.with_vendor
    groups += list(extra)  # e.g. the groups an EU AI Act high-risk classification adds
    out: list[str] = []
    for g in groups:
        if g not in out:
            out.append(g)
    return out


def due_at(policy: Policy, tier: str, start: datetime) -> datetime:
    return start + timedelta(days=policy.review.deadline_days[tier])


def resume_due(due: datetime, paused_at: datetime | None, now: datetime) -> datetime:
    """The due date once a pause ends: moved forward by the time spent paused."""
    if paused_at is None or now <= paused_at:
        return due
    return due + (now - paused_at)


def tier_group(policy: Policy) -> str:
    keys = {g.key for g in policy.review.groups}
    return TIER_GROUP if TIER_GROUP in keys else policy.review.leadership_group


@dataclass(frozen=True)
class Vote:
    person_id: int
    decision: str


def group_result(votes: Iterable[Vote], quorum: int) -> str | None:
    """The status a group's part takes after these decisions, or None while it is still open."""
    votes = list(votes)
    if any(v.decision == STOP for v in votes):
        return STOPPED
    if any(v.decision == ESCALATE for v in votes):
        return ESCALATED
    approvers = {v.person_id for v in votes if v.decision in (APPROVE, APPROVE_WITH_CONDITIONS)}
    if len(approvers) >= max(1, quorum):
        with_conditions = any(v.decision == APPROVE_WITH_CONDITIONS for v in votes)
        return APPROVED_WITH_CONDITIONS if with_conditions else APPROVED
    return None


def gate_result(statuses: Iterable[str]) -> str | None:
    """'passed', 'stopped' or None (still waiting), from the statuses of the gate's review parts."""
    live = [s for s in statuses if s not in SUPERSEDED]
    if any(s == STOPPED for s in live):
        return GateStatus.STOPPED
    if live and all(s in APPROVALS for s in live):
        return GateStatus.PASSED
    return None


def pilot_exit_date(entered: datetime, target_timeline: str) -> date:
    return (entered + timedelta(days=PILOT_DAYS.get(target_timeline, DEFAULT_PILOT_DAYS))).date()


@dataclass(frozen=True)
class Clicker:
    """Who clicked, as far as deciding goes: verified email, guest flag, aiom person id."""

    person_id: int
    email: str | None  # verified email only
    guest: bool = False


def clicker(ctx) -> Clicker:
    """The actor of a chat turn (a `Ctx`) as far as decision rights go: only a platform-verified email counts."""
    a = ctx.inbound.actor
    email = a.email.strip().lower() if a.email and a.email_verified else None
    return Clicker(person_id=ctx.person.id, email=email, guest=a.guest)


def involved_roles(uc) -> dict[str, int | None]:
    """The people who may never decide on a use case, by role: its proposer, owners and executive sponsor."""
    return {"proposer": uc.proposer_id, "business owner": uc.business_owner_id,
            "delivery owner": uc.delivery_owner_id, "executive sponsor": uc.sponsor_id}


def may_be_asked(person_id: int, uc) -> bool:
    """Whether a group member may decide on this use case (and so be asked or reminded to)."""
    return person_id not in {p for p in involved_roles(uc).values() if p is not None}


def decision_refusal(clicker: Clicker, members: Iterable[str], group_name: str,
                     involved: dict[str, int | None]) -> str | None:
    """Why this person may not decide for this group on this use case, or None when they may.

    `involved` maps a role (proposer, business owner, delivery owner, executive sponsor) to a person id.
    """
    if clicker.guest:
        return ("People from another workspace or organisation can see this review but cannot decide it. "
                f"A member of {group_name} in this organisation needs to decide.")
    if not clicker.email:
        return ("I could not confirm your email address on this platform, so I cannot record a decision from "
                "you. Ask an admin to check that your account shows a verified email.")
    if clicker.email.lower() not in {m.lower() for m in members}:
        return (f"Only members of {group_name} can decide this review, and you are not listed in that group. "
                "If you should be, ask an aiom admin to add you (type “groups” to see who is in it).")
    for role, pid in involved.items():
        if pid is not None and pid == clicker.person_id:
            return (f"You are the {role} of this use case, so you cannot decide its review: another member of "
                    f"{group_name} needs to.")
    return None


def member_of(email: str | None, members: Iterable[str]) -> bool:
    return bool(email) and email.lower() in {m.lower() for m in members}
