"""Loading and removing the demo organisation (conversations/demo/organisation.py).

`load` writes people, use cases across every stage with their scorecards, risks, conditions, KPIs and one
incident, puts demo members in every review group (stored over the policy file, like a change made in chat), and
opens real gates so reviews wait for a decision. `remove` deletes every row that hangs off a demo use case or a
demo person and takes the demo members out of the groups; the audit log keeps its entries (it is append-only)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from conversations.demo import organisation as org
from conversations.groups import changes
from conversations.groups.effective import apply
from vocabulary.policy import Policy
from storage import audit
from storage.repo import group_settings, people, use_cases
from storage.tables import (
    Condition,
    Incident,
    Kpi,
    KpiValue,
    MessageRef,
    Person,
    RiskEntry,
    Scorecard,
    ScorecardAnswer,
    StageChange,
    UseCase,
)
from conversations.reviews import gating
from conversations.context import Ctx
from vocabulary.states import ConditionStatus, IncidentStatus, ScorecardStatus

ACTOR = "aiom demo"
PER_PERSON = ("platform_identity", "conversation_state", "conversation_ref", "snooze", "outbox")


class DemoError(Exception):
    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


@dataclass
class Summary:
    use_cases: int = 0
    reviews: int = 0
    people: int = 0
    groups: int = 0


def _name(handle: str) -> str:
    return " ".join(p.title() for p in handle.split(".")) + " (demo)"


async def has_demo(session: AsyncSession) -> bool:
    q = select(func.count()).select_from(UseCase).where(UseCase.external_ref.like(org.REF_PREFIX + "%"))
    return bool((await session.execute(q)).scalar_one())


async def is_empty(session: AsyncSession) -> bool:
    return not (await session.execute(select(func.count()).select_from(UseCase))).scalar_one()


async def _person(session: AsyncSession, handle: str) -> Person:
    e = org.email(handle)
    return await people.by_email(session, e) or await people.create(session, email=e, display_name=_name(handle))


async def _scorecard(session, uc: UseCase, instrument: str, values: dict[str, int], now: datetime) -> None:
    sc = Scorecard(use_case_id=uc.id, instrument=instrument, attempt=1, status=ScorecardStatus.COMPLETE,
                   answered=len(values), started_by_id=uc.business_owner_id, started_at=now, last_answer_at=now,
                   completed_at=now)
    session.add(sc)
    await session.flush()
    for key, v in values.items():
        session.add(ScorecardAnswer(scorecard_id=sc.id, item_key=key, value=v, answered_by_id=uc.business_owner_id,
                                    answered_at=now))


async def _instruments(session, policy: Policy, uc: UseCase, level: int, n: int, now: datetime) -> None:
    """What the gates up to `level` (0: out of exploration, 1: out of pilot, ...) need."""
    areas = {a.key for a in policy.risk_register.areas}
    for area, text, likelihood, impact in org.RISKS[: 1 + n % 3]:
        area = area if area in areas else policy.risk_register.areas[0].key
        session.add(RiskEntry(use_case_id=uc.id, area_key=area, description=text, likelihood=likelihood,
                              impact=impact, owner_id=uc.delivery_owner_id, control="Reviewed by the owners",
                              status="open", created_by_id=uc.business_owner_id, created_at=now, updated_at=now))
    ps, rd = policy.pilot_selection, policy.readiness
    await _scorecard(session, uc, "pilot_selection", {i.key: max(ps.scale_min, ps.scale_max - (n + j) % 3 // 2)
                                                      for j, i in enumerate(ps.items)}, now)
    if level >= 1:  # strong enough to pass without conditions
        await _scorecard(session, uc, "readiness", {i.key: max(rd.scale_min, rd.scale_max - (n + j) % 4 // 3)
                                                    for j, i in enumerate(rd.items)}, now)
        uc.risk_reviewed_at = now
    if level >= 2:
        await _scorecard(session, uc, "rollout_checklist", {i.key: 1 for i in policy.rollout_checklist.items}, now)
        if uc.vendor_involved:
            await _scorecard(session, uc, "vendor_checklist", {i.key: 1 for i in policy.vendor_checklist.items}, now)
    if level >= 3:
        layer = policy.kpis.layers[0].key
        session.add(Kpi(use_case_id=uc.id, layer=layer, name="Hours saved per week", unit="hours", baseline=0,
                        target=40, direction="higher", owner_id=uc.business_owner_id, cadence="monthly",
                        created_at=now, next_due_at=now + timedelta(days=30)))
    session.add(uc)
    await session.flush()


async def _add_members(session, policy: Policy, now: datetime) -> int:
    n = 0
    keys = {g.key for g in policy.review.groups}
    for key, handles in org.MEMBERS.items():
        if key not in keys:
            continue
        for h in handles:
            await _person(session, h)
        emails = [org.email(h) for h in handles]

        def edit(row, current, emails=emails):
            row.members = sorted(set(current["members"]) | set(emails))

        await changes.change(session, policy, key, edit, now=now, actor_id=None, actor_label=ACTOR,
                             why="demo organisation loaded")
        n += 1
    return n


async def load(session: AsyncSession, base: Policy, *, now: datetime, platforms: set[str]) -> Summary:
    if await has_demo(session):
        raise DemoError("The demo organisation is already loaded. “aiom demo --remove” takes it away.")
    out = Summary()
    out.groups = await _add_members(session, base, now)
    policy = apply(base, await group_settings.all_settings(session))
    sponsors = [await _person(session, h) for h in org.MEMBERS["leadership"]]
    keys = policy.stage_keys
    pending: list[UseCase] = []
    for n, (title, stage, tier, vendor, theme, timeline, outcome, gate) in enumerate(org.USE_CASES):
        if stage not in keys:
            continue
        level = keys.index(stage)
        owner = await _person(session, org.OWNERS[n % len(org.OWNERS)])
        delivery = await _person(session, org.DELIVERY[n % len(org.DELIVERY)])
        proposer = await _person(session, org.PROPOSERS[n % len(org.PROPOSERS)])
        start = now - timedelta(days=25 * level + 12 + n)
        uc = await use_cases.create(
            session, title=title, problem=f"Today this is slow, manual work. ({title}, a demo use case.)",
            outcome=outcome, value_stream="Demo", theme=theme, affected_users="Demo teams",
            data_used="Internal documents", data_sensitivity="internal", vendor_involved=vendor,
            vendor_name="Demo AI Ltd" if vendor else "", target_timeline=timeline, proposer_id=proposer.id,
            business_owner_id=owner.id, delivery_owner_id=delivery.id, sponsor_id=sponsors[n % 2].id,
            risk_tier=tier, stage=keys[0], created_at=start, updated_at=start, stage_entered_at=start,
            external_ref=f"{org.REF_PREFIX}{n + 1}")
        at = start
        for prev, nxt in zip(keys[:level], keys[1:level + 1]):
            at = at + timedelta(days=25)
            session.add(StageChange(use_case_id=uc.id, from_stage=prev, to_stage=nxt, kind="advance",
                                    by_person_id=owner.id, at=at))
        uc.stage, uc.stage_entered_at = stage, at
        if stage == "pilot":  # one pilot past its exit date with no decision: the digest calls it limbo
            uc.pilot_exit_date = (now - timedelta(days=5)).date() if title.startswith("Sales") else \
                (now + timedelta(days=40)).date()
        await _instruments(session, policy, uc, level if not gate else level, n, now)
        if gate:
            pending.append(uc)
        out.use_cases += 1
    await _operations(session, policy, now)
    await session.flush()
    for uc in pending:
        gate = policy.gate_from(uc.stage)
        if gate is None:
            continue
        owner = await people.get(session, uc.business_owner_id)
        acting = Ctx(session=session, policy=policy, platforms=platforms, now=now, person_id=owner.id,
                        label=owner.email or ACTOR)
        _gr, rows = await gating.open_gate(acting, uc, gate)
        out.reviews += len(rows)
    out.people = (await session.execute(select(func.count()).select_from(Person).where(
        Person.email.like(f"%@{org.DEMO_DOMAIN}")))).scalar_one()
    await audit.append(session, action="demo.loaded", actor_label=ACTOR, at=now,
                       data={"use_cases": out.use_cases, "reviews": out.reviews, "people": out.people})
    return out


async def _by_title(session, title: str) -> UseCase | None:
    return (await session.execute(select(UseCase).where(UseCase.title == title, UseCase.external_ref.like(
        org.REF_PREFIX + "%")))).scalar_one_or_none()


async def _operations(session, policy: Policy, now: datetime) -> None:
    """Conditions, KPIs with their history, and one open incident."""
    mk = await _by_title(session, "Marketing copy variants")
    ks = await _by_title(session, "Knowledge search for engineers")
    for uc, text, due in ((mk, "Brand team signs off the first 50 variants", 14),
                          (ks, "Access limited to engineering staff until the security test is done", -3)):
        if uc is not None:
            session.add(Condition(use_case_id=uc.id, text=text, owner_id=uc.delivery_owner_id,
                                  status=ConditionStatus.OPEN, due_date=(now + timedelta(days=due)).date(),
                                  created_by_id=uc.sponsor_id, created_at=now - timedelta(days=20)))
    layers = {lay.key for lay in policy.kpis.layers}
    for title, spec in (("IT service desk triage", org.KPIS[0]), ("IT service desk triage", org.KPIS[1]),
                        ("Meeting notes and actions", org.KPIS[2])):
        uc = await _by_title(session, title)
        layer, name, unit, base, target, direction, cadence, values = spec
        if uc is None or layer not in layers:
            continue
        kpi = Kpi(use_case_id=uc.id, layer=layer, name=name, unit=unit, baseline=base, target=target,
                  direction=direction, owner_id=uc.business_owner_id, cadence=cadence, created_at=now,
                  last_value=values[-1], last_value_at=now - timedelta(days=2),
                  next_due_at=now + timedelta(days=policy.kpis.cadence_days.get(cadence, 30)))
        session.add(kpi)
        await session.flush()
        for i, v in enumerate(values):
            session.add(KpiValue(kpi_id=kpi.id, value=v, at=now - timedelta(days=7 * (len(values) - i)),
                                 reported_by_id=uc.business_owner_id))
    it = await _by_title(session, "IT service desk triage")
    if it is not None and policy.incidents.severities:
        sev = policy.incidents.severities[min(1, len(policy.incidents.severities) - 1)].key
        session.add(Incident(use_case_id=it.id, description="Payroll tickets were routed to the public IT queue.",
                             severity=sev, affected="About 40 payroll tickets over two days",
                             status=IncidentStatus.ACKNOWLEDGED, reported_by_id=it.business_owner_id,
                             reported_at=now - timedelta(hours=6), acknowledged_by_id=it.delivery_owner_id,
                             acknowledged_at=now - timedelta(hours=5), responder_id=it.delivery_owner_id))


async def remove(session: AsyncSession, base: Policy, *, now: datetime) -> Summary:
    """Delete the demo use cases with everything that hangs off them, the demo people (unless real data names
    them) and the demo members of the review groups."""
    out = Summary()
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    ucs = set((await session.execute(select(UseCase.id).where(UseCase.external_ref.like(
        org.REF_PREFIX + "%")))).scalars())
    doomed: dict[str, set] = {"use_case": ucs}
    if ucs:  # a real use case linked to a demo one loses only the link
        await session.execute(update(UseCase).where(UseCase.linked_to_id.in_(ucs), UseCase.id.not_in(ucs))
                              .values(linked_to_id=None))
    for t in SQLModel.metadata.sorted_tables:  # parents first: what hangs off a doomed row is doomed too
        if t.name in ("use_case",) or "id" not in t.c:
            continue
        conds = [c.in_(doomed[fk.column.table.name]) for c in t.c for fk in c.foreign_keys
                 if fk.column.table.name != "person" and doomed.get(fk.column.table.name)]
        if conds:
            doomed[t.name] = set((await session.execute(select(t.c.id).where(or_(*conds)))).scalars())
    reviews = doomed.get("review_request", set())
    for t in reversed(SQLModel.metadata.sorted_tables):
        ids = doomed.get(t.name)
        if ids:
            await session.execute(delete(t).where(t.c.id.in_(ids)))
    purposes = [f"review:{r}" for r in reviews] + [f"tier:{u}" for u in ucs]
    if purposes:
        await session.execute(delete(MessageRef).where(MessageRef.purpose.in_(purposes)))
    out.use_cases, out.reviews = len(ucs), len(reviews)
    out.groups = await _remove_members(session, base, now)
    demo = set((await session.execute(select(Person.id).where(Person.email.like(f"%@{org.DEMO_DOMAIN}")))).scalars())
    if demo:
        for name in PER_PERSON:
            t = tables[name]
            await session.execute(delete(t).where(t.c.person_id.in_(demo)))
        still = set()
        for t in SQLModel.metadata.sorted_tables:
            for c in t.c:
                if any(fk.column.table.name == "person" for fk in c.foreign_keys):
                    still |= set((await session.execute(select(c).where(c.in_(demo)))).scalars())
        gone = demo - still
        if gone:
            await session.execute(delete(Person).where(Person.id.in_(gone)))
        out.people = len(gone)
    await audit.append(session, action="demo.removed", actor_label=ACTOR, at=now,
                       data={"use_cases": out.use_cases, "reviews": out.reviews, "people": out.people})
    return out


async def _remove_members(session, base: Policy, now: datetime) -> int:
    n = 0
    suffix = "@" + org.DEMO_DOMAIN
    for row in await group_settings.all_settings(session):
        if not row.members or not any(m.endswith(suffix) for m in row.members):
            continue
        file_members = sorted({m.strip().lower() for m in base.review.group(row.key).members}) \
            if row.key in {g.key for g in base.review.groups} else []

        def edit(r, current):
            r.members = sorted(m for m in current["members"] if not m.endswith(suffix))

        await changes.change(session, base, row.key, edit, now=now, actor_id=None, actor_label=ACTOR,
                             why="demo organisation removed")
        if row.members == file_members and row.channels is None and not row.source:
            row.members = None  # back to the policy file, as before the demo
            row.version += 1
            session.add(row)
        n += 1
    await session.flush()
    return n
