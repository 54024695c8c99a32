"""An owner asks to move a use case to its next stage: `move UC-4`, `next UC-4`, or the Request next stage button.

The preconditions come from the policy (checked by `conversations.stages.gate_facts`); anything missing is listed
with how to supply it. When they hold, one review per required group goes out with a due date.
"""
from __future__ import annotations

from conversations.stages import gate_facts
from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.reviews.cards import group_name, when
from conversations.groups import alerts
from vocabulary.labels import parse_uc_id, stage_label, uc_ref
from vocabulary.messages import Button, Buttons, Context, Facts, Header, Message, Text
from conversations.reviews import gating, rules
from storage.repo import reviews
from storage.tables import UseCase
from vocabulary.states import ReviewStatus, TierOverride, UseCaseStatus


def request_button(uc: UseCase) -> Button:
    """The button other views (status, cards) show to an owner when the next gate may be requested."""
    return Button("Request next stage", "gate.request", {"uc": uc.id}, style="primary")


async def request_gate(ctx: Ctx, use_case_id: int) -> None:
    uc = await reviews.lock_use_case(ctx.session, use_case_id)
    if uc is None:
        raise Refusal(f"There is no UC-{use_case_id}. Type “my” to see your use cases.")
    if ctx.person.id not in (uc.business_owner_id, uc.delivery_owner_id):
        raise Refusal(f"Only the business owner or the delivery owner of {uc_ref(uc)} can ask to move it to its "
                      "next stage.")
    if uc.status != UseCaseStatus.ACTIVE:
        why = f" ({uc.status_reason})" if uc.status_reason else ""
        raise Refusal(f"{uc_ref(uc)} is {uc.status}{why}, so it cannot move on"
                      + (" until leadership resumes it." if uc.status == UseCaseStatus.PAUSED else "."))
    pending = await reviews.pending_gate(ctx.session, uc.id)
    if pending is not None:
        ctx.say(await waiting_message(ctx, uc, pending))
        return
    gate, check = await gate_facts.next_gate_check(ctx.session, ctx.policy, uc)
    if gate is None:
        ctx.say(f"{uc_ref(uc)} is in {stage_label(ctx.policy, uc.stage)}, the last stage: there is no further "
                "gate. Its reviews now follow the operating cadence.")
        return
    to = stage_label(ctx.policy, gate.to_stage)
    if check is not None and check.missing:
        lines = [f"{i}. {m.what}\n   How: {m.how}" for i, m in enumerate(check.missing, 1)]
        n = len(check.missing)
        ctx.say(Message([Header(f"{uc_ref(uc)} is not ready for {to} yet"),
                         Text([f"{n} thing{'s' if n != 1 else ''} must be in place before the "
                               f"{stage_label(ctx.policy, gate.from_stage)} → {to} review can start:\n"
                               + "\n".join(lines)]),
                         Context(f"When they are done, type “move {uc_ref(uc)}” again.")],
                        fallback=f"{uc_ref(uc)} is not ready for {to} yet: {n} missing"))
        return
    gr, rows = await gating.open_gate(ctx, uc, gate)
    facts = [(group_name(ctx.policy, r.group_key), f"due {when(r.due_at)}") for r in rows]
    notes = []
    if check is not None and check.needs_conditions:
        notes.append(Context("Readiness is in a band that passes only with conditions: expect the reviewers to "
                             "attach conditions."))
    if uc.tier_override_status == TierOverride.PENDING:
        notes.append(Context(f"Your requested {uc.tier_requested} tier still waits for the risk reviewers; the "
                             f"reviews follow the {uc.effective_tier} tier until they accept it."))
    if ctx.undecidable:
        notes.extend(alerts.warning(uc, ctx.undecidable).blocks)
        notes.append(Context("The admins have been told."))
    ctx.say(Message([Header(f"{uc_ref(uc)}: review requested for {to}"),
                     Text([f"The {uc.effective_tier}-risk path for this gate needs {len(rows)} group"
                           f"{'s' if len(rows) != 1 else ''}. Each has the review card where it meets (its "
                           "channel, or each member's direct messages); you and the other owner will hear about "
                           "every decision here."]),
                     Facts(facts), *notes,
                     Buttons([Button("Status", "status.show", {"uc": uc.id})])],
                    fallback=f"{uc_ref(uc)}: review requested for {to}"))


async def waiting_message(ctx: Ctx, uc: UseCase, gate) -> Message:
    rows = await reviews.for_gate(ctx.session, gate.id)
    facts = []
    for r in rows:
        if r.status in rules.SUPERSEDED:
            continue
        state = {ReviewStatus.APPROVED: "approved", ReviewStatus.APPROVED_WITH_CONDITIONS: "approved with conditions",
                 ReviewStatus.INFO_REQUESTED: "waiting for your answer",
                 ReviewStatus.PENDING: f"open, due {when(r.due_at)}"}
        facts.append((group_name(ctx.policy, r.group_key), state.get(r.status, r.status)))
    return Message([Text([f"{uc_ref(uc)} already has a review under way for "
                          f"{stage_label(ctx.policy, gate.from_stage)} → {stage_label(ctx.policy, gate.to_stage)} "
                          f"(requested {when(gate.requested_at)}):"]), Facts(facts)])


def register(engine: Engine) -> None:
    @engine.command("move", "next", help="ask to move a use case to its next stage: move UC-4")
    async def move(ctx: Ctx, args: str) -> None:
        uc_id = parse_uc_id(args.split()[0]) if args.split() else None
        if uc_id is None:
            ctx.say("Which use case? For example: “move UC-4”.")
            return
        await request_gate(ctx, uc_id)

    @engine.action("gate.request")
    async def request(ctx: Ctx, payload: dict) -> None:
        try:
            uc_id = int(payload.get("uc"))
        except (TypeError, ValueError):
            raise Refusal("I could not read that button.") from None
        await request_gate(ctx, uc_id)
