"""Timed sweep: a severe incident nobody acknowledged in time escalates to leadership, once.

Severities with `ack_within_minutes` in the policy are watched. An incident still "open" (not acknowledged)
that long after it was reported is escalated like an overdue review: the leadership group
(policy.review.leadership_group) and the next level of each notified group (its `escalates_to`) get a
message, threaded under the incident card where they have it; the card shows the escalation. The
`escalated_at` stamp is claimed with a conditional update, so it happens once across runs and processes.
"""
from __future__ import annotations

from vocabulary.platforms import Platforms
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.incidents import cards
from conversations.groups.effective import effective_policy
from vocabulary.messages import Button, Buttons, Context, Message, Text
from vocabulary.policy import Policy
from notifications.services import Services
from storage.repo import outbox_enqueue as notify
from storage.repo import absences
from storage import audit
from storage.repo import incidents as repo
from storage.repo import use_cases
from storage.tables import Incident, UseCase


async def sweep(services: Services, now: datetime) -> int:
    """Escalate every overdue unacknowledged incident; returns how many were escalated."""
    async with services.db.write() as s:
        n = await escalate_due(s, await effective_policy(s, services.policy), services.platforms, now)
    if n:
        services.wake()
    return n


def escalation_groups(policy: Policy, severity_key: str) -> list[str]:
    severity = next((s for s in policy.incidents.severities if s.key == severity_key), None)
    out = [policy.review.leadership_group]
    for key in severity.notify_groups if severity else []:
        try:
            nxt = policy.review.group(key).escalates_to
        except KeyError:
            continue
        if nxt and nxt not in out:
            out.append(nxt)
    return out


async def escalate_due(session: AsyncSession, policy: Policy, platforms: Platforms, now: datetime) -> int:
    ack = {s.key: s.ack_within_minutes for s in policy.incidents.severities if s.ack_within_minutes}
    n = 0
    for inc in await repo.due_for_escalation(session, now, ack):
        if not await repo.claim_escalation(session, inc.id, now):
            continue
        await session.refresh(inc)
        uc = await use_cases.get(session, inc.use_case_id)
        await _escalate(session, policy, platforms, inc, uc, ack[inc.severity], now)
        n += 1
    return n


async def _escalate(session: AsyncSession, policy: Policy, platforms: Platforms, inc: Incident, uc: UseCase,
                    minutes: int, now: datetime) -> None:
    groups = escalation_groups(policy, inc.severity)
    where = cards.purpose(inc.id)
    message = Message([
        Text([f"Escalated: incident #{inc.id} on UC-{uc.id} ({uc.title[:80]}) is "
              f"{cards.severity_label(policy, inc.severity).lower()} and nobody has acknowledged it in the "
              f"{minutes} minutes the policy allows. It needs an owner now."]),
        Context(inc.description[:300]),
        Buttons([Button("Open the incident", "incident.show", {"i": inc.id}, style="primary"),
                 Button("Acknowledge", "incident.ack", {"i": inc.id})]),
    ], fallback=f"Escalated: incident #{inc.id} on UC-{uc.id} is not acknowledged")
    for group in groups:
        await notify.to_group(session, policy=policy, group_key=group, platforms=platforms, message=message,
                              key=f"{where}:escalated:{group}", thread_of=where, use_case_id=uc.id, subject=where,
                              purpose="reminder", now=now)
    owner = await _reachable_owner(session, uc)
    if owner is not None:
        await notify.to_person(session, person_id=owner, message=message, platforms=platforms,
                               key=f"{where}:escalated:delivery_owner", use_case_id=uc.id, subject=where,
                               purpose="reminder", now=now)
    await audit.append(session, action="incident.escalated", actor_label="aiom", entity="incident",
                       entity_id=inc.id, use_case_id=uc.id, at=now,
                       data={"severity": inc.severity, "groups": groups, "ack_within_minutes": minutes})
    who = await cards.people_of(session, inc)
    await notify.update_everywhere(session, purpose=where, message=cards.card(policy, inc, uc, who),
                                   key=f"{where}:v{inc.version}", platforms=platforms, use_case_id=uc.id, now=now)


async def _reachable_owner(session: AsyncSession, uc: UseCase) -> int | None:
    """Who hears of the escalation besides the groups: the delivery owner, or the business owner when the
    delivery owner has left the organisation (nobody when both have: the groups and leadership still hear)."""
    candidates = [p for p in (uc.delivery_owner_id, uc.business_owner_id) if p]
    gone = await absences.leavers_among(session, candidates) if candidates else {}
    return next((p for p in candidates if p not in gone), None)
