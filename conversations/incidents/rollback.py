"""Rolling back after an incident: pause, limit or reverse, by the people the policy grants it to
(`incidents.rollback_groups`, by verified email). Each is recorded on the incident and audited, and each
changes the use case:

- pause: the use case is paused for everyone (as a leadership pause: its reviews wait, their clocks stop)
  until leadership resumes it;
- limit: the use case keeps running in a restricted scope; what it is limited to (the reason given) is
  recorded on the use case (`scope_limit`), shown in its status as "Limited after incident #n", audited as
  use_case.limited, and stays until someone with rollback rights lifts it (audited as use_case.limit_lifted);
- reverse: the change is backed out: the use case goes back to the stage before its current one (a
  redirect with the reason: any pending gate is cancelled, a pilot gets a new exit date).

The people involved are told once: the use case's own notice (pause, reverse) reaches its proposer, owners
and sponsor; the incident's reporter and responder get the incident's notice.
"""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.incidents import cards
from conversations.incidents.actions import MIN_TEXT, _changed, _text, load, refresh, require_handler, tell
from conversations.incidents.live_access import group_names, in_groups, use_case_for
from vocabulary.labels import stage_label, uc_ref
from vocabulary.messages import Button, Buttons, Message, Text
from vocabulary.text import day, when
from conversations.people.lookup import display
from conversations.reviews import lifecycle
from storage.repo import people, reviews, use_cases
from storage.tables import Incident, UseCase
from vocabulary.states import LIVE_USE_CASE, IncidentStatus, UseCaseStatus


def previous_stage(ctx: Ctx, uc: UseCase) -> str | None:
    keys = ctx.policy.stage_keys
    if uc.stage not in keys or keys.index(uc.stage) == 0:
        return None
    return keys[keys.index(uc.stage) - 1]


def limit_text(inc: Incident, reason: str, ctx: Ctx) -> str:
    return f"Limited after incident #{inc.id} on {day(ctx.now)}: {reason[:500]}"


async def take_rollback(ctx: Ctx, inc: Incident, uc: UseCase, values: dict) -> None:
    actions = {c.key: c.label for c in ctx.policy.incidents.rollback_actions}
    action, reason = _text(values, "action"), _text(values, "reason")
    errors = {}
    if action not in actions:
        errors["action"] = "Please choose one of: " + ", ".join(actions.values()) + "."
    if len(reason) < MIN_TEXT:
        errors["reason"] = "Please give the reason in a sentence; everyone involved will see it."
    if errors:
        ctx.form_errors(cards.rollback_form(ctx.policy, inc), errors)
        return
    if inc.rollback_action == action:
        who = display(await people.get(ctx.session, inc.rollback_by_id))
        raise Refusal(f"That rollback ({actions[action].lower()}) was already taken by {who} on "
                      f"{when(inc.rollback_at)}.")
    uc = await reviews.lock_use_case(ctx.session, uc.id)
    if uc.status not in LIVE_USE_CASE:
        raise Refusal(f"{uc_ref(uc)} is {uc.status}, so there is nothing left to roll back.")
    back_to = previous_stage(ctx, uc)
    if action == "reverse" and back_to is None:
        raise Refusal(f"{uc_ref(uc)} is in its first stage, so there is no earlier stage to go back to. "
                      "Choose pause or limit instead.")
    await _changed(ctx, inc, rollback_action=action, rollback_by_id=ctx.person.id, rollback_at=ctx.now,
                   rollback_reason=reason[:1000])
    await ctx.audit("incident.rolled_back", entity="incident", entity_id=inc.id, use_case_id=uc.id,
                    data={"action": action, "reason": reason[:1000]})
    why = f"After incident #{inc.id}: {reason[:500]}"
    told = set()
    if action == "pause":
        if uc.status == UseCaseStatus.ACTIVE:
            await lifecycle.change_status(ctx, uc, "pause", why)
            told = set(lifecycle.involved(uc))
            what = f"{uc_ref(uc)} ({uc.title[:80]}) is paused for everyone until leadership resumes it"
        else:
            what = f"{uc_ref(uc)} ({uc.title[:80]}) stays paused"
    elif action == "limit":
        await use_cases.update_fields(ctx.session, uc.id, bump_version=False,
                                      scope_limit=limit_text(inc, reason, ctx))
        await ctx.audit("use_case.limited", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                        data={"incident_id": inc.id, "limit": reason[:1000]})
        what = (f"{uc_ref(uc)} ({uc.title[:80]}) now runs in a limited scope: {reason[:300]}. It shows in its "
                "status until the limit is lifted")
    else:
        before = stage_label(ctx.policy, uc.stage)
        await lifecycle.redirect(ctx, uc, back_to, why)
        told = set(lifecycle.involved(uc))
        what = (f"{uc_ref(uc)} ({uc.title[:80]}) was taken back from {before} to "
                f"{stage_label(ctx.policy, back_to)}")
    await ctx.session.refresh(uc)
    await refresh(ctx, inc, uc)
    await tell(ctx, inc, uc, f"After incident #{inc.id}, {display(ctx.person)} decided: {what}. Reason: "
                             f"{reason[:300]}", f"rollback:{action}", skip=told)
    ctx.say(f"Done: {what}. Everyone involved has been told.")


