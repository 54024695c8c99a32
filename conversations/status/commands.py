"""Status in chat: `my` (ideas, reviews waiting, scorecards owed), `status UC-4`, and `portfolio`.

Everything shown passes the visibility rule of conversations/access.py (restricted use cases only
to the people involved, their reviewers and leadership).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import access
from conversations.people import absence
from conversations.stages import gate_facts
from conversations.stages import readiness_drops
from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.incidents import cards as incident_cards
from conversations.kpis import views as kpi_views
from conversations.incidents.report import LIVE_STAGES
from conversations.incidents.live_access import in_groups
from conversations.status.pictures import offer_portfolio_pictures
from conversations.status import views
from conversations.risks.register import area_name, label_of, top_open
from conversations.access import visible_use_case
from conversations.payload import BAD_BUTTON
from vocabulary.text import clip
from vocabulary.labels import parse_uc_id, stage_label
from vocabulary.messages import Message
from vocabulary.policy import Policy
from vocabulary.rules.gates import check_gate
from storage.repo import instruments, people, use_cases
from storage.repo import status as repo
from storage.tables import UseCase
from conversations.regulation.frameworks import show_frameworks
from vocabulary.states import CLOSED_USE_CASE, TierOverride, UseCaseStatus


def group_name(policy: Policy, key: str) -> str:
    try:
        return policy.review.group(key).name
    except KeyError:
        return key


def review_line(policy: Policy, rr, uc: UseCase) -> views.ReviewLine:
    return views.ReviewLine(group_name=group_name(policy, rr.group_key), due_at=rr.due_at, status=rr.status,
                            uc_id=uc.id, uc_title=uc.title)


# -- my ---------------------------------------------------------------------------------------------
async def next_step(session: AsyncSession, policy: Policy, uc: UseCase) -> str:
    """One line: what should happen next for this use case."""
    if uc.status in CLOSED_USE_CASE:
        return f"nothing: it was {uc.status}" + (f" ({clip(uc.status_reason, 120)})" if uc.status_reason else "") + "."
    if uc.status == UseCaseStatus.PAUSED:
        return "nothing until leadership resumes it."
    reviews = await repo.open_reviews(session, uc.id)
    gate, check = await gate_facts.next_gate_check(session, policy, uc)
    if gate is None:
        return "keep reporting its KPIs and incidents."
    to = stage_label(policy, gate.to_stage)
    if reviews:
        groups = ", ".join(dict.fromkeys(group_name(policy, r.group_key) for r in reviews))
        return f"the move to {to} is with {groups} for review."
    if check.ok:
        return f"ask for the review of the move to {to}: move UC-{uc.id}"
    m = check.missing[0]
    extra = f" (and {len(check.missing) - 1} more for the move to {to})" if len(check.missing) > 1 else ""
    return f"{m.what} {m.how}{extra}"


async def my_items(session: AsyncSession, policy: Policy, *, person_id: int | None, email: str | None,
                   today: date) -> Message | None:
    """The "my" view as a neutral message: the person's ideas with stage and next step (by `person_id`), the
    reviews waiting for them (by `email`: reviewers are group members by email, so someone aiom has not met yet
    may have some) and the scorecards they still owe. None when there is none of these. The chat's `my` and a
    platform's home tab (bot/slack/home.py) both show it."""
    ideas = await repo.ideas_for(session, person_id) if person_id is not None else []
    lines = [views.IdeaLine(i.use_case, i.roles, await next_step(session, policy, i.use_case))
             for i in ideas[:views.MAX_IDEAS]]
    waiting = [review_line(policy, w.review, w.use_case)
               for w in await repo.reviews_waiting_for(session, policy, email)] if email else []
    owed = await repo.scorecards_owed(session, person_id) if person_id is not None else []
    if not (ideas or waiting or owed):
        return None
    return views.my_message(policy, lines, len(ideas), waiting, owed, today)


async def show_mine(ctx: Ctx) -> None:
    today = ctx.now.date()
    mine = await my_items(ctx.session, ctx.policy, person_id=ctx.person.id, email=ctx.person.email, today=today)
    ctx.say(mine or views.my_message(ctx.policy, [], 0, [], [], today))


# -- one use case --------------------------------------------------------------------------------
async def use_case_status(ctx: Ctx, uc: UseCase) -> views.UseCaseStatus:
    s, policy = ctx.session, ctx.policy
    facts = await gate_facts.gather(s, policy, uc)
    gate = gate_facts.next_gate(policy, uc)
    check = check_gate(policy, gate, facts) if gate is not None else None
    started = set(await instruments.latest_for(s, uc.id))
    risks = await instruments.risks_for(s, uc.id)
    top = top_open(policy, risks, 3)
    conditions = await repo.open_conditions(s, uc.id)
    contributors = await use_cases.contributors(s, uc.id)
    ids = {uc.business_owner_id, uc.delivery_owner_id, uc.sponsor_id, uc.proposer_id, *contributors}
    ids |= {r.owner_id for r in top} | {c.owner_id for c in conditions}
    found = await people.get_many(s, [i for i in ids if i])
    names = {pid: (p.display_name or p.email or f"person {pid}") for pid, p in found.items()}
    kpis = await kpi_views.kpi_lines(s, uc.id, policy)
    names, kpis = await absence.annotate_status(s, names, kpis, ctx.now.date())
    incidents = await incident_cards.open_incident_lines(s, uc.id, policy)
    return views.UseCaseStatus(
        uc=uc, names=names, facts=facts, started=started, gate=gate, check=check, risks=top,
        open_risks=len(top_open(policy, risks, len(risks))),
        reviews=[review_line(policy, r, uc) for r in await repo.open_reviews(s, uc.id)],
        conditions=conditions, reminders=await repo.recent_reminders(s, uc.id),
        kpi_blocks=kpi_views.kpi_blocks(kpis) if kpis else [],
        incident_blocks=incident_cards.incident_blocks(incidents) if incidents else [],
        linked=await linked_text(ctx, uc), contributors=[names[p] for p in contributors if p in names],
        is_owner=access.is_owner(ctx.person, uc),
        may_report=uc.stage in LIVE_STAGES and uc.status == UseCaseStatus.ACTIVE,
        may_lift_limit=bool(uc.scope_limit) and in_groups(ctx, policy.incidents.rollback_groups),
        today=ctx.now.date(),
        readiness_drop=[m.what for m in readiness_drops.standing_blockers(policy, uc, facts)])


