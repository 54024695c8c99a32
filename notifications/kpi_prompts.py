"""Timed sweep: ask KPI owners for values on each KPI's cadence, and flag KPIs left unreported.

`sweep(services, now)` is safe to run from several processes at once: each KPI's prompt is claimed with a
conditional update on its stamps (last_prompt_at, next_due_at), a flag with a conditional update on
flagged_at, and every outbox row has a deterministic dedupe key. A sweep that did not run for a while
asks once for the current period (never one prompt per missed period).
"""
from __future__ import annotations

from vocabulary.platforms import Platforms
import hashlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.kpis import values as kpi_values
from conversations.kpis import views as kpi_views
from vocabulary.policy import Policy
from vocabulary.policy.models import WorkingHours
from vocabulary.rules import kpis as rules
from notifications.services import Services
from storage.repo import outbox_enqueue as notify
from storage import audit
from storage.repo import absences, conversation_refs, people, use_cases
from storage.repo import kpis as repo
from storage.tables import Kpi, UseCase


async def sweep(services: Services, now: datetime) -> int:
    """Prompt every KPI whose value is due and flag the ones not reported; returns notifications queued."""
    async with services.db.write() as s:
        n = await prompt_due(s, services.policy, services.platforms, now)
        n += await flag_unreported(s, services.policy, services.platforms, now)
    if n:
        services.wake()
    return n


async def prompt_due(session: AsyncSession, policy: Policy, platforms: Platforms, now: datetime) -> int:
    by_owner: dict[int, list[tuple[UseCase, Kpi]]] = {}
    for kpi in await repo.due_for_prompt(session, now, policy.kpis.cadence_days):
        days = kpi_values.cadence_days(policy, kpi)
        slot = rules.current_slot(kpi.next_due_at, days, now)
        uc = await use_cases.get(session, kpi.use_case_id)
        owner = asked_person(kpi, uc)
        if owner is None or await absences.leaver_of(session, owner) is not None:
            continue  # nobody to ask (or the owner has left): the period stays unasked (never stamped as asked)
        if not await repo.claim_prompt(session, kpi, now=now, due=slot):
            continue  # another process asked first
        kpi.next_due_at = slot
        by_owner.setdefault(owner, []).append((uc, kpi))
        await audit.append(session, action="kpi.value_requested", actor_label="aiom", entity="kpi",
                           entity_id=kpi.id, use_case_id=uc.id, at=now,
                           data={"kpi": kpi.name, "owner_id": owner, "period_due": slot.isoformat()})
    sent = 0
    for owner, items in by_owner.items():
        sent += await _prompt_owner(session, policy, platforms, owner, items, now)
    return sent


def asked_person(kpi: Kpi, uc: UseCase) -> int | None:
    """Who is asked for a KPI's value: its owner, else the use case's delivery owner, else its business owner."""
    return kpi.owner_id or uc.delivery_owner_id or uc.business_owner_id


async def _prompt_owner(session: AsyncSession, policy: Policy, platforms: Platforms, owner: int,
                        items: list[tuple[UseCase, Kpi]], now: datetime) -> int:
    platform = await notify.choose_platform(session, owner, platforms)
    if platform is None:
        return 0
    typed = False
    target = await dm_target(session, platform, owner)
    if target is not None:
        typed = await kpi_values.queue_typed_reply(session, platform=platform, conversation_id=target[0],
                                                   user_key=target[1], person_id=owner,
                                                   kpi_ids=[k.id for _, k in items], now=now)
    message = kpi_views.prompt_message([(uc.id, k, kpi_views.layer_label(policy, k.layer)) for uc, k in items],
                                       typed=typed)
    stamp = ",".join(f"{k.id}@{k.next_due_at.isoformat()}" for _, k in items)
    key = "kpi:prompt:" + hashlib.sha256(f"{owner}|{stamp}".encode()).hexdigest()[:40]
    person = await people.get(session, owner)
    when = next_working_time(now, person.timezone if person else None, policy.reminders.working_hours)
    new = await notify.to_person(session, person_id=owner, message=message, key=key, platforms=platforms,
                                 purpose="reminder", subject=f"kpi:{items[0][1].id}", use_case_id=items[0][0].id,
                                 not_before=when, now=now)
    if new and await absences.away_on(session, [owner], now.date()):
        await absences.hold(session, new)  # sent when they are back
    return 1 if new else 0


async def flag_unreported(session: AsyncSession, policy: Policy, platforms: Platforms, now: datetime) -> int:
    n = 0
    limit = policy.kpis.missed_cadences_flag
    for kpi in await repo.not_reported_candidates(session, now, policy.kpis.cadence_days, limit):
        uc = await use_cases.get(session, kpi.use_case_id)
        if await kpi_values.raise_flag(session, policy=policy, platforms=platforms, kpi=kpi, uc=uc,
                                       reason=rules.NOT_REPORTED, now=now):
            n += 1
    return n


async def dm_target(session: AsyncSession, platform: str, person_id: int) -> tuple[str, str] | None:
    """(conversation id, user key) of the person's direct conversation with aiom on `platform`, if known.

    Platform-neutral: any adapter that stores a personal conversation reference (platform, kind "personal",
    person_id) for the person gets typed replies, Slack and Teams alike; the user key is the one the engine
    derives from that platform's actor (conversations.people.lookup.user_key), taken from the person's identity in
    the reference's workspace / tenant when they have several. The local chat's direct conversation is
    "dm:<email>" and its user key the email (bot/console/chat.py).
    """
    person = await people.get(session, person_id)
    ref = await conversation_refs.personal_for(session, platform, person_id)
    idents = [i for i in await people.identities_of(session, person_id) if i.platform == platform]
    if ref is not None:
        conversation = ref.conversation_id
        idents.sort(key=lambda i: i.tenant != ref.tenant)  # the identity in the reference's tenant first
    elif platform == "console" and person is not None and person.email:
        conversation = f"dm:{person.email}"
    else:
        return None
    if idents:
        i = idents[0]
        return conversation, f"{i.tenant}:{i.external_id}" if i.tenant else i.external_id
    if platform == "console" and person is not None and person.email:
        return conversation, person.email
    return None


def next_working_time(now: datetime, tz_name: str | None, hours: WorkingHours) -> datetime:
    """`now` when it falls in the person's working hours, else the start of their next working day."""
    if hours.allow_outside:
        return now
    try:
        tz = ZoneInfo(tz_name or hours.default_timezone)
    except (KeyError, ValueError):
        tz = ZoneInfo(hours.default_timezone)
    local = now.astimezone(tz)
    if local.weekday() in hours.days and hours.start_hour <= local.hour < hours.end_hour:
        return now
    for i in range(0, 8):
        day = local.date() + timedelta(days=i)
        start = datetime.combine(day, time(hours.start_hour), tz)
        if day.weekday() in hours.days and start > local:
            return start.astimezone(now.tzinfo)
    return now
