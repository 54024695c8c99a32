"""Conditions past due, half-answered scorecards, pilots left in limbo, abandoned proposals; working hours
across timezones and daylight-saving changes; snooze buttons."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, update

from vocabulary.messages import Button
from vocabulary.policy.models import WorkingHours
from notifications import sweeps
from vocabulary.hours import next_allowed
from storage import audit
from storage.tables import Condition, ConversationState, GateRequest, Outbox, Scorecard, UseCase
from tests.support import factories
from tests.support.harness import Harness
from tests.support.reviewing import flat

UTC = timezone.utc
BOB, ANNA, SPONSOR = "bob.delivery@example.com", "anna.owner@example.com", "sid.sponsor@example.com"


async def run(h: Harness, clock, at: datetime | None = None) -> dict:
    if at is not None:
        clock.set(at)
    result = await sweeps.run_all(h.app.notifications, clock.now)
    await h.app.dispatcher.drain()
    return result


def dms(h: Harness, email: str, needle: str) -> list[str]:
    return [flat(t) for t in h.out.dms_to(email) if needle in flat(t)]


def buttons_of(h: Harness, email: str, needle: str) -> list[Button]:
    return [b for r, m in h.out.dms if r.email == email and needle in flat(m.fallback) for b in m.buttons]


async def condition(h: Harness, clock, due: date, tz: str = "UTC") -> Condition:
    async with h.app.db.write() as s:
        bob = await factories.person(s, BOB, "Bob", tz=tz)
        uc = await factories.use_case(s, now=clock.now, stage="pilot")
        c = Condition(use_case_id=uc.id, text="Run the bias test on last quarter's claims", owner_id=bob.id,
                      due_date=due, status="open", created_at=clock.now)
        s.add(c)
        await s.flush()
        return c


# -- conditions ---------------------------------------------------------------------------------------
async def test_a_condition_past_its_date_is_chased_every_few_days_until_snoozed_or_closed(harness, clock):
    c = await condition(harness, clock, date(2026, 11, 20))
    assert (await run(harness, clock))["condition_reminders"] == 1  # Mon 23 Nov 09:00
    chased = dms(harness, BOB, "is still open")
    assert len(chased) == 1 and "was due on Fri 20 Nov 2026" in chased[0] and "Close condition" in chased[0]
    assert (await run(harness, clock, datetime(2026, 11, 25, 9, tzinfo=UTC)))["condition_reminders"] == 0
    assert (await run(harness, clock, datetime(2026, 11, 26, 9, 10, tzinfo=UTC)))["condition_reminders"] == 1
    assert len(dms(harness, BOB, "is still open")) == 2

    snooze = next(b for b in buttons_of(harness, BOB, "is overdue") if b.label == "Snooze 1 week")
    await harness.person(BOB).press(snooze)
    assert (await run(harness, clock, datetime(2026, 11, 29, 9, 10, tzinfo=UTC)))["condition_reminders"] == 0
    assert (await run(harness, clock, datetime(2026, 12, 3, 9, 0, tzinfo=UTC)))["condition_reminders"] == 0
    assert (await run(harness, clock, datetime(2026, 12, 3, 9, 15, tzinfo=UTC)))["condition_reminders"] == 1
    assert len(dms(harness, BOB, "is still open")) == 3

    async with harness.app.db.write() as s:
        await s.execute(update(Condition).where(Condition.id == c.id).values(status="closed"))
    assert (await run(harness, clock, datetime(2026, 12, 20, 9, tzinfo=UTC)))["condition_reminders"] == 0
    async with harness.app.db.read() as s:
        actions = [e.action async for e in audit.entries(s, use_case_id=c.use_case_id)]
    assert actions.count("condition.reminded") == 3


async def test_across_the_autumn_clock_change_a_reminder_arrives_at_nine_new_york_time(harness, clock):
    """US daylight saving ends on Sunday 1 Nov 2026: found on Friday evening (EDT), delivered Monday 09:00 EST."""
    clock.set(datetime(2026, 10, 30, 22, 0, tzinfo=UTC))  # Friday 18:00 in New York
    await condition(harness, clock, date(2026, 10, 28), tz="America/New_York")
    assert (await run(harness, clock))["condition_reminders"] == 1
    assert dms(harness, BOB, "is still open") == []
    await run(harness, clock, datetime(2026, 11, 2, 13, 59, tzinfo=UTC))  # 08:59 EST (09:59 by the old offset)
    assert dms(harness, BOB, "is still open") == []
    await run(harness, clock, datetime(2026, 11, 2, 14, 0, tzinfo=UTC))  # 09:00 EST
    assert len(dms(harness, BOB, "is still open")) == 1
    async with harness.app.db.read() as s:
        row = (await s.execute(select(Outbox).where(Outbox.purpose == "reminder"))).scalar_one()
    assert row.not_before == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def test_working_hours_in_several_zones_and_both_clock_changes():
    hours = WorkingHours()  # 9-17, Monday to Friday, default UTC
    friday_evening = datetime(2026, 3, 27, 17, 30, tzinfo=UTC)
    # London moves to BST on Sunday 29 March: Monday 09:00 BST is 08:00 UTC.
    assert next_allowed(friday_evening, "Europe/London", hours) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    # Tokyo has no DST; it is already Saturday 02:30 there.
    assert next_allowed(friday_evening, "Asia/Tokyo", hours) == datetime(2026, 3, 30, 0, 0, tzinfo=UTC)
    # Within working hours it goes at once; an unknown zone falls back to the policy's default.
    tuesday = datetime(2026, 3, 31, 10, tzinfo=UTC)
    assert next_allowed(tuesday, "Europe/London", hours) == tuesday
    assert next_allowed(datetime(2026, 3, 28, 10, tzinfo=UTC), "Not/AZone", hours) == datetime(2026, 3, 30, 9,
                                                                                             tzinfo=UTC)
    anytime = WorkingHours(allow_outside=True)
    assert next_allowed(friday_evening, "Asia/Tokyo", anytime) == friday_evening


# -- scorecards -----------------------------------------------------------------------------------------
async def test_a_half_answered_scorecard_nudges_both_owners_and_an_answer_resets_the_clock(harness, clock):
    async with harness.app.db.write() as s:
        uc = await factories.use_case(s, now=clock.now, stage="pilot")
        sc = Scorecard(use_case_id=uc.id, instrument="readiness", status="in_progress", answered=7,
                       started_at=clock.now - timedelta(days=6), last_answer_at=clock.now - timedelta(days=4))
        s.add(sc)
        await s.flush()
    assert (await run(harness, clock))["scorecard_nudges"] == 1
    for who in (ANNA, BOB):
        got = dms(harness, who, "has 7 of 18 answers")
        assert len(got) == 1 and "Carry on scoring" in got[0] and "nobody has added one for 4 days" in got[0]
    carry = next(b for b in buttons_of(harness, ANNA, "is waiting for answers") if b.label == "Carry on scoring")
    assert (carry.action, carry.payload) == ("scorecard.start", {"uc": uc.id, "i": "readiness"})
    # Someone answers on Wednesday: the next nudge counts three days from that answer, not from the nudge.
    async with harness.app.db.write() as s:
        await s.execute(update(Scorecard).where(Scorecard.id == sc.id)
                        .values(answered=9, last_answer_at=datetime(2026, 11, 25, 12, tzinfo=UTC)))
    assert (await run(harness, clock, datetime(2026, 11, 26, 9, 30, tzinfo=UTC)))["scorecard_nudges"] == 0
    assert (await run(harness, clock, datetime(2026, 11, 28, 12, 10, tzinfo=UTC)))["scorecard_nudges"] == 1
    clock.set(datetime(2026, 11, 30, 9, tzinfo=UTC))  # the Saturday nudge waits for Monday morning
    await harness.app.dispatcher.drain()
    assert len(dms(harness, ANNA, "has 9 of 18 answers")) == 1


# -- pilots in limbo ----------------------------------------------------------------------------------------
async def test_a_pilot_past_its_exit_date_without_a_decision_is_flagged_to_owners_and_sponsor(harness, clock):
    async with harness.app.db.write() as s:
        sponsor = await factories.person(s, SPONSOR, "Sid")
        uc = await factories.use_case(s, now=clock.now, stage="pilot", sponsor_id=sponsor.id,
                                      pilot_exit_date=date(2026, 11, 18))
        waiting = await factories.use_case(s, now=clock.now, stage="pilot", title="Under review",
                                           pilot_exit_date=date(2026, 11, 18))
        s.add(GateRequest(use_case_id=waiting.id, from_stage="pilot", to_stage="controlled_rollout"))
    assert (await run(harness, clock))["limbo_pilots"] == 1
    for who in (ANNA, BOB, SPONSOR):
        got = dms(harness, who, "left in limbo")
        assert len(got) == 1 and f"UC-{uc.id}" in got[0] and "Wed 18 Nov 2026" in got[0], who
    assert "As its sponsor" in dms(harness, SPONSOR, "left in limbo")[0]
    ask = next(b for b in buttons_of(harness, BOB, "past its exit date") if b.label == "Ask for the next gate")
    assert (ask.action, ask.payload) == ("gate.request", {"uc": uc.id})
    assert (await run(harness, clock, datetime(2026, 11, 27, 9, tzinfo=UTC)))["limbo_pilots"] == 0
    assert (await run(harness, clock, datetime(2026, 11, 30, 9, 5, tzinfo=UTC)))["limbo_pilots"] == 1
    async with harness.app.db.write() as s:  # leadership redirects it back to pilot with a new exit date
        await s.execute(update(UseCase).where(UseCase.id == uc.id).values(pilot_exit_date=date(2027, 2, 1)))
    assert (await run(harness, clock, datetime(2026, 12, 7, 9, 5, tzinfo=UTC)))["limbo_pilots"] == 0
    assert len(dms(harness, SPONSOR, "left in limbo")) == 2


# -- abandoned proposals ------------------------------------------------------------------------------------
async def test_an_abandoned_proposal_gets_one_nudge_and_carry_on_asks_the_question_again(harness, clock):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    await zoe.say("Claims triage assistant")
    clock.advance(days=1)
    assert (await run(harness, clock))["abandoned_intakes"] == 0
    clock.advance(days=1, minutes=5)
    assert (await run(harness, clock))["abandoned_intakes"] == 1
    got = dms(harness, "zoe@example.com", "answers so far are kept")
    assert len(got) == 1 and "“Claims triage assistant”" in got[0]
    assert (await run(harness, clock, clock.now + timedelta(days=5)))["abandoned_intakes"] == 0  # once only

    carry = next(b for b in buttons_of(harness, "zoe@example.com", "waiting for you") if b.label == "Carry on")
    seen = await zoe.press(carry)
    assert "Welcome back" in seen.text and "What problem does it solve" in seen.text
    seen = await zoe.say("Claims handlers spend two hours a day sorting new claims by urgency before work.")
    assert "question 3 of" in seen.text  # the flow carries on from there
    # Someone else's button, or a finished proposal, is refused.
    seen = await harness.person("eve@example.com").press(carry)
    assert "not one of yours" in seen.text


async def test_discarding_an_abandoned_proposal_cancels_it_and_a_snooze_asks_for_one_more_nudge(harness, clock):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    await zoe.say("Claims triage assistant")
    clock.advance(days=2, minutes=5)
    await run(harness, clock)
    snooze = next(b for b in buttons_of(harness, "zoe@example.com", "waiting for you") if b.label == "Snooze 1 day")
    seen = await zoe.press(snooze)
    assert "Snoozed for 1 day" in seen.text and "your unfinished proposal" in seen.text
    assert (await run(harness, clock, clock.now + timedelta(hours=12)))["abandoned_intakes"] == 0
    assert (await run(harness, clock, clock.now + timedelta(hours=13)))["abandoned_intakes"] == 1
    discard = next(b for b in buttons_of(harness, "zoe@example.com", "waiting for you") if b.label == "Discard it")
    seen = await zoe.press(discard)
    assert "Cancelled" in seen.text
    async with harness.app.db.read() as s:
        st = (await s.execute(select(ConversationState))).scalar_one()
    assert st.status == "cancelled"


async def test_a_snooze_button_with_a_made_up_subject_is_refused(harness):
    seen = await harness.person("eve@example.com").press(Button("x", "remind.snooze", {"s": "drop table", "d": 1}))
    assert "could not read that button" in seen.text
    seen = await harness.person("eve@example.com").press(Button("x", "remind.snooze", {"s": "review:1", "d": 99}))
    assert "could not read that button" in seen.text


def test_the_quick_serialisation_of_reminders_matches_the_message_model():
    from vocabulary.messages import Confirm, Header, Message, Strong
    from notifications.reminders import conditions, intakes, limbo, reviews, scorecards  # noqa: F401
    from notifications.reminders.common import as_dict, snooze_buttons
    from vocabulary.messages import Buttons, Context, Text

    plain = Message([Text(["Review #4 is overdue.\nPlease decide."], muted=True),
                     Buttons([Button("Open review", "review.details", {"r": 4}, style="primary"),
                              *snooze_buttons("review:4")]), Context("Reminder 2 · review #4")],
                    fallback="Reminder")
    assert as_dict(plain) == plain.to_dict()
    assert Message.from_dict(as_dict(plain)).to_dict() == plain.to_dict()
    rich = Message([Header("x"), Text([Strong("y")]),
                    Buttons([Button("Stop", "a", {}, confirm=Confirm("Sure?", "Really"))])])
    assert as_dict(rich) == rich.to_dict()
