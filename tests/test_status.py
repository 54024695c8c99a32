"""Status views: `my`, one use case in full, the portfolio; restricted use cases only for those allowed."""
from __future__ import annotations

import re

from datetime import date, timedelta

from sqlalchemy import update

from conversations import access
from vocabulary.interaction import Say
from vocabulary.messages import Button, Facts, Message
from storage.repo import outbox, people
from storage.repo import status as status_repo
from storage.repo import use_cases
from storage.tables import Condition, GateRequest, ReviewRequest, RiskEntry, Scorecard, UseCase
from tests.support import factories
from tests.support.harness import Harness

ANNA, BOB, ZOE = "anna.owner@example.com", "bob.delivery@example.com", "zoe@example.com"
MAX_BLOCKS = 45


def flat(seen) -> str:
    return " ".join(seen.text.split())


def said(seen) -> Message:
    return seen.op(Say).message


async def make(h: Harness, **kw) -> int:
    async with h.app.db.write() as s:
        return (await factories.use_case(s, now=h.app.clock(), **kw)).id


async def review(h: Harness, uc_id: int, group: str, *, due_in_days: int = 3, status: str = "pending",
                 level: int = 0) -> int:
    now = h.app.clock()
    async with h.app.db.write() as s:
        gate = GateRequest(use_case_id=uc_id, from_stage="exploration", to_stage="pilot", requested_at=now)
        s.add(gate)
        await s.flush()
        rr = ReviewRequest(gate_request_id=gate.id, use_case_id=uc_id, group_key=group, status=status, level=level,
                           due_at=now + timedelta(days=due_in_days), created_at=now)
        s.add(rr)
        await s.flush()
        return rr.id


async def condition(h: Harness, uc_id: int, text: str, owner: str, due: date, status: str = "open") -> None:
    async with h.app.db.write() as s:
        p = await factories.person(s, owner)
        s.add(Condition(use_case_id=uc_id, text=text, owner_id=p.id, due_date=due, status=status,
                        created_at=h.app.clock()))


async def test_my_lists_ideas_with_next_step_reviews_waiting_and_scorecards_owed(harness: Harness):
    uc1 = await make(harness)
    uc2 = await make(harness, title="Invoice matching", stage="pilot")
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc2} readiness")
    for _ in range(3):
        await anna.click("4 ·")
    seen = await anna.say("my")
    text = flat(seen)
    assert f"UC-{uc1} · Claims triage assistant Exploration · you: business owner" in text
    assert (f"Next: The pilot selection criteria are not fully scored (0 of 12). Either owner types: score UC-{uc1} "
            "pilot") in text
    assert f"UC-{uc2} · Invoice matching Pilot · you: business owner" in text
    assert f"Scorecards you still owe: • UC-{uc2} · Readiness 3/18" in text
    assert "No reviews are waiting for you." in text
    labels = [b.label for b in seen.buttons]
    assert f"Status UC-{uc1}" in labels and f"Continue UC-{uc2} readiness" in labels
    seen = await anna.click(f"Continue UC-{uc2} readiness")
    assert "Readiness 3/18" in seen.text

    # a security reviewer sees the review waiting for their group; the proposer sees their idea
    await review(harness, uc1, "security", due_in_days=-1)
    sam = harness.person("sam.security@example.com")
    seen = await sam.say("my")
    assert f"Reviews waiting for you: • UC-{uc1} · Claims triage assistant · Security review · due" in flat(seen)
    assert "(overdue)" in flat(seen)
    seen = await harness.person(ZOE).press(Button("My ideas", "status.mine"))
    assert f"UC-{uc1} · Claims triage assistant Exploration · you: proposer" in flat(seen)
    assert "Next: the move to Pilot is with Security for review." in flat(seen)


