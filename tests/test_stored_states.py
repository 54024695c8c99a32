"""Every status aiom stores is a member of its enum in vocabulary/states.py.

After a use case's whole life in Slack (proposal, three gates with conditions, a question to the owners, the KPI,
leadership's decision, every message delivered through the outbox) and after the demo organisation is loaded,
the distinct values of each status column are read back from the database and checked against their enum: a
value outside it would be a state no code path compares with. Risk statuses are not here: their keys come from
the policy.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlmodel import SQLModel

import tests.test_life_slack as life_slack
from conversations.demo import load as demo
from storage.tables import (
    AiActObligation, Condition, ConversationState, DigestRun, GateRequest, InboundEntry, Incident, Kpi, Outbox,
    ReviewRequest, Scorecard, UseCase,
)
from tests.support.harness import Harness
from vocabulary.policy import load_policy
from vocabulary.states import (
    ConditionStatus, DigestRunStatus, FlowStatus, GateStatus, InboundOutcome, IncidentStatus, KpiFlag,
    ObligationStatus, OutboxStatus, ReviewStatus, ScorecardStatus, TierOverride, UseCaseStatus,
)

COLUMNS = {
    (UseCase, "status"): UseCaseStatus,
    (UseCase, "tier_override_status"): TierOverride,
    (ConversationState, "status"): FlowStatus,
    (Scorecard, "status"): ScorecardStatus,
    (GateRequest, "status"): GateStatus,
    (ReviewRequest, "status"): ReviewStatus,
    (Condition, "status"): ConditionStatus,
    (AiActObligation, "status"): ObligationStatus,
    (Incident, "status"): IncidentStatus,
    (Kpi, "flag_reason"): KpiFlag,
    (Outbox, "status"): OutboxStatus,
    (DigestRun, "status"): DigestRunStatus,
    (InboundEntry, "outcome"): InboundOutcome,
}
POLICY_KEYS = {"risk_entry.status"}  # the policy's risk_register.statuses

world = life_slack.world  # the Slack world of the whole-life test, with its people


async def stored(app) -> dict[str, set[str]]:
    """table.column -> the distinct values stored there."""
    out = {}
    async with app.db.read() as s:
        for (model, column), _ in COLUMNS.items():
            out[f"{model.__tablename__}.{column}"] = set((await s.execute(
                select(getattr(model, column)).distinct())).scalars())
    return out


def unknown(found: dict[str, set[str]]) -> dict[str, set[str]]:
    members = {f"{m.__tablename__}.{c}": {e.value for e in enum} for (m, c), enum in COLUMNS.items()}
    return {col: bad for col, values in found.items() if (bad := values - members[col])}


def test_every_status_column_has_an_enum():
    """A new status column comes with its enum (and a line in COLUMNS)."""
    named = {f"{t.name}.{c.name}" for t in SQLModel.metadata.tables.values() for c in t.columns
             if c.name == "status" or c.name.endswith("_status")}
    assert named | {"inbound_entry.outcome", "kpi.flag_reason"} == {f"{m.__tablename__}.{c}" for m, c in COLUMNS} \
        | POLICY_KEYS


async def test_a_whole_life_in_slack_stores_only_known_statuses(world, clock):
    await life_slack.test_a_whole_life_in_slack(world, clock)
    found = await stored(world.app)
    assert unknown(found) == {}
    assert found["use_case.status"] == {"active"} and found["use_case.tier_override_status"] == {"none"}
    assert {"approved", "approved_with_conditions"} <= found["review_request.status"]
    assert "passed" in found["gate_request.status"]
    assert "closed" in found["condition.status"]
    assert "done" in found["conversation_state.status"]
    assert "sent" in found["outbox.status"]
    assert "done" in found["inbound_entry.outcome"]


async def test_the_demo_organisation_stores_only_known_statuses(db_url):
    h = await Harness.start(db_url, policy=load_policy(None))
    try:
        async with h.app.db.write() as s:
            await demo.load(s, h.app.policy, now=h.app.clock(), platforms=set())
        found = await stored(h.app)
    finally:
        await h.stop()
    assert unknown(found) == {}
    assert {"complete"} <= found["scorecard.status"]
    assert "acknowledged" in found["incident.status"]
    assert "open" in found["condition.status"]
