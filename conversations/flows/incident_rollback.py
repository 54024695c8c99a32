"""Rolling back after an incident: pause, limit or reverse, by the people the policy grants it to.

A pause also pauses the use case (status paused, a "pause" stage change) until leadership resumes it.
"""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from conversations.flows import incident_cards as cards
from conversations.flows.incident_actions import MIN_TEXT, _changed, _text, refresh, tell
from conversations.people import display
from storage.repo import people, use_cases
from storage.tables import Incident, UseCase


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
                      f"{inc.rollback_at:%d %b %Y %H:%M} UTC.")
    await _changed(ctx, inc, rollback_action=action, rollback_by_id=ctx.person.id, rollback_at=ctx.now,
                   rollback_reason=reason[:1000])
    await ctx.audit("incident.rolled_back", entity="incident", entity_id=inc.id, use_case_id=uc.id,
                    data={"action": action, "reason": reason[:1000]})
    paused = False
    if action == "pause" and uc.status == "active":
        await use_cases.update_fields(ctx.session, uc.id, bump_version=False, status="paused",
                                      status_reason=f"Paused after incident #{inc.id}: {reason[:500]}")
        await use_cases.record_stage_change(ctx.session, use_case_id=uc.id, from_stage=uc.stage, to_stage=uc.stage,
                                            kind="pause", reason=f"Incident #{inc.id}: {reason[:500]}",
                                            by_person_id=ctx.person.id, at=ctx.now)
        await ctx.audit("use_case.paused", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                        data={"reason": reason[:1000], "incident_id": inc.id})
        paused = True
    await refresh(ctx, inc, uc)
    what = f"UC-{uc.id} ({uc.title[:80]}) is paused for everyone" if paused else \
        f"rollback “{actions[action].lower()}” was taken on UC-{uc.id} ({uc.title[:80]})"
    await tell(ctx, inc, uc, f"After incident #{inc.id}, {display(ctx.person)} decided: {what}. Reason: "
                             f"{reason[:300]}", f"rollback:{action}")
    ctx.say(f"Done: {what}. Everyone involved has been told." if paused else
            f"Recorded: {actions[action].lower()}. Everyone involved has been told.")