async def test_the_three_reusable_queries(harness: Harness):
    uc1 = await make(harness)
    uc2 = await make(harness, title="Stopped one", business_owner="zoe@example.com", status="stopped",
                     status_reason="No budget")
    await make(harness, title="Not mine", proposer="x@example.com", business_owner="y@example.com",
               delivery_owner="w@example.com")
    await review(harness, uc1, "privacy")
    await review(harness, uc1, "legal", status="approved")
    async with harness.app.db.write() as s:
        zoe = await people.by_email(s, ZOE)
        anna = await people.by_email(s, ANNA)
        await use_cases.add_contributor(s, uc1, (await factories.person(s, "carl@example.com")).id)
        now = harness.app.clock()
        s.add(Scorecard(use_case_id=uc1, instrument="readiness", answered=2, started_at=now, last_answer_at=now))
        s.add(Scorecard(use_case_id=uc1, instrument="pilot_selection", status="complete", answered=12,
                        started_at=now, last_answer_at=now))
        s.add(Scorecard(use_case_id=uc2, instrument="readiness", answered=1, started_at=now, last_answer_at=now))
        await s.flush()
        ideas = await status_repo.ideas_for(s, zoe.id)
        assert [(i.use_case.id, i.roles) for i in ideas] == [(uc1, ("proposer",)),
                                                             (uc2, ("business_owner", "proposer"))]
        carl = await people.by_email(s, "carl@example.com")
        assert [(i.use_case.id, i.roles) for i in await status_repo.ideas_for(s, carl.id)] == [(uc1, ("contributor",))]
        waiting = await status_repo.reviews_waiting_for(s, harness.app.policy, "Priya.Privacy@Example.com")
        assert [(w.use_case.id, w.review.group_key) for w in waiting] == [(uc1, "privacy")]
        assert await status_repo.reviews_waiting_for(s, harness.app.policy, "lee.legal@example.com") == []
        assert await status_repo.reviews_waiting_for(s, harness.app.policy, None) == []
        owed = await status_repo.scorecards_owed(s, anna.id)
        assert [(o.use_case.id, o.scorecard.instrument) for o in owed] == [(uc1, "readiness")]
        assert await status_repo.scorecards_owed(s, zoe.id) == []  # only on a stopped use case


async def test_status_shows_the_full_state(harness: Harness, clock):
    uc = await make(harness, stage="pilot", tier="medium", tier_requested="low", tier_override_status="pending",
                    tier_justification="Only internal staff use it")
    today = clock.now.date()
    async with harness.app.db.write() as s:
        rita = await factories.person(s, "rita.risk@example.com", "Rita Risk")
        for i, (lk, im) in enumerate([("low", "low"), ("high", "high"), ("medium", "high"), ("low", "medium")]):
            s.add(RiskEntry(use_case_id=uc, area_key=["cost_creep", "data_privacy", "output_reliability",
                                                      "monitoring_gap"][i], description=f"Risk {i}", likelihood=lk,
                            impact=im, owner_id=rita.id, control="c", created_at=clock.now, updated_at=clock.now))
        s.add(RiskEntry(use_case_id=uc, area_key="bias_fairness", description="Closed one", likelihood="high",
                        impact="high", status="closed", created_at=clock.now, updated_at=clock.now))
        await outbox.enqueue(s, dedupe_key="rem:1", platform="console", target="1", purpose="reminder", now=clock.now,
                             use_case_id=uc, message={"blocks": [], "fallback": "The readiness scorecard is "
                                                                             "waiting for you"})
    await review(harness, uc, "security", due_in_days=-2)
    await review(harness, uc, "privacy", status="info_requested")
    await condition(harness, uc, "Run a bias test on last year's claims", "rita.risk@example.com",
                    today - timedelta(days=1))
    await condition(harness, uc, "Closed condition", "rita.risk@example.com", today, status="closed")
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc} readiness")
    for _ in range(5):
        await anna.click("4 ·")
    seen = await anna.say(f"status UC-{uc}")
    assert said(seen) is not None and seen.op(Say).thread_of == f"use_case:{uc}"
    text = flat(seen)
    assert f"UC-{uc} · Claims triage assistant" in text
    assert "Stage Pilot since 23 Nov 2026" in text and "Status Active" in text
    assert "Medium risk · low requested (waiting for the risk reviewers)" in text
    assert "Business owner Anna.Owner" in text and "Delivery owner Bob.Delivery" in text
    assert "Sponsor nobody yet" in text and "Proposed by Zoe" in text
    assert "Outcome: Cut claims triage time by 30%" in text
    assert "Readiness scorecard in progress, 5 of 18 scored" in text
    # risks: top three open ones by likelihood x impact, the closed one left out
    assert "Top open risks (4 in the register):" in text
    assert text.index("Data privacy · likelihood high, impact high") < text.index("Output reliability") \
        < text.index("Monitoring gap")
    assert "Cost creep" not in text and "Closed one" not in text and "and 1 more" in text
    assert "Pending reviews: • Security · due" in text and "(overdue)" in text
    assert "Privacy · due" in text and "waiting for the owners' answer" in text
    assert re.search(r"Open conditions: • #\d+ Run a bias test on last year's claims · Rita Risk · due 22 Nov 2026 "
                     r"\(overdue\)", text)  # numbered, as the Close buttons and “close condition 7” name them
    assert "Closed condition" not in text
    assert "Next: the move to Controlled rollout is under review (2 groups still to decide)." in text
    assert "Recent reminders:" in text and "The readiness scorecard is waiting for you" in text
    assert len(said(seen).blocks) <= MAX_BLOCKS


