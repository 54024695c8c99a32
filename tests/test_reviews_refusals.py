"""Who may decide: every refused click gets a short private explanation and changes nothing."""
from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

from vocabulary.interaction import Whisper
from vocabulary.messages import Button
from storage.tables import AuditEntry, ReviewDecision, ReviewRequest
from tests.support import factories
from tests.support.harness import Harness
from tests.support.reviewing import button, card, flat, make_ready, review_for, reviewer

OWNER = "anna.owner@example.com"


async def gate_open(h: Harness, **kw):
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock(), **kw)
        await make_ready(s, h.app.policy, uc, h.app.clock())
    seen = await h.person("bob.delivery@example.com").say(f"move UC-{uc.id}")
    assert "review requested" in seen.text, seen.text
    return uc


async def state(h: Harness) -> tuple:
    """Everything a refused click must leave alone."""
    async with h.app.db.read() as s:
        decisions = (await s.execute(select(func.count()).select_from(ReviewDecision))).scalar_one()
        statuses = tuple((await s.execute(select(ReviewRequest.status).order_by(ReviewRequest.id))).scalars())
        entries = (await s.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
    return decisions, statuses, entries


async def refused(person, btn: Button, h: Harness, expect: str) -> None:
    before = await state(h)
    seen = await person.press(btn)
    ops = seen.outcome.ops
    assert len(ops) == 1 and isinstance(ops[0], Whisper), ops  # private, nothing else
    assert expect in flat(seen.text), seen.text
    assert await state(h) == before


ALL_BUTTONS = ("Approve", "Approve with conditions", "Ask for more information", "Escalate", "Stop")


async def test_non_members_cannot_decide(harness: Harness):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    sam = reviewer(harness, "sam.security@example.com", "product")  # security, not product
    for label in ALL_BUTTONS:
        await refused(sam, button(await card(harness, rr.id), label), harness, "Only members of Product and delivery")


async def test_nobody_decides_on_a_use_case_they_proposed_own_or_sponsor(harness: Harness):
    async with harness.app.db.write() as s:
        sponsor = await factories.person(s, "lena.lead@example.com")
    uc = await gate_open(harness, tier="low", proposer="pat.product@example.com",
                         business_owner="pia.product@example.com", sponsor_id=sponsor.id)
    rr = await review_for(harness, uc.id, "product")
    for email, role in (("pat.product@example.com", "proposer"), ("pia.product@example.com", "business owner")):
        for label in ALL_BUTTONS:
            await refused(reviewer(harness, email, "product"), button(await card(harness, rr.id), label), harness,
                          f"You are the {role} of this use case")
    # The sponsor sits in leadership: an escalated review does not let them decide either.
    async with harness.app.db.write() as s:
        from conversations.reviews.deciding import escalate_review

        new_id = await escalate_review(s, harness.app.policy, rr.id, reason="Overdue after two reminders",
                                       now=harness.app.clock(), platforms={"console"})
    await refused(reviewer(harness, "lena.lead@example.com", "leadership"), button(await card(harness, new_id),
                                                                                   "Approve"),
                  harness, "You are the executive sponsor of this use case")


async def test_guests_from_another_workspace_cannot_decide(harness: Harness):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    guest = reviewer(harness, "pat.product@example.com", "product")
    guest.actor = dataclasses.replace(guest.actor, guest=True, tenant="T-OTHER")
    for label in ALL_BUTTONS:
        await refused(guest, button(await card(harness, rr.id), label), harness, "another workspace or organisation")


async def test_an_unverified_email_cannot_decide(harness: Harness):
    uc = await gate_open(harness, tier="low")
    rr = await review_for(harness, uc.id, "product")
    p = reviewer(harness, "pat.product@example.com", "product")
    p.actor = dataclasses.replace(p.actor, email_verified=False, external_id="U-UNVERIFIED")
    await refused(p, button(await card(harness, rr.id), "Approve"), harness, "could not confirm your email")


async def test_a_stale_card_says_who_decided_and_when(harness: Harness, clock):
    uc = await gate_open(harness, tier="medium")
    rr = await review_for(harness, uc.id, "product")
    old = await card(harness, rr.id)  # the card as posted, before anyone decided
    clock.advance(minutes=7)
    await reviewer(harness, "pat.product@example.com", "product").press(button(old, "Approve"))
    pia = reviewer(harness, "pia.product@example.com", "product")
    for label in ALL_BUTTONS:
        await refused(pia, button(old, label), harness,
                      "already decided by Pat.Product at 23 Nov 2026 09:07 UTC (approved)")
    # The same person clicking twice: still one decision.
    await refused(reviewer(harness, "pat.product@example.com", "product"), button(old, "Approve"), harness,
                  "already decided by Pat.Product")


async def test_cancelled_and_paused_reviews_refuse_decisions(harness: Harness):
    uc = await gate_open(harness, tier="medium")
    rr = await review_for(harness, uc.id, "risk")
    btn = button(await card(harness, rr.id), "Approve")
    await harness.person("lena.lead@example.com").say(f"pause UC-{uc.id} Budget review this quarter")
    await refused(reviewer(harness, "rita.risk@example.com", "risk"), btn, harness, "is paused by leadership")
    lena = harness.person("lena.lead@example.com")
    await lena.say(f"stop UC-{uc.id} Superseded by the group-wide platform")
    await lena.submit("leadership.stop", {"uc": uc.id}, {"reason": "Superseded by the group-wide platform",
                                                         "confirm": "stop"})
    await refused(reviewer(harness, "rita.risk@example.com", "risk"), btn, harness, "was cancelled")


async def test_bad_payloads_are_refused(harness: Harness):
    p = reviewer(harness, "pat.product@example.com", "product")
    for payload in ({}, {"r": "x; drop table"}, {"r": 999}):
        seen = await p.press(Button("Approve", "review.approve", payload))
        assert isinstance(seen.outcome.ops[0], Whisper)
        assert "could not" in seen.text.lower()
