"""How incidents look: the incident card (updated in place after every step), its forms, and status lines.

The status view calls `open_incident_lines` + `incident_blocks`; the digest reads the incident table.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.text import clip, day, when
from vocabulary.messages import Block, Button, Buttons, Context, Facts, Form, FormField, Header, Message, Text
from conversations.people.lookup import display
from vocabulary.policy import Policy
from storage.repo import incidents as repo
from storage.repo import people
from storage.tables import Incident, Person, UseCase
from vocabulary.states import IncidentStatus

STATUS_TEXT = {IncidentStatus.OPEN: "Open, not yet acknowledged", IncidentStatus.ACKNOWLEDGED: "Acknowledged",
               IncidentStatus.CLOSED: "Closed"}


def purpose(incident_id: int) -> str:
    return f"incident:{incident_id}"


def severity_label(policy: Policy | None, key: str) -> str:
    if policy is not None:
        for s in policy.incidents.severities:
            if s.key == key:
                return f"{s.label} ({s.key})"
    return key


def rollback_label(policy: Policy | None, key: str | None) -> str:
    if not key:
        return ""
    if policy is not None:
        for c in policy.incidents.rollback_actions:
            if c.key == key:
                return c.label
    return key


async def people_of(session: AsyncSession, inc: Incident) -> dict[int, Person]:
    ids = [inc.reported_by_id, inc.acknowledged_by_id, inc.responder_id, inc.rollback_by_id, inc.closed_by_id]
    return await people.get_many(session, [i for i in ids if i])


def card(policy: Policy, inc: Incident, uc: UseCase, who: dict[int, Person]) -> Message:
    """The incident card: what happened, where it stands, and the buttons for the next step."""
    name = lambda pid: display(who.get(pid)) if pid else ""  # noqa: E731
    facts = [("Use case", f"UC-{uc.id}: {uc.title}"[:200]),
             ("Severity", severity_label(policy, inc.severity)),
             ("Status", STATUS_TEXT.get(inc.status, inc.status)),
             ("Reported", f"by {name(inc.reported_by_id)} at {when(inc.reported_at, '')}"),
             ("Who is affected", clip(inc.affected or "not said", 400))]
    if inc.acknowledged_at:
        facts.append(("Acknowledged", f"by {name(inc.acknowledged_by_id)} at {when(inc.acknowledged_at, '')}"))
    if inc.escalated_at:
        facts.append(("Escalated", f"to leadership at {when(inc.escalated_at, '')}, not acknowledged in time"))
    if inc.responder_id:
        facts.append(("Responder", name(inc.responder_id)))
    if inc.response:
        facts.append(("Response", clip(inc.response, 900)))
    if inc.rollback_action:
        facts.append(("Rollback", f"{rollback_label(policy, inc.rollback_action)}, by {name(inc.rollback_by_id)} at "
                                  f"{when(inc.rollback_at, '')}: {clip(inc.rollback_reason, 300)}"))
    if inc.closed_at:
        facts += [("Closed", f"by {name(inc.closed_by_id)} at {when(inc.closed_at, '')}"),
                  ("Cause", clip(inc.cause, 600)), ("Corrective action", clip(inc.corrective_action, 600))]
    blocks: list[Block] = [Header(f"Incident #{inc.id} on UC-{uc.id}"[:150]),
                           Text([clip(inc.description, 1500)]), Facts(facts)]
    if inc.status != IncidentStatus.CLOSED:
        p = {"i": inc.id}
        row = []
        if inc.status == IncidentStatus.OPEN:
            row.append(Button("Acknowledge", "incident.ack", p, style="primary"))
        row += [Button("Assign responder", "incident.assign", p), Button("Record response", "incident.respond", p),
                Button("Roll back", "incident.rollback", p, style="danger"), Button("Close", "incident.close", p)]
        blocks.append(Buttons(row))
        blocks.append(Context("Rolling back is reserved for the people the policy names; closing needs the cause and "
                              "the corrective action."))
    fallback = f"Incident #{inc.id} on UC-{uc.id} ({inc.severity}, {inc.status}): {clip(inc.description, 120)}"
    return Message(blocks, fallback=fallback)


# -- forms -------------------------------------------------------------------------
def assign_form(inc: Incident) -> Form:
    return Form(form_id="incident.assign", title=f"Responder for incident #{inc.id}", submit_label="Assign",
                fields=[FormField("responder", "Responder", type="person", placeholder="name@example.com",
                                  hint="Who leads the response? They will be told.")],
                payload={"i": inc.id})


def respond_form(inc: Incident) -> Form:
    return Form(form_id="incident.respond", title=f"Response to incident #{inc.id}", submit_label="Record",
                fields=[FormField("response", "What has been done", type="multiline", max_length=2000)],
                payload={"i": inc.id})


def rollback_form(policy: Policy, inc: Incident) -> Form:
    options = [(c.key, c.label) for c in policy.incidents.rollback_actions]
    return Form(form_id="incident.rollback", title=f"Roll back after incident #{inc.id}", submit_label="Roll back",
                intro="Pause stops the use case for everyone until leadership resumes it. Limit keeps it running "
                      "only for the scope you describe below, until the limit is lifted. Reverse takes it back to "
                      "the stage before its current one.",
                fields=[FormField("action", "Rollback", type="select", options=options),
                        FormField("reason", "Why (for a limit: who may still use it)", type="multiline",
                                  max_length=1000)],
                payload={"i": inc.id})


def close_form(inc: Incident) -> Form:
    return Form(form_id="incident.close", title=f"Close incident #{inc.id}", submit_label="Close the incident",
                fields=[FormField("cause", "Cause", type="multiline", max_length=2000,
                                  hint="What caused it, as far as you know."),
                        FormField("corrective_action", "Corrective action", type="multiline", max_length=2000,
                                  hint="What changes so that it does not happen again.")],
                payload={"i": inc.id})


# -- status lines -------------------------------------------------------------------
@dataclass(frozen=True)
class IncidentLine:
    incident_id: int
    severity: str
    severity_label: str
    status: str
    description: str
    reported_at: datetime
    acknowledged: bool
    escalated: bool
    responder_id: int | None
    rollback_action: str | None

    @property
    def text(self) -> str:
        parts = [self.severity_label, STATUS_TEXT.get(self.status, self.status).lower(),
                 f"reported {day(self.reported_at)}"]
        if self.escalated:
            parts.append("escalated")
        if self.rollback_action:
            parts.append(f"rolled back ({self.rollback_action})")
        return f"{clip(self.description, 120)} · " + " · ".join(parts)


async def open_incident_lines(session: AsyncSession, use_case_id: int,
                              policy: Policy | None = None) -> list[IncidentLine]:
    """Open (not closed) incidents of a use case, oldest first."""
    return [IncidentLine(incident_id=i.id, severity=i.severity, severity_label=severity_label(policy, i.severity),
                         status=i.status, description=i.description, reported_at=i.reported_at,
                         acknowledged=i.acknowledged_at is not None, escalated=i.escalated_at is not None,
                         responder_id=i.responder_id, rollback_action=i.rollback_action)
            for i in await repo.open_for_use_case(session, use_case_id)]


def incident_blocks(lines: list[IncidentLine]) -> list[Block]:
    if not lines:
        return [Context("No open incidents.")]
    return [Facts([(f"Incident #{ln.incident_id}", ln.text) for ln in lines]),
            Buttons([Button(f"Open incident #{ln.incident_id}", "incident.show", {"i": ln.incident_id})
                     for ln in lines[:5]])]
