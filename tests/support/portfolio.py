"""A small hand-made portfolio whose digest figures are worked out by hand in tests/test_digest.py.

Seven use cases with a stage history, reviews, conditions, risks, KPIs, incidents and scorecards, as of
Monday 30 Nov 2026 08:05 UTC (the weekly digest's slot is 08:00; the previous one was Monday 23 Nov).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from storage.tables import (
    Condition,
    DigestRun,
    GateRequest,
    Incident,
    Kpi,
    ReviewRequest,
    RiskEntry,
    Scorecard,
    ScorecardAnswer,
    StageChange,
    UseCase,
)
from tests.support import factories

UTC = timezone.utc
NOW = datetime(2026, 11, 30, 8, 5, tzinfo=UTC)


def d(month: int, day: int, year: int = 2026, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


async def life(s, title: str, moves: list[tuple[str, datetime]], *, status: str = "active", restricted=False,
               stop_at: datetime | None = None, **extra) -> UseCase:
    """A use case created at the first move, then moved through the others (each a stage_change row)."""
    first_stage, created = moves[0]
    uc = await factories.use_case(s, title=title, stage=first_stage, now=created, restricted=restricted, **extra)
    prev = first_stage
    for stage, at in moves[1:]:
        s.add(StageChange(use_case_id=uc.id, from_stage=prev, to_stage=stage, kind="advance", at=at))
        prev = stage
    if stop_at is not None:
        s.add(StageChange(use_case_id=uc.id, from_stage=prev, to_stage=prev, kind="stop", reason="No value",
                          at=stop_at))
    uc.stage, uc.stage_entered_at, uc.status = prev, moves[-1][1], status
    s.add(uc)
    await s.flush()
    return uc


async def readiness(s, policy, uc: UseCase, score: int = 4, **overrides: int) -> None:
    sc = Scorecard(use_case_id=uc.id, instrument="readiness", attempt=1, status="complete",
                   answered=len(policy.readiness.items), started_at=d(10, 1), last_answer_at=d(10, 2),
                   completed_at=d(10, 2))
    s.add(sc)
    await s.flush()
    for item in policy.readiness.items:
        s.add(ScorecardAnswer(scorecard_id=sc.id, item_key=item.key, value=overrides.get(item.key, score),
                              answered_at=d(10, 2)))


async def review(s, uc: UseCase, group: str, due: datetime, *, paused: bool = False, frm: str = "",
                 to: str = "") -> ReviewRequest:
    gate = GateRequest(use_case_id=uc.id, from_stage=frm or uc.stage, to_stage=to or uc.stage,
                       requested_at=d(11, 20))
    s.add(gate)
    await s.flush()
    rr = ReviewRequest(gate_request_id=gate.id, use_case_id=uc.id, group_key=group, due_at=due,
                       created_at=d(11, 20), next_reminder_at=None if paused else due,
                       paused_at=d(11, 21) if paused else None)
    s.add(rr)
    await s.flush()
    return rr


async def seed(s, policy) -> dict[str, UseCase]:
    uc = {}
    uc["claims"] = await life(s, "Claims triage", [("exploration", d(10, 20))])
    uc["invoice"] = await life(s, "Invoice matching", [("exploration", d(9, 1)), ("pilot", d(10, 1))],
                               pilot_exit_date=date(2026, 11, 20))
    uc["contract"] = await life(s, "Contract review", [("exploration", d(8, 1)), ("pilot", d(9, 1)),
                                                       ("controlled_rollout", d(11, 25))])
    uc["churn"] = await life(s, "Churn predictor", [("exploration", d(6, 1)), ("pilot", d(7, 1)),
                                                    ("controlled_rollout", d(8, 1)), ("scale_decision", d(9, 1)),
                                                    ("ongoing_operation", d(10, 1))],
                             value_reached_at=d(10, 31))
    uc["hr"] = await life(s, "Secret HR screening", [("exploration", d(10, 1)), ("pilot", d(11, 24))],
                          restricted=True, pilot_exit_date=date(2027, 1, 15))
    uc["chatbot"] = await life(s, "Old chatbot", [("exploration", d(7, 1)), ("pilot", d(8, 1))], status="stopped",
                               stop_at=d(11, 26))
    uc["new"] = await life(s, "New idea", [("exploration", d(11, 27))])

    await review(s, uc["contract"], "security", d(11, 27, hour=9), to="scale_decision")  # overdue
    await review(s, uc["hr"], "leadership", d(12, 2, hour=9), to="controlled_rollout")  # a decision, due soon
    await review(s, uc["claims"], "product", d(11, 29, hour=9), paused=True, to="pilot")  # paused: not overdue

    bob = uc["contract"].delivery_owner_id
    s.add(Condition(use_case_id=uc["contract"].id, text="Run the bias test", owner_id=bob, due_date=date(2026, 11, 20),
                    status="open"))
    s.add(Condition(use_case_id=uc["contract"].id, text="Write the runbook", owner_id=bob, due_date=date(2026, 12, 3),
                    status="open"))

    s.add(RiskEntry(use_case_id=uc["contract"].id, area_key="data_privacy", description="Contracts hold personal data",
                    likelihood="high", impact="high", owner_id=bob, updated_at=d(11, 1)))
    s.add(RiskEntry(use_case_id=uc["churn"].id, area_key="output_reliability", description="Scores drift",
                    likelihood="medium", impact="high", owner_id=uc["churn"].business_owner_id, updated_at=d(11, 3)))
    s.add(RiskEntry(use_case_id=uc["hr"].id, area_key="bias_fairness", description="Screening bias",
                    likelihood="high", impact="medium", owner_id=bob, updated_at=d(11, 2)))
    s.add(RiskEntry(use_case_id=uc["invoice"].id, area_key="cost_creep", description="API costs",
                    likelihood="low", impact="low", owner_id=bob, updated_at=d(11, 4)))
    s.add(RiskEntry(use_case_id=uc["chatbot"].id, area_key="reputation_risk", description="Rude answers",
                    likelihood="high", impact="high", owner_id=bob, updated_at=d(11, 5)))  # stopped: not counted

    owner = uc["churn"].business_owner_id
    s.add(Kpi(use_case_id=uc["churn"].id, layer="business_outcome", name="Handling time", baseline=120, target=80,
              direction="lower", owner_id=owner, cadence="monthly", last_value=75, next_due_at=d(12, 1)))
    s.add(Kpi(use_case_id=uc["churn"].id, layer="model_quality", name="Precision", baseline=0.7, target=0.9,
              direction="higher", owner_id=owner, cadence="monthly", last_value=0.85, flagged_at=d(11, 28),
              flag_reason="moving_away", next_due_at=d(12, 20)))
    s.add(Kpi(use_case_id=uc["contract"].id, layer="operational_health", name="Uptime", baseline=0.95, target=0.99,
              direction="higher", owner_id=bob, cadence="monthly", next_due_at=d(12, 15)))

    s.add(Incident(use_case_id=uc["churn"].id, description="Wrong customers flagged", severity="sev1",
                   status="open", reported_at=d(11, 29)))
    s.add(Incident(use_case_id=uc["churn"].id, description="Slow scoring", severity="sev3", status="acknowledged",
                   reported_at=d(11, 28)))
    s.add(Incident(use_case_id=uc["churn"].id, description="Old outage", severity="sev2", status="closed",
                   reported_at=d(10, 28)))

    await readiness(s, policy, uc["invoice"], 4)  # 72: moderate
    await readiness(s, policy, uc["contract"], 4, security_readiness=2, delivery_capacity=2)  # 68, hard gate fails

    s.add(DigestRun(digest_key="weekly", platform="console", channel="#leadership", period="2026-11-23T08:00Z",
                    status="sent", snapshot={"stages": {"exploration": 3, "pilot": 1, "controlled_rollout": 0,
                                                        "scale_decision": 0, "ongoing_operation": 1},
                                             "paused": 0, "stopped": 0}, created_at=d(11, 23, hour=8)))
    await s.flush()
    return uc