async def test_status_lists_what_is_missing_for_the_next_gate_with_how(harness: Harness):
    uc = await make(harness, stage="pilot")
    seen = await harness.person(BOB).say(f"status UC-{uc}")
    text = flat(seen)
    assert "Missing for the move to Controlled rollout:" in text
    assert "The readiness scorecard is not complete (0 of 18 areas scored). → Either owner types: score " \
           f"UC-{uc} readiness" in text
    assert f"The risk register has never been marked reviewed. → Go through the risks (type risks UC-{uc})" in text
    assert "Score" in [b.label for b in seen.buttons]


async def test_paused_and_stopped_use_cases_show_why(harness: Harness):
    uc = await make(harness, status="paused", status_reason="Waiting for the data-sharing agreement")
    seen = await harness.person(ANNA).say(f"status UC-{uc}")
    assert "Status Paused: Waiting for the data-sharing agreement" in flat(seen)
    seen = await harness.person(ANNA).say("my")
    assert "Next: nothing until leadership resumes it." in flat(seen)


async def test_status_without_a_use_case_shows_mine_and_unknown_ones_are_not_found(harness: Harness):
    await make(harness)
    anna = harness.person(ANNA)
    seen = await anna.say("status")
    assert "Your AI ideas" in seen.text
    seen = await anna.say("status UC-42")
    assert "could not find UC-42" in flat(seen)
    seen = await anna.press(Button("Status", "status.show", {"uc": "1 or 1=1"}))
    assert "could not read that button" in flat(seen)


async def test_portfolio_counts_pilots_past_exit_and_decisions(harness: Harness, clock):
    await make(harness)
    await make(harness, title="Second idea")
    late = await make(harness, title="Late pilot", stage="pilot")
    on_time = await make(harness, title="On-time pilot", stage="pilot")
    await make(harness, title="Paused pilot", stage="pilot", status="paused")
    tier = await make(harness, title="Wants a lower tier", tier="high", tier_requested="medium",
                      tier_override_status="pending")
    async with harness.app.db.write() as s:
        await s.execute(update(UseCase).where(UseCase.id == late).values(pilot_exit_date=clock.now.date()
                                                                         - timedelta(days=10)))
    overdue = await make(harness, title="Overdue review", stage="scale_decision")
    await review(harness, overdue, "leadership", due_in_days=-3)
    await review(harness, on_time, "security", due_in_days=4)
    seen = await harness.person("lena.lead@example.com").say("portfolio")
    text = flat(seen)
    assert "AI portfolio" in text and "7 use cases" in text
    assert "Exploration 3" in text and "Pilot 3 (2 active; 1 paused)" in text and "Scale decision 1" in text
    assert "Pilots past their exit date without a decision (1): • UC-3 · Late pilot" in text
    assert "On-time pilot · exit" not in text
    decisions = text[text.index("Needing a decision now:"):]
    # overdue first, then by date
    assert decisions.index("Overdue review") < decisions.index("lower tier") < decisions.index("On-time pilot")
    assert "(overdue)" in decisions and "asks to be treated as medium risk" in decisions
    assert f"Status UC-{overdue}" in [b.label for b in seen.buttons]
    assert len(said(seen).blocks) <= MAX_BLOCKS