async def lift_limit(ctx: Ctx, uc: UseCase) -> None:
    groups = ctx.policy.incidents.rollback_groups
    if not in_groups(ctx, groups):
        raise Refusal(f"Sorry, lifting a limit is reserved for members of {group_names(ctx.policy, groups)}, who "
                      "may roll back after an incident. Nothing has changed.")
    uc = await reviews.lock_use_case(ctx.session, uc.id)
    if not uc.scope_limit:
        raise Refusal(f"{uc_ref(uc)} is not limited, so there is nothing to lift.")
    was = uc.scope_limit
    await use_cases.update_fields(ctx.session, uc.id, bump_version=False, scope_limit="")
    await ctx.audit("use_case.limit_lifted", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                    data={"was": was})
    message = Message([Text([f"{display(ctx.person)} lifted the limit on {uc_ref(uc)} “{uc.title[:80]}”: it runs in "
                             f"its full scope again. It was: {was[:300]}"]),
                       Buttons([Button("Status", "status.show", {"uc": uc.id})])])
    for pid in lifecycle.involved(uc):
        if pid != ctx.person.id:
            await ctx.notify_person(pid, message, key=f"uc:{uc.id}:limit_lifted:{ctx.now.isoformat()}:{pid}",
                                    use_case_id=uc.id)
    ctx.say(f"Lifted: {uc_ref(uc)} runs in its full scope again. Everyone involved has been told.")


async def require_rollback_right(ctx: Ctx, inc: Incident, uc: UseCase) -> None:
    if inc.status == IncidentStatus.CLOSED:
        await require_handler(ctx, inc, uc)  # explains who closed it
    groups = ctx.policy.incidents.rollback_groups
    if not in_groups(ctx, groups):
        raise Refusal(f"Sorry, rolling back is reserved for members of {group_names(ctx.policy, groups)}, as the "
                      f"policy sets it. Nothing has changed; those groups and the delivery owner have the card, and "
                      f"you can record what you know with Record response.")


def register(engine: Engine) -> None:
    @engine.action("incident.rollback")
    async def rollback_button(ctx: Ctx, payload: dict) -> None:
        inc, uc = await load(ctx, payload)
        await require_rollback_right(ctx, inc, uc)
        ctx.open_form(cards.rollback_form(ctx.policy, inc))

    @engine.form("incident.rollback")
    async def rollback(ctx: Ctx, values: dict) -> None:
        inc, uc = await load(ctx, ctx.inbound.payload)
        await require_rollback_right(ctx, inc, uc)
        await take_rollback(ctx, inc, uc, values or {})

    @engine.action("incident.lift_limit")
    async def lift_button(ctx: Ctx, payload: dict) -> None:
        try:
            uc_id = int(payload.get("uc"))
        except (TypeError, ValueError):
            uc_id = None
        await lift_limit(ctx, await use_case_for(ctx, uc_id, "“status UC-4”"))
