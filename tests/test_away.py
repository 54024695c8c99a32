"""Away with a delegate: who decides for an absent member, how the card and the audit say so, groups left unable
to decide, and reminders held while away and sent after `back`."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from bot.commands.audit import line
from notifications import sweeps
from storage import audit
from storage.repo import use_cases
from storage.tables import Outbox, ReviewDecision
from tests.support import factories
from tests.support.harness import Harness
from tests.support.reviewing import button, card, delivered, flat, make_ready, review_for, reviewer

UTC = timezone.utc
OWNER, DELIVERY = "anna.owner@example.com", "bob.delivery@example.com"
PAT, PIA, PRIYA = "pat.product@example.com", "pia.product@example.com", "priya.privacy@example.com"
DAN, EVE = "dan.deputy@example.com", "eve.else@example.com"


async def gate_open(h: Harness, tier: str = "low"):
    async with h.app.db.write() as s:
        for email in (PAT, PIA, PRIYA, DAN, EVE):
            await factories.person(s, email)
        uc = await factories.use_case(s, now=h.app.clock(), tier=tier)
        await make_ready(s, h.app.policy, uc, h.app.clock())
    seen = await h.person(OWNER).say(f"move UC-{uc.id}")
    assert "review requested" in flat(seen.text).lower(), seen.text
    return uc


async def entries(h: Harness, action: str, uc_id: int | None = None):
    async with h.app.db.read() as s:
        return [e async for e in audit.entries(s, use_case_id=uc_id) if e.action == action]


async def test_a_delegate_decides_for_an_away_member_and_the_card_and_audit_say_for_whom(harness: Harness):
    uc = await gate_open(harness)
    rr = await review_for(harness, uc.id, "product")
    seen = await harness.person(PAT).say(f"away until 2026-12-24 delegate {DAN}")
    text = flat(seen.text)
    assert "you are away until 24 Dec 2026" in text and "may decide reviews for Product and delivery" in text
    assert any("named you as their delegate" in flat(t) for t in harness.out.dms_to(DAN))

    # Someone who is neither a member nor anyone's delegate is still refused.
    seen = await reviewer(harness, EVE, "product").press(button(await card(harness, rr.id), "Approve"))
    assert "Only members of Product and delivery can decide" in flat(seen.text)

    seen = await reviewer(harness, DAN, "product").press(button(await card(harness, rr.id), "Approve"))
    assert "Recorded: you approved" in flat(seen.text), seen.text
    async with harness.app.db.read() as s:
        decs = (await s.execute(select(ReviewDecision))).scalars().all()
        pat = await factories.person(s, PAT)
        assert [(d.person_id, d.decision) for d in decs] == [(pat.id, "approve")]  # Pat's vote, counted once
        assert (await use_cases.get(s, uc.id)).stage == "pilot"
    shown = delivered(harness, "#product", f"UC-{uc.id}")
    assert f"Approved by Dan.Deputy for {PAT} (away)" in shown, shown
    decided = (await entries(harness, "review.decided", uc.id))[-1]
    assert decided.actor_label == f"{DAN} for {PAT} (away)"
    assert decided.data["on_behalf_of"] == f"{PAT} (away)"
    assert f"{DAN} for {PAT} (away)" in line(decided)  # what `aiom audit show` and its export print


async def test_a_delegate_who_owns_the_use_case_is_refused(harness: Harness):
    uc = await gate_open(harness)
    rr = await review_for(harness, uc.id, "product")
    await harness.person(PAT).say(f"away until 2026-12-24 delegate {OWNER}")
    seen = await reviewer(harness, OWNER, "product").press(button(await card(harness, rr.id), "Approve"))
    assert "You are the business owner of this use case, so you cannot decide its review, not even for " \
           f"{PAT} (away)" in flat(seen.text), seen.text
    async with harness.app.db.read() as s:
        assert (await s.execute(select(ReviewDecision))).first() is None
        assert (await use_cases.get(s, uc.id)).stage == "exploration"


async def test_back_ends_the_delegation(harness: Harness):
    uc = await gate_open(harness)
    rr = await review_for(harness, uc.id, "product")
    await harness.person(PAT).say(f"away until 2026-12-24 delegate {DAN}")
    seen = await harness.person(PAT).say("back")
    assert "Welcome back" in flat(seen.text)
    assert any("no longer stand in" in flat(t) for t in harness.out.dms_to(DAN))
    seen = await reviewer(harness, DAN, "product").press(button(await card(harness, rr.id), "Approve"))
    assert "Only members of Product and delivery can decide" in flat(seen.text)
    assert [e.action for e in await entries(harness, "person.back")] == ["person.back"]


async def test_away_without_a_delegate_leaves_a_one_member_group_unable_to_decide_and_the_owners_are_told(
        harness: Harness):
    uc = await gate_open(harness, tier="high")
    rr = await review_for(harness, uc.id, "privacy")
    harness.out.dms.clear()
    seen = await harness.person(PRIYA).say("away until 2026-12-24")
    assert "you are away until 24 Dec 2026" in flat(seen.text)
    for email in (OWNER, DELIVERY):
        told = [flat(t) for t in harness.out.dms_to(email) if "cannot decide" in t]
        assert len(told) == 1, (email, harness.out.dms_to(email))
        assert f"Privacy cannot decide the review of UC-{uc.id}" in told[0]
        assert f"{PRIYA} is away until 24 Dec 2026 and named no delegate" in told[0]
    [stuck] = await entries(harness, "review.undecidable", uc.id)
    assert stuck.entity_id == str(rr.id) and stuck.data["able"] == 0
    # Groups with someone left to decide are not reported.
    assert {e.data["group"] for e in await entries(harness, "review.undecidable")} == {"privacy"}


async def test_a_delegate_who_is_away_is_skipped_and_the_owners_are_told(harness: Harness):
    uc = await gate_open(harness, tier="high")
    rr = await review_for(harness, uc.id, "privacy")
    await harness.person(DAN).say("away until 2026-12-31")
    harness.out.dms.clear()
    seen = await harness.person(PRIYA).say(f"away until 2026-12-24 delegate {DAN}")
    assert "is away too (until 31 Dec 2026), so they are skipped" in flat(seen.text)
    told = [flat(t) for t in harness.out.dms_to(OWNER) if "cannot decide" in t]
    assert told and f"their delegate {DAN} is away too" in told[0]
    seen = await reviewer(harness, DAN, "privacy").press(button(await card(harness, rr.id), "Approve"))
    assert "You are away yourself" in flat(seen.text)

    # Dan comes back: he stands in again, and may now decide for Priya.
    await harness.person(DAN).say("back")
    seen = await reviewer(harness, DAN, "privacy").press(button(await card(harness, rr.id), "Approve"))
    assert "Recorded: you approved" in flat(seen.text), seen.text


async def test_reminders_are_held_while_away_copied_to_the_delegate_and_sent_after_back(harness: Harness, clock):
    uc = await gate_open(harness)
    rr = await review_for(harness, uc.id, "product")
    await harness.person(PAT).say(f"away until 2026-12-24 delegate {DAN}")
    harness.out.dms.clear()
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))  # the review is overdue, everyone's zone is UTC
    assert (await sweeps.run_all(harness.app.notifications, clock.now))["review_reminders"] == 1
    await harness.app.dispatcher.drain()

    def reminders(email):
        return [flat(t) for t in harness.out.dms_to(email) if "still waits for a decision" in t]

    assert reminders(PAT) == []  # held
    assert len(reminders(PIA)) == 1
    [copy] = reminders(DAN)
    assert f"For Pat.Product ({PAT}), away until 24 Dec 2026: you stand in for" in copy
    assert f"UC-{uc.id}" in copy
    async with harness.app.db.read() as s:
        held = (await s.execute(select(Outbox).where(Outbox.status == "held"))).scalars().all()
        assert [r.subject for r in held] == [f"review:{rr.id}"]

    clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    seen = await harness.person(PAT).say("back")
    assert "1 reminder(s) held while you were away are on their way now" in flat(seen.text)
    await harness.app.dispatcher.drain()
    assert len(reminders(PAT)) == 1
    [back] = await entries(harness, "person.back")
    assert back.data["reminders_released"] == 1


async def test_an_absence_ends_by_itself_after_its_last_day(harness: Harness, clock):
    await gate_open(harness)
    await harness.person(PAT).say("away until 2026-11-24")
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    await sweeps.run_all(harness.app.notifications, clock.now)
    await harness.app.dispatcher.drain()
    assert [flat(t) for t in harness.out.dms_to(PAT) if "still waits for a decision" in t]
    seen = await harness.person(PAT).say("back")
    assert "did not understand" in flat(seen.text)  # no absence left to end: "back" is not a command for Pat now
    [back] = await entries(harness, "person.back")
    assert back.data["automatic"] is True


async def test_wrong_away_commands_get_a_polite_answer(harness: Harness):
    pat = harness.person(PAT)
    for typed, expected in [
        ("away", "To tell me you are away, type for example"),
        ("away until banana", "I could not read that as a date"),
        ("away until 2026-01-02", "That date is in the past"),
        ("away until 2029-01-02", "more than a year away"),
        (f"away until 2026-12-24 delegate {PAT}", "You cannot be your own delegate"),
        ("away until 2026-12-24 delegate bob", "I could not tell who “bob” is"),
        ("away until 2026-12-24 delegate", "Who should stand in for you?"),
        ("back", "did not understand"),
    ]:
        seen = await pat.say(typed)
        assert expected in flat(seen.text), (typed, seen.text)
    assert await entries(harness, "person.away") == []


async def test_kpi_prompts_wait_for_an_away_owner_and_never_go_to_one_who_left(harness: Harness, clock):
    from notifications import kpi_prompts
    from storage.tables import Kpi

    async with harness.app.db.write() as s:
        uc = await factories.use_case(s, now=clock.now, stage="ongoing_operation")
        pat, anna = await factories.person(s, PAT), await factories.person(s, OWNER)
        for name, owner in (("Triage time", pat.id), ("Complaints", anna.id)):
            s.add(Kpi(use_case_id=uc.id, layer="business_outcome", name=name, unit="min", baseline=30, target=20,
                      direction="lower", owner_id=owner, cadence="weekly", created_at=clock.now,
                      next_due_at=clock.now))
    await harness.person(PAT).say("away until 2026-12-24")
    await harness.person("lena.lead@example.com").say(f"leaver {OWNER}")
    clock.advance(hours=1)
    await kpi_prompts.sweep(harness.app.notifications, clock.now)
    await harness.app.dispatcher.drain()
    prompts = lambda email: [t for t in harness.out.dms_to(email) if "Time for a KPI update" in t]  # noqa: E731
    assert prompts(PAT) == [] and prompts(OWNER) == []
    asked = [e.data["kpi"] for e in await entries(harness, "kpi.value_requested")]
    assert asked == ["Triage time"]  # the leaver's KPI stays unasked until someone takes it over
    await harness.person(PAT).say("back")
    await harness.app.dispatcher.drain()
    assert len(prompts(PAT)) == 1 and "Triage time" in prompts(PAT)[0]


async def test_a_new_review_reaches_the_delegate_who_decides_it_from_their_own_chat(harness: Harness):
    async with harness.app.db.write() as s:
        await factories.person(s, DAN)
    await harness.person(PAT).say(f"away until 2026-12-24 delegate {DAN}")
    uc = await gate_open(harness)
    rr = await review_for(harness, uc.id, "product")
    [told] = [flat(t) for t in harness.out.dms_to(DAN) if "has a new review" in t]
    assert f"Product and delivery has a new review: UC-{uc.id}" in told and f"{PAT} is away" in told
    assert not [t for t in harness.out.dms_to(PIA) if "has a new review" in t]  # members see the channel card
    dan = harness.person(DAN)
    seen = await dan.say("reviews")
    assert f"Review {rr.id}: UC-{uc.id} “Claims triage assistant” for Product and delivery (for {PAT}, away)" \
        in flat(seen.text)
    seen = await dan.click(f"Open review {rr.id}")
    seen = await dan.click("Approve")
    assert "Recorded: you approved" in flat(seen.text), seen.text
    assert f"Approved by Dan.Deputy for {PAT} (away)" in delivered(harness, "#product", f"UC-{uc.id}")


async def test_delegation_never_widens_rights_or_chains_silently(harness: Harness):
    # Pat sponsors the use case, so Pat could not decide its review: neither can Pat's delegate.
    async with harness.app.db.write() as s:
        pat = await factories.person(s, PAT)
    uc = await gate_open(harness)
    async with harness.app.db.write() as s:
        await use_cases.update_fields(s, uc.id, bump_version=False, sponsor_id=pat.id)
    rr = await review_for(harness, uc.id, "product")
    await harness.person(PAT).say(f"away until 2026-12-24 delegate {DAN}")
    seen = await reviewer(harness, DAN, "product").press(button(await card(harness, rr.id), "Approve"))
    assert f"{PAT} is the executive sponsor of this use case and could not decide its review, so you cannot " \
           "either" in flat(seen.text), seen.text

    # Priya (alone in Privacy) delegates to Dan; when Dan goes away himself, the owners hear the group is stuck.
    high = await gate_open(harness, tier="high")
    await harness.person(PRIYA).say(f"away until 2026-12-24 delegate {DAN}")
    assert not await entries(harness, "review.undecidable", high.id)  # Dan stands in for now
    await harness.person(DAN).say("away until 2026-12-20")
    [stuck] = await entries(harness, "review.undecidable", high.id)
    assert stuck.data["group"] == "privacy"
    told = [flat(t) for t in harness.out.dms_to(OWNER) if f"Privacy cannot decide the review of UC-{high.id}" in t]
    assert told and f"They were standing in for {PAT}, {PRIYA}, who are away." in told[-1], told


async def test_a_delegate_from_the_same_group_decides_as_themselves_only(harness: Harness):
    uc = await gate_open(harness, tier="medium")
    product = await review_for(harness, uc.id, "product")
    seen = await harness.person(PAT).say(f"away until 2026-12-24 delegate {PIA}")
    assert "may decide reviews for" not in flat(seen.text)  # Pia is in Product and delivery already
    seen = await reviewer(harness, PIA, "product").press(button(await card(harness, product.id), "Approve"))
    assert "Recorded: you approved" in flat(seen.text)
    async with harness.app.db.read() as s:
        pia = await factories.person(s, PIA)
        decs = (await s.execute(select(ReviewDecision))).scalars().all()
        assert [d.person_id for d in decs] == [pia.id]  # her own vote, once
    assert [e.actor_label for e in await entries(harness, "review.decided", uc.id)] == [PIA]


async def test_a_delegate_sees_a_restricted_review_of_the_away_members_group(harness: Harness):
    async with harness.app.db.write() as s:
        await factories.person(s, DAN)
    uc = await gate_open(harness)
    async with harness.app.db.write() as s:
        await use_cases.update_fields(s, uc.id, bump_version=False, restricted=True)
    rr = await review_for(harness, uc.id, "product")
    dan = harness.person(DAN)
    seen = await dan.say(f"review {rr.id}")
    assert f"There is no review {rr.id} you can see" in flat(seen.text)
    await harness.person(PAT).say(f"away until 2026-12-24 delegate {DAN}")
    seen = await dan.say(f"review {rr.id}")
    assert f"UC-{uc.id}" in flat(seen.text) and "There is no review" not in flat(seen.text)
    seen = await dan.click("Approve")
    assert "Recorded: you approved" in flat(seen.text), seen.text


async def test_the_admins_are_told_too_when_an_absence_leaves_a_group_unable_to_decide(db_url, policy, clock):
    admin = "ada.admin@example.com"
    h = await Harness.start(db_url, policy=policy.model_copy(update={"admins": [admin]}), clock=clock)
    try:
        await h.person(admin).say("hello")  # aiom has met the admin, so it can write to them
        uc = await gate_open(h, tier="high")
        await review_for(h, uc.id, "privacy")
        h.out.dms.clear()
        await h.person(PRIYA).say("away until 2026-12-24")
        told = [flat(t) for t in h.out.dms_to(admin) if "cannot decide" in t]
        assert len(told) == 1 and f"Privacy cannot decide the review of UC-{uc.id}" in told[0], h.out.dms_to(admin)
    finally:
        await h.stop()