async def linked_text(ctx: Ctx, uc: UseCase) -> str:
    """'UC-3 · Claims triage' for the idea this one was linked to at intake (restricted ones unnamed)."""
    if not uc.linked_to_id:
        return ""
    other = await use_cases.get(ctx.session, uc.linked_to_id)
    if other is None:
        return ""
    if not await access.can_see(ctx.session, ctx.policy, ctx.person, other):
        return "a similar restricted use case"
    return f"UC-{other.id} · {clip(other.title, 80)}"


async def show_use_case(ctx: Ctx, uc_id: int) -> None:
    uc = await visible_use_case(ctx, uc_id)
    data = await use_case_status(ctx, uc)
    rr = ctx.policy.risk_register

    def risk_line(r) -> str:
        return (f"• {area_name(ctx.policy, r.area_key)} · likelihood {label_of(rr.likelihood, r.likelihood).lower()}, "
                f"impact {label_of(rr.impact, r.impact).lower()} · {data.names.get(r.owner_id, 'no owner')}: "
                f"{clip(r.description, 120)}")

    ctx.say(views.use_case_message(ctx.policy, data, risk_line), thread_of=f"use_case:{uc.id}")


# -- portfolio --------------------------------------------------------------------------------------
async def show_portfolio(ctx: Ctx) -> None:
    who = await access.viewer(ctx.session, ctx.policy, ctx.person)
    all_ucs = [uc for uc in await repo.portfolio_use_cases(ctx.session) if who.sees(uc)]
    counts: dict[str, dict[str, int]] = {}
    for uc in all_ucs:
        counts.setdefault(uc.stage, {}).setdefault(uc.status, 0)
        counts[uc.stage][uc.status] += 1
    today = ctx.now.date()
    limbo = sorted((uc for uc in all_ucs if repo.pilot_past_exit(uc, today)), key=lambda u: u.pilot_exit_date)
    by_id = {uc.id: uc for uc in all_ucs}
    decisions: list[tuple[tuple, views.Decision]] = []
    for rr in await repo.all_open_reviews(ctx.session):
        uc = by_id.get(rr.use_case_id)
        if uc is None:
            continue
        overdue = rr.due_at < ctx.now
        lead = rr.group_key in access.leadership_groups(ctx.policy)
        text = (f"UC-{uc.id} · {clip(uc.title, 60)} · {group_name(ctx.policy, rr.group_key)} review due "
                f"{views.day(rr.due_at)}" + (" (overdue)" if overdue else "")
                + (" · escalated" if rr.level > 0 else ""))
        decisions.append(((not overdue, not lead, rr.due_at), views.Decision(text, uc.id)))
    for uc in all_ucs:
        if uc.tier_override_status == TierOverride.PENDING and uc.status == UseCaseStatus.ACTIVE:
            decisions.append(((True, True, uc.created_at), views.Decision(
                f"UC-{uc.id} · {clip(uc.title, 60)} · asks to be treated as {uc.tier_requested} risk", uc.id)))
    decisions.sort(key=lambda d: d[0])
    ctx.say(views.portfolio_message(ctx.policy, counts, len(all_ucs), limbo, [d for _, d in decisions], today))
    offer_portfolio_pictures(ctx, all_ucs)


def _uc_arg(args: str) -> int | None:
    for word in args.replace(",", " ").split():
        if parse_uc_id(word) is not None:
            return parse_uc_id(word)
    return None


def register(engine: Engine) -> None:
    @engine.command("my", "mine", "ideas", help="my shows your ideas, reviews waiting for you and scorecards you owe")
    async def my_command(ctx: Ctx, args: str) -> None:
        await show_mine(ctx)

    @engine.action("status.mine")
    async def mine_button(ctx: Ctx, payload: dict) -> None:
        await show_mine(ctx)

    @engine.command("status", help="status UC-4 shows everything about one use case")
    async def status_command(ctx: Ctx, args: str) -> None:
        uc_id = _uc_arg(args)
        words = args.replace(",", " ").split()
        if uc_id is not None and any(w.lower() in ("frameworks", "framework", "compliance") for w in words):
            await show_frameworks(ctx, uc_id, words)
            return
        if uc_id is None:
            if args.strip():
                ctx.say("Which use case? For example: “status UC-4”. Here is everything you are part of:")
            await show_mine(ctx)
            return
        await show_use_case(ctx, uc_id)

    @engine.action("status.show")
    async def status_button(ctx: Ctx, payload: dict) -> None:
        uc_id = payload.get("uc")
        if isinstance(uc_id, bool) or not isinstance(uc_id, int):
            raise Refusal(BAD_BUTTON)
        await show_use_case(ctx, uc_id)

    @engine.command("portfolio", help="portfolio shows every use case by stage and what needs a decision")
    async def portfolio_command(ctx: Ctx, args: str) -> None:
        await show_portfolio(ctx)

    @engine.action("portfolio.show")
    async def portfolio_button(ctx: Ctx, payload: dict) -> None:
        await show_portfolio(ctx)