async def test_restricted_use_cases_only_for_those_involved(harness: Harness):
    secret = await make(harness, title="Secret merger screening", restricted=True,
                        business_owner="olga.owner@example.com", delivery_owner="dan.delivery@example.com",
                        proposer="pete@example.com", sponsor_id=None)
    await make(harness, title="Open idea")
    await review(harness, secret, "privacy")
    async with harness.app.db.write() as s:
        sponsor = await factories.person(s, "sara.sponsor@example.com")
        await s.execute(update(UseCase).where(UseCase.id == secret).values(sponsor_id=sponsor.id))
    allowed = ["olga.owner@example.com", "dan.delivery@example.com", "pete@example.com", "sara.sponsor@example.com",
               "priya.privacy@example.com", "lena.lead@example.com"]
    for email in allowed:
        seen = await harness.person(email).say(f"status UC-{secret}")
        assert "Secret merger screening" in seen.text, email
        seen = await harness.person(email).say("portfolio")
        assert "2 use cases" in flat(seen), email
    for email in ["anna.owner@example.com", "sam.security@example.com", "rita.risk@example.com"]:
        seen = await harness.person(email).say(f"status UC-{secret}")
        assert f"could not find UC-{secret}" in flat(seen) and "Secret" not in seen.text, email
        seen = await harness.person(email).say("portfolio")
        assert "1 use case" in flat(seen) and "Secret" not in seen.text, email
        seen = await harness.person(email).say(f"risks UC-{secret}")
        assert f"could not find UC-{secret}" in flat(seen)
    async with harness.app.db.read() as s:
        uc = await use_cases.get(s, secret)
        stranger = await factories.person(s, "anna.owner@example.com")
        assert not await access.can_see(s, harness.app.policy, stranger, uc)
        lead = await people.by_email(s, "leo.lead@example.com") or await factories.person(s, "leo.lead@example.com")
        assert await access.can_see(s, harness.app.policy, lead, uc)


async def test_long_lists_stay_within_the_platform_limits(harness: Harness):
    ids = [await make(harness, title=f"Idea {i}") for i in range(20)]
    for uc in ids:
        await review(harness, uc, "security")
    anna = harness.person(ANNA)
    seen = await anna.say("my")
    assert "and 12 more" in flat(seen)
    assert len(said(seen).blocks) <= MAX_BLOCKS
    seen = await harness.person("sam.security@example.com").say("my")
    assert "and 15 more" in flat(seen)
    assert len(said(seen).blocks) <= MAX_BLOCKS
    seen = await harness.person("lena.lead@example.com").say("portfolio")
    assert "and 15 more" in flat(seen)
    assert len(said(seen).blocks) <= MAX_BLOCKS


