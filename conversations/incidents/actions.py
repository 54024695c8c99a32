"""The incident card's buttons: acknowledge, assign a responder, record the response, roll back, close.

Every click re-reads the incident and re-checks the clicker; every change is conditional on the version
read (two clicks at once change it once); every step is audited and updates the card everywhere.
"""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.incidents import cards
from conversations.incidents.report import dm_card
from conversations.incidents.live_access import can_see, in_groups, person_from_form
from vocabulary.messages import Button, Buttons, Message, Text
from vocabulary.text import when
from conversations.people.lookup import display
from storage.repo import incidents as repo
from storage.repo import people, use_cases
from storage.tables import Incident, UseCase
from vocabulary.states import IncidentStatus

MIN_TEXT = 5


async def load(ctx: Ctx, payload: dict | None) -> tuple[Incident, UseCase]:
    try:
        inc = await repo.get(ctx.session, int((payload or {}).get("i")))
    except (TypeError, ValueError):
        inc = None
    uc = await use_cases.get(ctx.session, inc.use_case_id) if inc else None
    if inc is None or uc is None or not can_see(ctx, uc):
        raise Refusal("I could not find that incident any more.")
    return inc, uc


def handler_groups(ctx: Ctx, inc: Incident) -> list[str]:
    severity = next((s for s in ctx.policy.incidents.severities if s.key == inc.severity), None)
    return [*(severity.notify_groups if severity else []), *ctx.policy.incidents.rollback_groups,
            ctx.policy.review.leadership_group]


async def require_handler(ctx: Ctx, inc: Incident, uc: UseCase, *, open_only: bool = True) -> None:
    if ctx.person.id not in (uc.business_owner_id, uc.delivery_owner_id, inc.responder_id) \
            and not in_groups(ctx, handler_groups(ctx, inc)):
        raise Refusal(f"Incident #{inc.id} is handled by the owners of UC-{uc.id}, its responder and the groups the "
                      "policy names for its severity, so I left it as it is.")
    if open_only and inc.status == IncidentStatus.CLOSED:
        who = display(await people.get(ctx.session, inc.closed_by_id)) if inc.closed_by_id else "someone"
        raise Refusal(f"Incident #{inc.id} was already closed by {who} on {when(inc.closed_at)}.")


async def refresh(ctx: Ctx, inc: Incident, uc: UseCase) -> None:
    """Show the new state of the card to everyone who has it."""
    card = cards.card(ctx.policy, inc, uc, await cards.people_of(ctx.session, inc))
    ctx.replace_source(card)
    await ctx.update_everywhere(cards.purpose(inc.id), card, key=f"{cards.purpose(inc.id)}:v{inc.version}",
                                use_case_id=uc.id)


async def _changed(ctx: Ctx, inc: Incident, **values) -> None:
    if not await repo.change(ctx.session, inc, **values):
        raise Refusal(f"Someone changed incident #{inc.id} at the same moment; here it is as it stands now. "
                      "Please check it and try again if still needed.")


def _text(values: dict, name: str) -> str:
    raw = (values or {}).get(name)
    return raw.strip() if isinstance(raw, str) else ""


async def tell(ctx: Ctx, inc: Incident, uc: UseCase, line: str, step: str, *, skip: set[int] = frozenset()) -> None:
    """Tell everyone involved (owners, sponsor, reporter, responder) except the actor and `skip` (told already)."""
    message = Message([Text([line]), Buttons([Button("Open the incident", "incident.show", {"i": inc.id})])])
    involved = {uc.business_owner_id, uc.delivery_owner_id, uc.sponsor_id, inc.reported_by_id, inc.responder_id}
    for pid in sorted(p for p in involved if p and p != ctx.person.id and p not in skip):
        await ctx.notify_person(pid, message, key=f"{cards.purpose(inc.id)}:{step}:v{inc.version}:{pid}",
                                use_case_id=uc.id, subject=cards.purpose(inc.id))


