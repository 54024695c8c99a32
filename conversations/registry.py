"""Builds the engine with every flow, command and button registered (once, at start-up)."""
from __future__ import annotations

from typing import Callable, Iterable

from conversations.engine import Engine
from conversations.welcome import help as help_flow
from conversations.intake import propose as intake
from conversations.risks import register as risks
from conversations.scorecards import answers as scorecard
from conversations.scorecards import typed as scorecard_words
from conversations.welcome import start
from conversations.status import commands as status
from conversations.portfolio_io import chat_export as export_flow
from conversations.incidents import actions as incident_actions
from conversations.incidents import report as incident_flows
from conversations.incidents import rollback as incident_rollback
from conversations.kpis import commands as kpi_flows
from conversations.reviews import conditions
from conversations.intake import edits
from conversations.stages import moves as gates
from conversations.reviews import info_requests
from conversations.stages import leadership
from conversations.reviews import buttons as review_flows
from conversations.demo import commands as demo_flow
from conversations.groups import commands as group_flows
from conversations.reminders import snooze
from conversations.status import pictures as picture_flows
from conversations.regulation import commands as ai_act_commands
from conversations.people import away
from conversations.people import leaver_commands as leavers
from vocabulary.policy import Policy
from storage.db import Database
from storage.types import utcnow


def build_engine(db: Database, policy: Policy, *, platforms: Iterable[str], clock: Callable = utcnow,
                 on_outbox: Callable[[], None] | None = None) -> Engine:
    engine = Engine(db, policy, platforms=platforms, clock=clock, on_outbox=on_outbox)
    engine.add_flow(intake.IntakeFlow())
    start.register(engine)
    scorecard.register(engine)
    scorecard_words.register(engine)  # back, skip, help, cancel typed on an open scorecard
    risks.register(engine)
    status.register(engine)
    help_flow.register(engine)
    kpi_flows.register(engine)
    incident_flows.register(engine)
    incident_actions.register(engine)
    incident_rollback.register(engine)
    export_flow.register(engine)
    picture_flows.register(engine)  # report: the quarterly PDF
    # Gates and reviews (reviews.register wraps the fallback, so it comes after start.register).
    gates.register(engine)
    review_flows.register(engine)
    conditions.register(engine)
    info_requests.register(engine)
    leadership.register(engine)
    edits.register(engine)
    group_flows.register(engine)
    demo_flow.register(engine)  # after start.register: it adds the first-run offer to the greeting
    snooze.register(engine)  # reminder buttons: snooze, carry on / discard a proposal
    ai_act_commands.register(engine)  # EU AI Act: classify (risk group), obligations
    away.register(engine)  # away until … [delegate …], back
    leavers.register(engine)  # leaver …, reassign …, the handover buttons
    return engine
