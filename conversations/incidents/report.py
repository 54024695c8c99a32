"""Incidents in chat: anyone reports one on a live use case (`incident UC-4`); the delivery owner and the
review groups the policy names for its severity get the incident card at once; the card's buttons take it
to closure (conversations/incidents/actions.py)."""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.incidents import cards as incident_cards
from conversations.incidents.live_access import use_case_for
from vocabulary.labels import parse_uc_id, stage_label, uc_ref
from vocabulary.messages import Header, Message, Text
from vocabulary.policy import Policy
from conversations.stepflow import StepFlow
from conversations.steps import Step
from storage.repo import outbox_enqueue as notify
from storage.repo import incidents as repo
from storage.repo import outbox, use_cases
from storage.tables import Incident, UseCase
from vocabulary.states import CLOSED_USE_CASE, FlowStatus, IncidentStatus

FLOW = "incident_report"
LIVE_STAGES = ("controlled_rollout", "scale_decision", "ongoing_operation")


def _severity_choices(ctx: Ctx, data: dict) -> list[tuple[str, str]]:
    return [(s.key, s.label) for s in ctx.policy.incidents.severities]


def _severity_help(policy: Policy) -> str:
    parts = []
    for s in policy.incidents.severities:
        ack = f", to be acknowledged within {s.ack_within_minutes} minutes" if s.ack_within_minutes else ""
        parts.append(f"{s.label}: tells {', '.join(s.notify_groups)}{ack}")
    return "; ".join(parts) + "."


class IncidentReportFlow(StepFlow):
    name = FLOW
    title = "Incident report"
    noun = "incident report"
    submit_label = "Report the incident"

    def intro(self, ctx: Ctx) -> Message:
        return Message([Header(f"Report an incident on UC-{ctx.state.data['uc']}"),
                        Text(["Three short questions. As soon as you submit, the delivery owner and the review "
                              "groups for its severity are told."])])

    def steps(self, ctx: Ctx) -> list[Step]:
        return [
            Step("description", "What happened", "What happened? Say what you saw and when.", min_len=10),
            Step("severity", "Severity", "How severe is it?", kind="choice", choices=_severity_choices,
                 help=_severity_help(ctx.policy)),
            Step("affected", "Who is affected", "Who is affected, and how many people roughly?", min_len=2),
        ]

    async def submit(self, ctx: Ctx) -> None:
        d = ctx.state.data
        uc = await use_cases.get(ctx.session, int(d["uc"]))
        ctx.state.status = FlowStatus.DONE
        check_live(ctx, uc)
        inc = await repo.create(ctx.session, use_case_id=uc.id, description=d["description"], severity=d["severity"],
                                affected=d["affected"], status=IncidentStatus.OPEN, reported_by_id=ctx.person.id,
                                reported_at=ctx.now)
        await ctx.audit("incident.reported", entity="incident", entity_id=inc.id, use_case_id=uc.id,
                        data={"severity": inc.severity, "description": inc.description, "affected": inc.affected})
        await tell_at_once(ctx, inc, uc)
        ctx.say(Message([Text([f"Thank you. Incident #{inc.id} is recorded and the people responsible have been "
                               "told. This card updates as they act on it."])]))
        card = incident_cards.card(ctx.policy, inc, uc, await incident_cards.people_of(ctx.session, inc))
        ctx.say(card, remember_as=incident_cards.purpose(inc.id))


def check_live(ctx: Ctx, uc: UseCase | None) -> None:
    if uc is None or uc.status in CLOSED_USE_CASE:
        raise Refusal("That use case is no longer running, so it cannot have a new incident.")
    if uc.stage not in LIVE_STAGES:
        raise Refusal(f"{uc_ref(uc)} is in {stage_label(ctx.policy, uc.stage).lower()}, not live yet: incidents are "
                      "reported from controlled rollout onwards. Please tell its delivery owner directly.")


async def tell_at_once(ctx: Ctx, inc: Incident, uc: UseCase) -> None:
    severity = next(s for s in ctx.policy.incidents.severities if s.key == inc.severity)
    card = incident_cards.card(ctx.policy, inc, uc, await incident_cards.people_of(ctx.session, inc))
    where = incident_cards.purpose(inc.id)
    for group in severity.notify_groups:
        await ctx.notify_group(group, card, key=f"{where}:card:{group}", remember_as=where, use_case_id=uc.id,
                               subject=where)
    if uc.delivery_owner_id and uc.delivery_owner_id != ctx.person.id:
        await dm_card(ctx, uc.delivery_owner_id, card, key=f"{where}:card:delivery_owner", use_case_id=uc.id,
                      remember_as=where)


async def dm_card(ctx: Ctx, person_id: int, message: Message, *, key: str, use_case_id: int,
                  remember_as: str) -> None:
    """A direct message that is remembered, so later card updates reach it too."""
    platform = await notify.choose_platform(ctx.session, person_id, ctx.platforms)
    if platform is None:
        return
    new = await outbox.enqueue(ctx.session, dedupe_key=key, platform=platform, kind="dm", target=str(person_id),
                               ref_purpose=remember_as, message=message.to_dict(), subject=remember_as,
                               use_case_id=use_case_id, person_id=person_id, now=ctx.now)
    ctx.outbox_written = ctx.outbox_written or bool(new)


async def start_report(ctx: Ctx, uc: UseCase) -> None:
    check_live(ctx, uc)
    await ctx.start_flow(FLOW, {"uc": uc.id})


def register(engine: Engine) -> None:
    engine.add_flow(IncidentReportFlow())

    @engine.command("incident", help="incident UC-4 reports an incident on a live use case")
    async def incident_command(ctx: Ctx, args: str) -> None:
        uc_id = next((parse_uc_id(w) for w in args.split() if parse_uc_id(w) is not None), None)
        await start_report(ctx, await use_case_for(ctx, uc_id, "“incident UC-4”"))

    @engine.command("incidents", help="incidents UC-4 lists a use case's open incidents")
    async def incidents_command(ctx: Ctx, args: str) -> None:
        uc_id = next((parse_uc_id(w) for w in args.split() if parse_uc_id(w) is not None), None)
        uc = await use_case_for(ctx, uc_id, "“incidents UC-4”")
        lines = await incident_cards.open_incident_lines(ctx.session, uc.id, ctx.policy)
        ctx.say(Message([Header(f"Open incidents of {uc_ref(uc)}: {uc.title}"[:150]),
                         *incident_cards.incident_blocks(lines)]))

    @engine.action("incident.report")
    async def report_button(ctx: Ctx, payload: dict) -> None:
        try:
            uc_id = int(payload.get("uc"))
        except (TypeError, ValueError):
            uc_id = None
        await start_report(ctx, await use_case_for(ctx, uc_id, "“incident UC-4”"))
