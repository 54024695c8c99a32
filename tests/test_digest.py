"""The portfolio digest checked against a hand-made portfolio (tests/support/portfolio.py), figure by figure."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from notifications.digest import runs
from notifications.digest.schedule import last_fire, next_fire, period_id
from storage.repo import digest_runs
from storage.tables import DigestRun, Outbox
from tests.support import portfolio
from tests.support.harness import Harness, as_text
from tests.support.reviewing import flat

UTC = timezone.utc


@pytest.fixture
async def seeded(harness: Harness, clock):
    async with harness.app.db.write() as s:
        ucs = await portfolio.seed(s, harness.app.policy)
    clock.set(portfolio.NOW)
    return harness, ucs


async def sent_digest(h: Harness) -> str:
    await runs.run_due(h.app.notifications, h.app.clock())
    await h.app.dispatcher.drain()
    posts = [m for c, m, _ in h.out.posts if c == "#leadership" and "digest" in m.fallback.lower()]
    assert len(posts) == 1, [m.fallback for _, m, _ in h.out.posts]
    return flat(as_text(posts[0]))


async def test_the_weekly_digest_reports_the_hand_computed_figures(seeded):
    h, uc = seeded
    text = await sent_digest(h)
    assert "Weekly portfolio digest · 30 Nov 2026" in text
    assert "This digest is late" not in text
    # Portfolio by stage, with the change since the last digest (its snapshot).
    for fact in ("Exploration 2 (−1)", "Pilot 2 (+1)", "Controlled rollout 1 (+1)", "Scale decision 0",
                 "Ongoing operation 1"):
        assert fact in text, fact
    assert "Live: 6 · paused: 0 · stopped: 1 (+1)" in text
    assert "[picture: Portfolio funnel: Exploration 2, Pilot 2, Controlled rollout 1, Scale decision 0, " \
           "Ongoing operation 1]" in text
    # Business value.
    assert "KPIs at target: 1 of 3 (1 flagged, 1 without a value yet)" in text
    assert f"UC-{uc['churn'].id} Churn predictor (Ongoing operation): Cut claims triage time by 30% while keeping " \
           "human review for high-risk cases · KPIs 1/2 at target" in text
    assert f"UC-{uc['contract'].id} Contract review (Controlled rollout)" in text
    # What moved (since Mon 23 Nov 08:00) and what stalled (30+ days in the stage).
    assert ("Moved: 2 (Exploration → Pilot 1, Pilot → Controlled rollout 1) · new ideas: 1 · paused, resumed or "
            "stopped: 1") in text
    assert f"UC-{uc['chatbot'].id} Old chatbot: stop" in text
    assert f"UC-{uc['hr'].id} Secret HR screening: Exploration → Pilot" in text  # leadership sees it by name
    assert "Stalled (no stage change for 30+ days): 2" in text
    assert text.index(f"UC-{uc['invoice'].id} Invoice matching: Pilot for 59 days") < \
        text.index(f"UC-{uc['claims'].id} Claims triage: Exploration for 40 days")
    # Blocked.
    assert "Overdue reviews: 1 · gates stopped: 0 · conditions past due: 1 · pilots in limbo: 1" in text
    assert f"UC-{uc['contract'].id} Contract review: Security review due Fri 27 Nov" in text
    assert "condition #1 due Fri 20 Nov, owner Bob.Delivery" in text
    assert f"UC-{uc['invoice'].id} Invoice matching: pilot ended Fri 20 Nov with no decision" in text
    # Top risks: likelihood x impact, owners named; the stopped use case's risk is not counted.
    assert "Open risks on live use cases: 4" in text
    i = [text.index(x) for x in ("Contracts hold personal data (likelihood high, impact high), owner Bob.Delivery",
                                 "Scores drift (likelihood medium, impact high), owner Anna.Owner",
                                 "Screening bias (likelihood high, impact medium)", "API costs")]
    assert i == sorted(i)
    assert "Rude answers" not in text
    # Decisions required from leadership, with a button each.
    assert "Waiting for leadership: 1" in text and f"[Open UC-{uc['hr'].id}]" not in text
    assert f"UC-{uc['hr'].id} Secret HR screening: gate from Pilot, due Wed 02 Dec" in text
    assert f"Open UC-{uc['hr'].id}" in text
    # Readiness to scale, resourcing pressure, alignment.
    assert "Pilots and controlled rollouts with a readiness scorecard: 2 of 3" in text
    assert "Bands: Strong readiness 0, Moderate readiness 2, Weak readiness 0, Low readiness 0" in text
    assert "Failing a hard gate (an area below 3): 1" in text
    assert f"Low delivery capacity (scored 2 or less): 1 • UC-{uc['contract'].id} Contract review " \
           "(Controlled rollout): scored 2" in text
    assert "Open reviews by group: Executive sponsors / leadership 1, Product and delivery 1, Security 1" in text
    assert "Escalations since the last digest: 0" in text and "Groups with overdue reviews: Security 1" in text
    # Incidents and exceptions.
    assert "Open incidents: 2 (Critical 1, Major 0, Minor 1)" in text
    assert "KPIs flagged (moving away from target or not reported): 1" in text
    # Operating-model health.
    assert "Pilots that reached scale: 1 of 5 (20%)" in text
    assert "Median time from idea to value: 152 days (1 use case)" in text
    assert ("Median days in each stage (completed stays): Exploration 31, Pilot 58, Controlled rollout 31, "
            "Scale decision 30") in text
    assert "Reviews overdue: 1 · conditions past due: 1" in text
    # Next-period priorities (before Mon 07 Dec).
    assert "Next-period priorities (before Mon 07 Dec)" in text
    assert "Reviews due: 1 · conditions due: 1 · pilot exits: 0 · KPI values due: 1" in text
    assert text.index("Tue 01 Dec: UC-") < text.index("Wed 02 Dec: UC-") < text.index("Thu 03 Dec: UC-")


async def test_other_channels_see_restricted_use_cases_only_as_counts(seeded):
    h, uc = seeded
    message = await runs.preview(h.app.notifications, "weekly", portfolio.NOW, platform="slack", channel="CPRODUCT")
    text = flat(as_text(message))
    assert "Secret HR screening" not in text and "Screening bias" not in text
    assert "Waiting for leadership: 1 …and 1 more" in text  # counted, not named
    assert "Pilot 2 (+1)" in text and "Open risks on live use cases: 4" in text
    assert "Restricted use cases are counted here but not named." in message.blocks[-1].text
    # Leadership's own Slack channel names it.
    lead = flat(as_text(await runs.preview(h.app.notifications, "weekly", portfolio.NOW, platform="slack",
                                           channel="CLEADERSHIP")))
    assert "Secret HR screening" in lead


async def test_the_digest_goes_out_once_per_channel_and_period_and_records_its_snapshot(seeded, clock):
    h, _ = seeded
    assert await runs.run_due(h.app.notifications, clock.now) == 1
    async with h.app.db.read() as s:
        row = (await s.execute(select(DigestRun).where(DigestRun.period == "2026-11-30T08:00Z"))).scalar_one()
        ob = await s.get(Outbox, row.outbox_id)
    assert (row.platform, row.channel, row.status, row.late) == ("console", "#leadership", "queued", False)
    assert row.snapshot["stages"] == {"exploration": 2, "pilot": 2, "controlled_rollout": 1, "scale_decision": 0,
                                      "ongoing_operation": 1}
    assert ob.dedupe_key == "digest:weekly:console:#leadership:2026-11-30T08:00Z" and ob.purpose == "digest"
    assert await runs.run_due(h.app.notifications, clock.now) == 0  # a second process, or the next sweep: nothing to send
    await h.app.dispatcher.drain()
    clock.advance(minutes=15)
    assert await runs.run_due(h.app.notifications, clock.now) == 0  # and this pass notices that the outbox sent it
    async with h.app.db.read() as s:
        row = await s.get(DigestRun, row.id)
    assert (row.status, row.sent_at) == ("sent", portfolio.NOW)
    assert len([1 for c, _, _ in h.out.posts if c == "#leadership"]) == 1


async def test_after_a_two_day_outage_the_missed_digest_is_sent_once_and_marked_late(seeded, clock):
    h, _ = seeded
    clock.set(datetime(2026, 12, 9, 11, 30, tzinfo=UTC))  # down from before Mon 7 Dec 08:00 until Wed 9 Dec
    assert await runs.run_due(h.app.notifications, clock.now) == 1
    await h.app.dispatcher.drain()
    clock.advance(minutes=15)
    assert await runs.run_due(h.app.notifications, clock.now) == 0
    await h.app.dispatcher.drain()
    posts = [m for c, m, _ in h.out.posts if c == "#leadership"]
    assert len(posts) == 1
    text = flat(as_text(posts[0]))
    assert "Weekly portfolio digest · 07 Dec 2026" in text
    assert "This digest is late: it was due Mon 07 Dec 08:00 (UTC), when aiom was not running." in text
    async with h.app.db.read() as s:
        rows = await digest_runs.for_digest(s, "weekly")
        ob = (await s.execute(select(Outbox).where(Outbox.purpose == "digest"))).scalar_one()
    assert [(r.period, r.late) for r in rows] == [("2026-11-23T08:00Z", False), ("2026-12-07T08:00Z", True)]
    assert ob.late is True  # the missed 30 Nov slot is not sent at all: only the latest counts


async def test_a_new_installation_does_not_open_with_a_late_digest(harness, clock):
    clock.set(datetime(2026, 12, 2, 12, tzinfo=UTC))  # Wednesday: Monday's slot passed before any digest
    assert await runs.run_due(harness.app.notifications, clock.now) == 0
    clock.set(datetime(2026, 12, 7, 8, 1, tzinfo=UTC))  # the next slot, on time
    assert await runs.run_due(harness.app.notifications, clock.now) == 1


async def test_a_claim_left_by_a_dead_process_expires_and_another_sends_the_digest(seeded, clock):
    h, _ = seeded
    async with h.app.db.write() as s:  # a process claimed the run and died before queueing it
        assert await digest_runs.claim(s, key="weekly", platform="console", channel="#leadership",
                                       period="2026-11-30T08:00Z", worker="dead:1", now=clock.now,
                                       lease=timedelta(seconds=h.app.policy.reminders.claim_seconds), late=False)
    assert await runs.run_due(h.app.notifications, clock.now) == 0  # the claim is still live
    clock.advance(seconds=h.app.policy.reminders.claim_seconds + 1)
    assert await runs.run_due(h.app.notifications, clock.now) == 1
    await h.app.dispatcher.drain()
    assert len([1 for c, _, _ in h.out.posts if c == "#leadership"]) == 1


def test_digest_slots_follow_the_cron_in_its_timezone():
    from vocabulary.policy import DigestSchedule

    weekly = DigestSchedule(key="w", name="W", cron="0 8 * * mon", timezone="Europe/London")
    assert last_fire(weekly, datetime(2026, 11, 25, tzinfo=UTC)) == datetime(2026, 11, 23, 8, tzinfo=UTC)
    assert last_fire(weekly, datetime(2026, 7, 1, tzinfo=UTC)) == datetime(2026, 6, 29, 7, tzinfo=UTC)  # BST
    assert next_fire(weekly, datetime(2026, 11, 23, 8, tzinfo=UTC)) == datetime(2026, 11, 30, 8, tzinfo=UTC)
    quarterly = DigestSchedule(key="q", name="Q", cron="0 8 1 1,4,7,10 *", timezone="UTC")
    assert period_id(last_fire(quarterly, datetime(2026, 12, 31, tzinfo=UTC))) == "2026-10-01T08:00Z"


async def test_business_value_names_the_top_flagged_kpis_with_use_case_owner_and_reason(seeded):
    from storage.tables import Kpi

    h, uc = seeded
    async with h.app.db.write() as s:
        bob = uc["contract"].delivery_owner_id
        # one more moving away, two not reported (one of them restricted), one flagged on a stopped use case
        for i, (case, name, reason, at) in enumerate([
                ("contract", "Clause recall", "moving_away", portfolio.d(11, 27)),
                ("contract", "Reviews per day", "not_reported", portfolio.d(11, 20)),
                ("hr", "Screening time", "not_reported", portfolio.d(11, 21)),
                ("chatbot", "Answer quality", "moving_away", portfolio.d(11, 1))]):
            s.add(Kpi(use_case_id=uc[case].id, layer="model_quality", name=name, baseline=0.8, target=0.9,
                      direction="higher", owner_id=bob, cadence="weekly", last_value=0.7 if i == 0 else None,
                      flagged_at=at, flag_reason=reason, next_due_at=portfolio.d(12, 1)))
        for i in range(4):  # more than top_n (5) in all
            s.add(Kpi(use_case_id=uc["churn"].id, layer="operational_health", name=f"Latency {i}", baseline=1,
                      target=1, direction="lower", cadence="weekly", flagged_at=portfolio.d(11, 29, hour=11 + i),
                      flag_reason="not_reported", next_due_at=portfolio.d(12, 1)))
    text = await sent_digest(h)
    value = text[text.index("BUSINESS VALUE"):text.index("WHAT MOVED AND WHAT STALLED")]
    # only live use cases' KPIs count (the stopped one's are left out)
    assert "KPIs at target: 1 of 10 (8 flagged, 7 without a value yet)" in value
    assert "Flagged KPIs (8):" in value
    lines = [f"UC-{uc['contract'].id} Contract review: Reviews per day, not reported since it was defined, "
             "owner Bob.Delivery",
             f"UC-{uc['hr'].id} Secret HR screening: Screening time, not reported since it was defined, owner "
             "Bob.Delivery",
             f"UC-{uc['contract'].id} Contract review: Clause recall, moving away from target (latest 0.7, target "
             "0.9, baseline 0.8), owner Bob.Delivery",
             f"UC-{uc['churn'].id} Churn predictor: Precision, moving away from target (latest 0.85, target 0.9, "
             "baseline 0.7), owner Anna.Owner",
             f"UC-{uc['churn'].id} Churn predictor: Latency 0, not reported since it was defined, owner not named"]
    at = [value.index(line) for line in lines]  # oldest flag first
    assert at == sorted(at)
    assert "Latency 1" not in value and "…and 3 more" in value
    assert "Answer quality" not in value  # a stopped use case's KPI is not live
    # a channel that may not see restricted use cases gets the next flagged KPI instead, never the HR one
    other = flat(as_text(await runs.preview(h.app.notifications, "weekly", portfolio.NOW, platform="slack",
                                            channel="CPRODUCT")))
    assert "Screening time" not in other and "Latency 1" in other


async def test_the_decision_buttons_open_the_review_card_or_else_the_status(seeded):
    h, uc = seeded
    await runs.run_due(h.app.notifications, h.app.clock())
    await h.app.dispatcher.drain()
    digest = next(m for c, m, _ in h.out.posts if c == "#leadership" and "digest" in m.fallback.lower())
    button = next(b for b in digest.buttons if b.label == f"Open UC-{uc['hr'].id}")
    assert button.action == "review.show"
    seen = await h.person("lena.lead@example.com").press(button)
    labels = [b.label for b in seen.buttons]
    # the card with its decision buttons, not the details (approval waits: this pilot has no readiness scorecard)
    assert "Ask for more information" in labels and "Stop" in labels, seen.text
    assert "cannot be approved now" in seen.text

    # a leadership review waiting for the owners' answer opens the use case's status instead
    async with h.app.db.write() as s:
        from sqlalchemy import update

        from storage.tables import ReviewRequest

        await s.execute(update(ReviewRequest).where(ReviewRequest.use_case_id == uc["hr"].id)
                        .values(status="info_requested"))
    message = await runs.preview(h.app.notifications, "weekly", portfolio.NOW, platform="slack", channel="CLEADERSHIP")
    button = next(b for b in message.buttons if b.label == f"Open UC-{uc['hr'].id}")
    assert (button.action, button.payload) == ("status.show", {"uc": uc["hr"].id})
    assert "(waiting for the owners' answer)" in flat(as_text(message))