def register(engine: Engine) -> None:
    @engine.action("incident.show")
    async def show(ctx: Ctx, payload: dict) -> None:
        inc, uc = await load(ctx, payload)
        ctx.say(cards.card(ctx.policy, inc, uc, await cards.people_of(ctx.session, inc)),
                remember_as=cards.purpose(inc.id))

    @engine.action("incident.ack")
    async def acknowledge(ctx: Ctx, payload: dict) -> None:
        inc, uc = await load(ctx, payload)
        await require_handler(ctx, inc, uc)
        if inc.status != IncidentStatus.OPEN:
            who = display(await people.get(ctx.session, inc.acknowledged_by_id))
            raise Refusal(f"Incident #{inc.id} was already acknowledged by {who} on "
                          f"{when(inc.acknowledged_at)}.")
        await _changed(ctx, inc, status=IncidentStatus.ACKNOWLEDGED, acknowledged_by_id=ctx.person.id,
                       acknowledged_at=ctx.now)
        await ctx.audit("incident.acknowledged", entity="incident", entity_id=inc.id, use_case_id=uc.id)
        await refresh(ctx, inc, uc)
        ctx.whisper(f"You acknowledged incident #{inc.id}; everyone with the card can see it.")

    @engine.action("incident.assign")
    async def assign_button(ctx: Ctx, payload: dict) -> None:
        inc, uc = await load(ctx, payload)
        await require_handler(ctx, inc, uc)
        ctx.open_form(cards.assign_form(inc))

    @engine.form("incident.assign")
    async def assign(ctx: Ctx, values: dict) -> None:
        inc, uc = await load(ctx, ctx.inbound.payload)
        await require_handler(ctx, inc, uc)
        responder = await person_from_form(ctx, (values or {}).get("responder"))
        if responder is None:
            ctx.form_errors(cards.assign_form(inc), {"responder": "I need a person: mention them or type their "
                                                                  "email address."})
            return
        ack = {"status": IncidentStatus.ACKNOWLEDGED, "acknowledged_by_id": ctx.person.id, "acknowledged_at": ctx.now} \
            if inc.status == IncidentStatus.OPEN else {}
        await _changed(ctx, inc, responder_id=responder.id, **ack)
        await ctx.audit("incident.responder_assigned", entity="incident", entity_id=inc.id, use_case_id=uc.id,
                        data={"responder_id": responder.id, "responder": responder.email, "acknowledged": bool(ack)})
        await refresh(ctx, inc, uc)
        if responder.id != ctx.person.id:
            who = display(ctx.person)
            card = cards.card(ctx.policy, inc, uc, await cards.people_of(ctx.session, inc))
            await ctx.notify_person(responder.id, Message([Text([f"{who} asked you to lead the response to incident "
                                                                 f"#{inc.id} on UC-{uc.id}. The card follows."])]),
                                    key=f"{cards.purpose(inc.id)}:responder:{responder.id}:v{inc.version}:note",
                                    use_case_id=uc.id)
            await dm_card(ctx, responder.id, card, key=f"{cards.purpose(inc.id)}:responder:{responder.id}:"
                                                       f"v{inc.version}", use_case_id=uc.id,
                          remember_as=cards.purpose(inc.id))
        ctx.say(f"{display(responder)} now leads the response to incident #{inc.id}.")

    @engine.action("incident.respond")
    async def respond_button(ctx: Ctx, payload: dict) -> None:
        inc, uc = await load(ctx, payload)
        await require_handler(ctx, inc, uc)
        ctx.open_form(cards.respond_form(inc))

    @engine.form("incident.respond")
    async def respond(ctx: Ctx, values: dict) -> None:
        inc, uc = await load(ctx, ctx.inbound.payload)
        await require_handler(ctx, inc, uc)
        text = _text(values, "response")
        if len(text) < MIN_TEXT:
            ctx.form_errors(cards.respond_form(inc), {"response": "Please say in a sentence what has been done."})
            return
        entry = f"{ctx.now:%d %b %H:%M} {display(ctx.person)}: {text[:2000]}"
        await _changed(ctx, inc, response=f"{inc.response}\n{entry}" if inc.response else entry)
        await ctx.audit("incident.response_recorded", entity="incident", entity_id=inc.id, use_case_id=uc.id,
                        data={"response": text[:2000]})
        await refresh(ctx, inc, uc)
        ctx.say(f"Recorded on incident #{inc.id}.")

    @engine.action("incident.close")
    async def close_button(ctx: Ctx, payload: dict) -> None:
        inc, uc = await load(ctx, payload)
        await require_handler(ctx, inc, uc)
        ctx.open_form(cards.close_form(inc))

    @engine.form("incident.close")
    async def close(ctx: Ctx, values: dict) -> None:
        inc, uc = await load(ctx, ctx.inbound.payload)
        await require_handler(ctx, inc, uc)
        cause, fix = _text(values, "cause"), _text(values, "corrective_action")
        errors = {}
        if len(cause) < MIN_TEXT:
            errors["cause"] = "Closing needs the cause, even if only partly known."
        if len(fix) < MIN_TEXT:
            errors["corrective_action"] = "Closing needs the corrective action: what changes so it does not recur."
        if errors:
            ctx.form_errors(cards.close_form(inc), errors)
            return
        await _changed(ctx, inc, status=IncidentStatus.CLOSED, closed_by_id=ctx.person.id, closed_at=ctx.now,
                       cause=cause[:2000], corrective_action=fix[:2000])
        await ctx.audit("incident.closed", entity="incident", entity_id=inc.id, use_case_id=uc.id,
                        data={"cause": cause[:2000], "corrective_action": fix[:2000]})
        await refresh(ctx, inc, uc)
        await tell(ctx, inc, uc, f"Incident #{inc.id} on UC-{uc.id} was closed by {display(ctx.person)}. Cause: "
                                 f"{cause[:300]}. Corrective action: {fix[:300]}.", "closed")
        ctx.say(f"Incident #{inc.id} is closed.")