async def test_status_shows_open_incidents_the_linked_idea_and_who_joined(harness: Harness, clock):
    from storage.tables import Incident

    first = await make(harness, title="Claims triage pilot")
    secret = await make(harness, title="Secret merger screening", restricted=True, business_owner="olga@example.com",
                        delivery_owner="dan@example.com", proposer="pete@example.com")
    uc = await make(harness, title="Claims triage in motor", stage="controlled_rollout", linked_to_id=first)
    other = await make(harness, title="Merger screening, again", linked_to_id=secret)
    async with harness.app.db.write() as s:
        for email in ("carl@example.com", "dora@example.com"):
            await use_cases.add_contributor(s, uc, (await factories.person(s, email)).id)
        s.add_all([Incident(use_case_id=uc, description="Every motor claim marked low urgency", severity="sev1",
                            status="open", reported_at=clock.now),
                   Incident(use_case_id=uc, description="Slow answers in the morning", severity="sev3",
                            status="acknowledged", reported_at=clock.now),
                   Incident(use_case_id=uc, description="An old outage", severity="sev2", status="closed",
                            reported_at=clock.now)])
    seen = await harness.person(ZOE).say(f"status UC-{uc}")
    text = flat(seen)
    assert f"Linked to UC-{first} · Claims triage pilot" in text
    assert "Joined by Carl, Dora" in text
    assert ("Open incidents: Incident #1 Every motor claim marked low urgency · Critical (sev1) · open, not yet "
            "acknowledged · reported 23 Nov 2026") in text
    assert "Incident #2 Slow answers in the morning · Minor (sev3) · acknowledged" in text
    assert "An old outage" not in text
    labels = [b.label for b in seen.buttons]
    assert {"Open incident #1", "Open incident #2", "Report an incident"} <= set(labels)
    # a restricted idea it was linked to is not named to someone who may not see it
    text = flat(await harness.person(ZOE).say(f"status UC-{other}"))
    assert "Linked to a similar restricted use case" in text and "Secret" not in text
    assert "Report an incident" not in text  # not live yet
    assert f"Linked to UC-{secret} · Secret merger screening" in flat(
        await harness.person("lena.lead@example.com").say(f"status UC-{other}"))


async def test_status_shows_each_kpi_against_target_with_its_trend_both_ways(harness: Harness):
    from storage.tables import Kpi

    uc = await make(harness, stage="ongoing_operation")
    rows = [("Claims cycle time", "business_outcome", "min", 30, 20, "lower", ["25", "22"]),
            ("Precision", "model_quality", "%", 80, 90, "higher", ["85", "78"]),
            ("Uptime", "operational_health", "%", 95, 97, "higher", ["97"]),
            ("Cost per claim", "business_outcome", "EUR", 10, 8, "lower", ["12"])]
    async with harness.app.db.write() as s:
        bob = await people.by_email(s, BOB)
        ids = []
        for name, layer, unit, base, target, direction, _ in rows:
            k = Kpi(use_case_id=uc, layer=layer, name=name, unit=unit, baseline=base, target=target,
                    direction=direction, owner_id=bob.id, cadence="monthly", created_at=harness.app.clock())
            s.add(k)
            await s.flush()
            ids.append(k.id)
    bob = harness.person(BOB)
    for kid, (*_, values) in zip(ids, rows):
        for v in values:
            seen = await bob.submit("kpi.value", {"k": kid}, {"value": v})
            assert "Recorded" in seen.text, seen.text
    seen = await harness.person(ANNA).say(f"status UC-{uc}")
    kpi_facts = {}
    for block in said(seen).blocks:
        if isinstance(block, Facts):
            kpi_facts.update(block.items)
    assert kpi_facts["Claims cycle time (business outcome)"] == \
        "22 min → target 20 min (lower is better; baseline 30 min) · ↓ improving"
    assert kpi_facts["Cost per claim (business outcome)"] == \
        "12 EUR → target 8 EUR (lower is better; baseline 10 EUR) · ↑ worsening · ⚠ moving away from target"
    assert kpi_facts["Precision (model quality)"] == \
        "78% → target 90% (higher is better; baseline 80%) · ↓ worsening · ⚠ moving away from target"
    assert kpi_facts["Uptime (operational health)"] == \
        "97% → target 97% (higher is better; baseline 95%) · ↑ improving · at target"
    assert "1 of 4 at target · 2 flagged to the owners" in flat(seen)
