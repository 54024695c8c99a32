"""Builds the engine with every flow, command and button registered (once, at start-up)."""
from __future__ import annotations

from typing import Callable

from conversations.engine import Engine
from conversations.flows import help as help_flow
from conversations.flows import intake, risks, scorecard, start, status
from conversations.flows import export as export_flow
from conversations.flows import incidents as incident_flows
from conversations.flows import kpis as kpi_flows
from conversations.flows import conditions, edits, gates, info_requests, leadership
from conversations.flows import reviews as review_flows
from conversations.flows import demo as demo_flow
from conversations.flows import groups as group_flows
from conversations.flows import snooze
from conversations.flows import pictures as picture_flows
from conversations.flows import ai_act_commands
from conversations.flows import away, leavers
from vocabulary.policy import Policy
from storage.db import Database
from storage.types import utcnow


def build_engine(db: Database, policy: Policy, *, platforms: set[str], clock: Callable = utcnow,
                 on_outbox: Callable[[], None] | None = None) -> Engine:
    engine = Engine(db, policy, platforms=platforms, clock=clock, on_outbox=on_outbox)
    engine.add_flow(intake.IntakeFlow())
    start.register(engine)
    scorecard.register(engine)
    risks.register(engine)
    status.register(engine)
    help_flow.register(engine)
    kpi_flows.register(engine)
    incident_flows.register(engine)
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
