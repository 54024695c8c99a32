"""Overdue reviews: reminders at the right local hour, snoozes, escalation after N reminders, history."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from notifications import sweeps
from notifications.reminders import reviews as review_reminders
from storage import audit
from storage.repo import outbox
from storage.tables import Outbox, ReviewRequest
from tests.support import factories
from tests.support.harness import Harness, as_text
from tests.support.reviewing import flat, make_ready, review_for

OWNER = "anna.owner@example.com"
PAT, PIA = "pat.product@example.com", "pia.product@example.com"
UTC = timezone.utc


async def overdue_review(h: Harness, clock, *, pat_tz="America/New_York", pia_tz="Asia/Tokyo") -> ReviewRequest:
    """A low-tier gate opened Monday 23 Nov 2026 09:00 UTC: the product review is due Thursday 09:00 UTC."""
    async with h.app.db.write() as s:
        await factories.person(s, PAT, "Pat", tz=pat_tz)
        await factories.person(s, PIA, "Pia", tz=pia_tz)
        uc = await factories.use_case(s, now=clock.now, tier="low")
        await make_ready(s, h.app.policy, uc, clock.now)
    seen = await h.person(OWNER).say(f"move UC-{uc.id}")
    assert "review requested" in flat(seen.text).lower(), seen.text
    rr = await review_for(h, uc.id, "product")
    assert rr.due_at == datetime(2026, 11, 26, 9, tzinfo=UTC)
    h.out.posts.clear()
    h.out.dms.clear()
    return rr


def reminders_to(h: Harness, email: str) -> list[str]:
    return [flat(t) for t in h.out.dms_to(email) if "still waits for a decision" in t]


def channel_reminders(h: Harness, channel: str) -> list[str]:
    return [flat(t) for t in h.out.posts_in(channel) if "still waits for a decision" in t]


async def sweep_and_deliver(h: Harness, clock) -> dict:
    result = await sweeps.run_all(h.app.notifications, clock.now)
    await h.app.dispatcher.drain()
    return result


async def test_an_overdue_review_reminds_the_channel_and_each_member_at_their_own_nine_oclock(harness, clock):
    rr = await overdue_review(harness, clock)
    clock.set(datetime(2026, 11, 26, 8, 45, tzinfo=UTC))  # before the due date: nothing
    assert (await sweep_and_deliver(harness, clock))["review_reminders"] == 0

    clock.set(datetime(2026, 11, 26, 22, 0, tzinfo=UTC))  # Thursday 17:00 in New York, Friday 07:00 in Tokyo
    assert (await sweep_and_deliver(harness, clock))["review_reminders"] == 1
    assert channel_reminders(harness, "#product") == [] and reminders_to(harness, PAT) == []
    assert reminders_to(harness, PIA) == []  # nobody is at work yet

    clock.set(datetime(2026, 11, 27, 0, 0, tzinfo=UTC))  # Friday 09:00 in Tokyo
    await harness.app.dispatcher.drain()
    assert len(reminders_to(harness, PIA)) == 1 and reminders_to(harness, PAT) == []
    assert "was due on Thu 26 Nov, 18:00 JST" in reminders_to(harness, PIA)[0]  # in Pia's own time

    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))  # the channel, in the policy's zone (UTC)
    await harness.app.dispatcher.drain()
    assert len(channel_reminders(harness, "#product")) == 1 and reminders_to(harness, PAT) == []

    clock.set(datetime(2026, 11, 27, 14, 0, tzinfo=UTC))  # Friday 09:00 in New York
    await harness.app.dispatcher.drain()
    assert len(reminders_to(harness, PAT)) == 1
    text = reminders_to(harness, PAT)[0]
    assert "was due on Thu 26 Nov, 04:00 EST" in text
    assert f"UC-{rr.use_case_id}" in text and "Open review" in text and "Snooze 1 day" in text
    assert "After 1 more reminder it goes to Executive sponsors / leadership." in text

    # Exactly once: sweeping again the same day adds nothing; the stamps say when the next one is due.
    assert (await sweep_and_deliver(harness, clock))["review_reminders"] == 0
    async with harness.app.db.read() as s:
        row = await s.get(ReviewRequest, rr.id)
        assert (row.reminder_count, row.last_reminder_at) == (1, datetime(2026, 11, 26, 22, tzinfo=UTC))
        # No sweep ran between 08:45 and 22:00 (as if aiom were down): one catch-up reminder, and the
        # cadence (remind_every_days: 2) restarts from it.
        assert row.next_reminder_at == datetime(2026, 11, 28, 22, tzinfo=UTC)
        rows = await outbox.for_use_case(s, rr.use_case_id, purpose="reminder")
        assert sorted(r.kind for r in rows) == ["dm", "dm", "post"] and all(r.status == "sent" for r in rows)
        actions = [e.action async for e in audit.entries(s, use_case_id=rr.use_case_id)]
    assert actions.count("review.reminded") == 1


async def test_owners_of_the_use_case_are_not_asked_to_review_it(harness, clock, policy):
    rr = await overdue_review(harness, clock)
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    await sweep_and_deliver(harness, clock)
    clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    await harness.app.dispatcher.drain()
    assert reminders_to(harness, OWNER) == [] and reminders_to(harness, "bob.delivery@example.com") == []
    assert len(reminders_to(harness, PAT)) == 1 and len(reminders_to(harness, PIA)) == 1


async def test_a_snoozed_member_is_left_alone_until_the_snooze_ends_while_the_others_are_reminded(harness, clock):
    rr = await overdue_review(harness, clock, pat_tz="UTC", pia_tz="UTC")
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    await sweep_and_deliver(harness, clock)
    assert len(reminders_to(harness, PAT)) == 1
    pat = harness.person(PAT)
    snooze = next(b for r, m in harness.out.dms if r.email == PAT for b in m.buttons if b.label == "Snooze 1 week")
    seen = await pat.press(snooze)
    assert "Snoozed for 1 week" in flat(seen.text) and "Thu 03 Dec, 10:00" in flat(seen.text)

    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=UTC))  # Monday: the second reminder (due + 2 days fell on Sat)
    result = await sweep_and_deliver(harness, clock)
    assert result["review_reminders"] == 1
    assert len(reminders_to(harness, PAT)) == 1, "Pat snoozed it"
    assert len(reminders_to(harness, PIA)) == 2 and len(channel_reminders(harness, "#product")) == 2
    async with harness.app.db.read() as s:
        e = [x async for x in audit.entries(s) if x.action == "reminder.snoozed"]
    assert e and e[0].data["subject"] == f"review:{rr.id}"


async def test_after_the_policys_number_of_reminders_the_review_goes_to_the_next_level(harness, clock):
    rr = await overdue_review(harness, clock, pat_tz="UTC", pia_tz="UTC")
    for day in (26, 28, 30):  # due, due + 2, due + 4 (reminders_before_escalation: 2)
        clock.set(datetime(2026, 11, day, 10, 0, tzinfo=UTC))
        await sweep_and_deliver(harness, clock)
    async with harness.app.db.read() as s:
        rows = (await s.execute(select(ReviewRequest).where(ReviewRequest.use_case_id == rr.use_case_id)
                                .order_by(ReviewRequest.id))).scalars().all()
        entries = [e async for e in audit.entries(s, use_case_id=rr.use_case_id)]
    assert [(r.group_key, r.status, r.level) for r in rows] == [("product", "escalated", 1 - 1),
                                                                  ("leadership", "pending", 1)]
    assert rows[0].reminder_count == 2
    esc = [e for e in entries if e.action == "review.escalated"]
    assert len(esc) == 1 and esc[0].data["automatic"] is True and "after 2 reminders" in esc[0].data["reason"]
    assert [e.action for e in entries].count("review.reminded") == 2
    assert len(reminders_to(harness, PAT)) == 2
    # The leadership group now has the card; another sweep the same day changes nothing.
    assert any(f"UC-{rr.use_case_id}" in t for t in harness.out.posts_in("#leadership"))
    assert (await sweep_and_deliver(harness, clock))["review_reminders"] == 0


async def test_a_paused_review_is_not_overdue(harness, clock):
    rr = await overdue_review(harness, clock)
    async with harness.app.db.write() as s:
        row = await s.get(ReviewRequest, rr.id)
        row.paused_at, row.next_reminder_at = clock.now, None  # what pausing the use case does
    clock.set(datetime(2026, 12, 10, 10, tzinfo=UTC))
    assert (await sweep_and_deliver(harness, clock))["review_reminders"] == 0
    async with harness.app.db.read() as s:
        assert await outbox.for_use_case(s, rr.use_case_id, purpose="reminder") == []


async def test_reminder_history_shows_in_the_outbox_and_the_audit_trail(harness, clock):
    rr = await overdue_review(harness, clock, pat_tz="UTC", pia_tz="UTC")
    clock.set(datetime(2026, 11, 26, 10, tzinfo=UTC))
    await sweep_and_deliver(harness, clock)
    async with harness.app.db.read() as s:
        rows = (await s.execute(select(Outbox).where(Outbox.purpose == "reminder",
                                                     Outbox.use_case_id == rr.use_case_id))).scalars().all()
        entry = [e async for e in audit.entries(s, use_case_id=rr.use_case_id) if e.action == "review.reminded"][0]
    assert {r.subject for r in rows} == {f"review:{rr.id}"}
    assert {r.dedupe_key for r in rows} == {f"reminder:review:{rr.id}:1:console:#product",
                                            *(f"reminder:review:{rr.id}:1:dm:{r.person_id}" for r in rows
                                              if r.kind == "dm")}
    assert entry.data["reminder"] == 1 and entry.actor_label == "aiom" and len(entry.data["members_told"]) == 2
    async with harness.app.db.read() as s:
        count, problems = await audit.verify(s)
    assert problems == [] and count > 0
    seen = await harness.person(OWNER).say(f"status UC-{rr.use_case_id}")  # the owners see the history
    small_print = [b.text for op in seen.outcome.ops for b in getattr(getattr(op, "message", None), "blocks", [])
                   if b.kind == "context"]
    assert any(t.startswith(f"Recent reminders: 26 Nov 2026 Reminder: the Product and delivery review of "
                            f"UC-{rr.use_case_id} is overdue") for t in small_print), small_print


def test_the_reminder_plan_sends_once_after_downtime_or_skips_to_the_next_slot():
    due = datetime(2026, 11, 26, 9, tzinfo=UTC)
    every, stale = timedelta(days=2), timedelta(hours=1)
    plan = review_reminders.plan
    assert plan(due, due + timedelta(minutes=15), every, stale, "once") == (True, due + every)
    # Down for five days: one catch-up reminder now, the cadence restarts from now.
    now = due + timedelta(days=5)
    assert plan(due, now, every, stale, "once") == (True, now + every)
    assert plan(due, now, every, stale, "skip") == (False, due + 3 * every)


async def test_with_after_downtime_skip_a_missed_reminder_waits_for_the_next_slot(db_url, policy, clock):
    skip = policy.model_copy(update={"reminders": policy.reminders.model_copy(update={"after_downtime": "skip"})})
    h = await Harness.start(db_url, policy=skip, clock=clock)
    try:
        rr = await overdue_review(h, clock, pat_tz="UTC", pia_tz="UTC")
        # aiom was down from before the due date (Thu 26 Nov 09:00) until Friday 10:00: nothing is sent now.
        clock.set(datetime(2026, 11, 27, 10, tzinfo=UTC))
        assert (await sweep_and_deliver(h, clock))["review_reminders"] == 0
        assert reminders_to(h, PAT) == [] and channel_reminders(h, "#product") == []
        async with h.app.db.read() as s:
            row = await s.get(ReviewRequest, rr.id)
        assert (row.reminder_count, row.next_reminder_at) == (0, datetime(2026, 11, 28, 9, tzinfo=UTC))
        clock.set(datetime(2026, 11, 28, 9, 5, tzinfo=UTC))  # the next slot, a Saturday: recorded, held
        assert (await sweep_and_deliver(h, clock))["review_reminders"] == 1
        assert reminders_to(h, PAT) == []
        clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # delivered on Monday morning
        await h.app.dispatcher.drain()
        assert len(reminders_to(h, PAT)) == 1 and len(channel_reminders(h, "#product")) == 1
    finally:
        await h.stop()



def reminder_buttons(h: Harness, email: str) -> list:
    """The buttons of the last reminder DMed to `email`."""
    for r, m in reversed(h.out.dms):
        if r.email == email and "still waits for a decision" in flat(as_text(m)):
            return m.buttons
    raise AssertionError(f"no review reminder to {email}")


async def test_a_reviewer_decides_straight_from_the_reminders_open_review_button(harness, clock):
    rr = await overdue_review(harness, clock, pat_tz="UTC", pia_tz="UTC")
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    await sweep_and_deliver(harness, clock)
    pat = harness.person(PAT)
    opened = await pat.press(next(b for b in reminder_buttons(harness, PAT) if b.label == "Open review"))
    assert "Review for Product and delivery" in flat(opened.text)
    assert {"Approve", "Approve with conditions", "Ask for more information", "Stop"} <= \
        {b.label for b in opened.buttons}
    seen = await pat.click("Approve")
    assert "Recorded: you approved" in flat(seen.text)
    async with harness.app.db.read() as s:
        assert (await s.get(ReviewRequest, rr.id)).status == "approved"


async def test_the_sponsor_is_not_reminded_of_a_review_they_may_not_decide(harness, clock):
    """Pia is in the product group but sponsors this use case: deciding refuses her, so reminders skip her."""
    async with harness.app.db.write() as s:
        pia = await factories.person(s, PIA, "Pia", tz="UTC")
        pat = await factories.person(s, PAT, "Pat", tz="UTC")
        uc = await factories.use_case(s, now=clock.now, tier="low", sponsor_id=pia.id)
        await make_ready(s, harness.app.policy, uc, clock.now)
    await harness.person(OWNER).say(f"move UC-{uc.id}")
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    await sweep_and_deliver(harness, clock)
    assert len(reminders_to(harness, PAT)) == 1 and reminders_to(harness, PIA) == []
    assert len(channel_reminders(harness, "#product")) == 1
    async with harness.app.db.read() as s:
        [entry] = [e async for e in audit.entries(s, use_case_id=uc.id) if e.action == "review.reminded"]
    assert entry.data["members_told"] == [pat.id]


@pytest.mark.postgres_only
async def test_an_escalation_that_finds_the_use_case_busy_is_retried_at_the_next_sweep_not_reminded(harness, clock):
    rr = await overdue_review(harness, clock, pat_tz="UTC", pia_tz="UTC")
    for day in (26, 28):  # the two reminders before escalation
        clock.set(datetime(2026, 11, day, 10, 0, tzinfo=UTC))
        await sweep_and_deliver(harness, clock)
    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=UTC))  # escalation is due; someone is changing the use case
    async with harness.app.db.write() as busy:
        await busy.execute(text("SELECT id FROM use_case WHERE id = :i FOR UPDATE"), {"i": rr.use_case_id})
        assert (await sweeps.run_all(harness.app.notifications, clock.now))["review_reminders"] == 0
    await harness.app.dispatcher.drain()
    async with harness.app.db.read() as s:
        row = await s.get(ReviewRequest, rr.id)
        assert (row.status, row.reminder_count) == ("pending", 2)  # no third reminder instead
        assert row.next_reminder_at == clock.now + timedelta(minutes=1)
    assert len(reminders_to(harness, PAT)) == 2 and len(channel_reminders(harness, "#product")) == 2

    clock.advance(minutes=15)  # the next sweep escalates
    assert (await sweep_and_deliver(harness, clock))["review_reminders"] == 1
    async with harness.app.db.read() as s:
        statuses = [(r.group_key, r.status) for r in (await s.execute(
            select(ReviewRequest).where(ReviewRequest.use_case_id == rr.use_case_id)
            .order_by(ReviewRequest.id))).scalars().all()]
        reminded = [e async for e in audit.entries(s, use_case_id=rr.use_case_id) if e.action == "review.reminded"]
    assert statuses == [("product", "escalated"), ("leadership", "pending")] and len(reminded) == 2


async def test_a_reminder_waiting_for_working_hours_is_not_sent_once_its_recipient_snoozed(harness, clock):
    """Pat's reminder is written at 22:00 UTC and held until 09:00 in New York; meanwhile he snoozes the review
    from the channel's reminder. The held one is not delivered: it is recorded as snoozed."""
    rr = await overdue_review(harness, clock, pat_tz="America/New_York", pia_tz="UTC")
    clock.set(datetime(2026, 11, 26, 22, 0, tzinfo=UTC))
    assert (await sweep_and_deliver(harness, clock))["review_reminders"] == 1
    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))  # the channel and Pia (UTC) get theirs
    await harness.app.dispatcher.drain()
    [posted] = [m for c, m, _ in harness.out.posts if c == "#product" and "still waits" in flat(as_text(m))]
    assert len(reminders_to(harness, PIA)) == 1 and reminders_to(harness, PAT) == []
    pat = harness.person(PAT, conversation="#product", kind="channel")
    seen = await pat.press(next(b for b in posted.buttons if b.label == "Snooze 1 day"))
    assert "Snoozed for 1 day" in flat(seen.text)

    clock.set(datetime(2026, 11, 27, 14, 0, tzinfo=UTC))  # 09:00 in New York: the held reminder's time
    await harness.app.dispatcher.drain()
    assert reminders_to(harness, PAT) == []
    async with harness.app.db.read() as s:
        rows = {r.person_id: r for r in await outbox.for_use_case(s, rr.use_case_id, purpose="reminder")
                if r.kind == "dm"}
        pat_id = (await factories.person(s, PAT)).id
        entries = [e async for e in audit.entries(s, use_case_id=rr.use_case_id)
                   if e.action == "reminder.not_sent_snoozed"]
    assert rows[pat_id].status == "snoozed" and rows[pat_id].sent_at is None
    assert {r.status for pid, r in rows.items() if pid != pat_id} == {"sent"}
    assert len(entries) == 1 and entries[0].data["subject"] == f"review:{rr.id}"
    assert entries[0].data["person"] == pat_id
    clock.advance(hours=1)
    await harness.app.dispatcher.drain()  # and it stays unsent
    assert reminders_to(harness, PAT) == []
