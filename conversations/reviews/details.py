"""The view behind a review card's Details button: the use case's status, this gate's reviews, every condition
and the stage history."""
from __future__ import annotations

from conversations.context import Ctx
from conversations.reviews import rules
from conversations.reviews.card_data import CardData
from conversations.reviews.cards import DECIDED, DECISION_WORDS
from conversations.risks.register import area_name
from conversations.status import commands as status
from conversations.status import views as status_views
from storage.repo import conditions, people, reviews, use_cases
from vocabulary.labels import group_name, stage_label, uc_ref
from vocabulary.messages import Context, Header, Message, Text
from vocabulary.text import clip, day


async def details(ctx: Ctx, d: CardData) -> list[Message]:
    """The full picture behind a card (whispered to whoever clicked Details): the use case's status view, then
    this gate's reviews, every condition and the stage history."""
    return [await _status_view(ctx, d.uc), await _gate_details(ctx, d)]


async def _gate_details(ctx: Ctx, d: CardData) -> Message:
    uc, policy = d.uc, ctx.policy
    parts = await reviews.for_gate(ctx.session, d.gate.id)
    decs = await reviews.decisions(ctx.session, [r.id for r in parts])
    conds = await conditions.for_use_case(ctx.session, uc.id)
    names = await people.get_many(ctx.session, [x.person_id for x in decs] + [c.owner_id for c in conds if c.owner_id])
    d.people.update(names)
    rows = []
    for r in parts:
        who = [f"{d.name(x.person_id)} {DECISION_WORDS.get(x.decision, x.decision)}" for x in decs
               if x.review_id == r.id]
        state = DECIDED.get(r.status, "open" if r.status in rules.OPEN else r.status)
        rows.append(f"• {group_name(policy, r.group_key)}: {state}" + (f" ({'; '.join(who)})" if who else "")
                    + (f", due {day(r.due_at)}" if r.status in rules.OPEN else ""))
    blocks = [Header(clip(f"{uc_ref(uc)} {uc.title}: details", 150))]
    blocks += [Text([f"Reviews for {stage_label(policy, d.gate.from_stage)} → {stage_label(policy, d.gate.to_stage)}"
                    f" (attempt {d.gate.attempt}):\n" + "\n".join(rows)])]
    if conds:
        blocks.append(Text(["Conditions:\n" + "\n".join(
            f"• #{c.id} [{c.status}] {clip(c.text, 200)} (owner {d.name(c.owner_id)}, due {day(c.due_date)})"
            for c in conds)]))
    history = await use_cases.stage_history(ctx.session, uc.id)
    if history:
        blocks.append(Context("History: " + "; ".join(
            f"{day(h.at)} {h.kind} {stage_label(policy, h.to_stage)}" for h in history[-6:])))
    return Message(blocks, fallback=f"{uc_ref(uc)} details")


async def _status_view(ctx: Ctx, uc) -> Message:
    """The use case's status view (conversations/status/commands.py)."""
    data = await status.use_case_status(ctx, uc)

    def risk_line(r) -> str:
        return (f"• {area_name(ctx.policy, r.area_key)} · likelihood {r.likelihood}, impact {r.impact} · "
                f"{data.names.get(r.owner_id, 'no owner')}: {clip(r.description, 120)}")
    return status_views.use_case_message(ctx.policy, data, risk_line)
