"""What a review card shows: the tier and why, owners, readiness band and hard gates, open conditions, and what
changed (edits, re-scores, risks, conditions, answered questions). The card is shared by the channel, so it says
"Changed since this card was posted" (or, at a later gate, since the group's last decision on the use case) and
no one member's look changes it; "Changed since you last looked" comes only in a member's private Details reply,
counted from that member's own last look."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.tables import Condition, InfoRequest
from tests.support import factories
from tests.support.harness import Harness, as_text
from tests.support.reviewing import button, card, delivered, flat, make_ready, review_for, reviewer
from tests.test_risks import add_risk

OWNER, DELIVERY, LEAD = "anna.owner@example.com", "bob.delivery@example.com", "lena.lead@example.com"
# Readiness: every area 4 except user adoption readiness (the 8th) at 2 -> 70 of 90, moderate (no hard gate below 3:
# that would block the gate).
READINESS = [4] * 7 + [2] + [4] * 10


def card_text(message) -> str:
    return flat(as_text(message))


async def scored_pilot(h: Harness, clock) -> int:
    async with h.app.db.write() as s:
        lena = await factories.person(s, LEAD, "Lena Lead")
        await factories.person(s, OWNER, "Anna Owner")
        await factories.person(s, DELIVERY, "Bob Delivery")
        uc = await factories.use_case(s, now=clock.now - timedelta(days=30), stage="pilot", tier="medium",
                                      sponsor_id=lena.id, risk_reviewed_at=clock.now - timedelta(days=1),
                                      risk_tier_reasons=[["Does it use personal data?", "Yes, claimants' data"],
                                                         ["Are decisions made without a person?", "No"]])
    anna = h.person(OWNER)
    await anna.say(f"score UC-{uc.id} readiness")
    for v in READINESS:
        seen = await anna.click(f"{v} ·")
    assert "70" in seen.text, seen.text
    return uc.id


async def test_a_pilot_to_rollout_card_with_moderate_readiness_and_one_open_condition(harness: Harness, clock):
    uc_id = await scored_pilot(harness, clock)
    seen = await harness.person(OWNER).say(f"move UC-{uc_id}")
    assert "review requested for Controlled rollout" in seen.text, seen.text
    security, product = await review_for(harness, uc_id, "security"), await review_for(harness, uc_id, "product")
    await reviewer(harness, "sam.security@example.com", "security").submit(
        "review.conditions", {"r": security.id}, {"c1_text": "Pen test before rollout", "c1_owner": DELIVERY,
                                                   "c1_due": "2027-01-15"})
    [cond] = await open_conditions(harness)
    text = card_text(await card(harness, product.id))
    assert f"Review for Product and delivery: UC-{uc_id} Claims triage assistant" in text
    assert "asks to move Pilot → Controlled rollout" in text
    assert ("Risk tier Medium risk (from the intake answers: Does it use personal data? → Yes, claimants' data; "
            "Are decisions made without a person? → No)") in text
    assert "Owners business: Anna.Owner · delivery: Bob Delivery · sponsor: Lena Lead" in text
    assert "Readiness scorecard 70 of 90 — Moderate readiness" in text and "hard gates below" not in text
    assert (f"Open conditions: • #{cond.id} Pen test before rollout (owner Bob Delivery, due 15 Jan 2027)") in text
    assert "Readiness is in a band that passes only with conditions" in text
    assert "Changed since this card was posted (on 23 Nov 2026 09:00 UTC): • Condition " \
           f"#{cond.id} added: Pen test before rollout (owner Bob Delivery, due 15 Jan 2027) (Sam.Security, 23 Nov " \
           "2026 09:00 UTC)" in text
    labels = [b.label for b in (await card(harness, product.id)).buttons]
    assert "Approve" not in labels and "Approve with conditions" in labels
    # Security's own card: the condition it attached is listed, not reported as a change to itself.
    own = card_text(await card(harness, security.id))
    assert "Pen test before rollout" in own and "Changed since" not in own
    # What the product channel shows is that same card.
    assert "70 of 90 — Moderate readiness" in delivered(harness, "#product", f"UC-{uc_id}")


async def open_conditions(h: Harness) -> list[Condition]:
    async with h.app.db.read() as s:
        return list((await s.execute(select(Condition).where(Condition.status == "open")
                                     .order_by(Condition.id))).scalars().all())


async def test_the_card_lists_changes_since_it_was_posted_and_details_since_you_last_looked(harness: Harness, clock):
    h = harness
    uc_id = await scored_pilot(h, clock)
    await h.person(OWNER).say(f"move UC-{uc_id}")
    security, product = await review_for(h, uc_id, "security"), await review_for(h, uc_id, "product")
    privacy = await review_for(h, uc_id, "privacy")
    await reviewer(h, "sam.security@example.com", "security").submit(
        "review.conditions", {"r": security.id}, {"c1_text": "Pen test before rollout", "c1_owner": DELIVERY,
                                                   "c1_due": "2027-01-15"})
    pat = reviewer(h, "pat.product@example.com", "product")
    clock.advance(hours=1)
    seen = await pat.press(button(await card(h, product.id), "Details"))  # Pat looks, privately
    assert "Changed since this card was posted (on 23 Nov 2026 09:00 UTC): • Condition #" in flat(seen.text)
    assert "you last looked" not in flat(seen.text)  # Pat never looked before
    shared = card_text(await card(h, product.id))  # the shared card is the same for everyone, before and after
    assert "Changed since this card was posted (on 23 Nov 2026 09:00 UTC): • Condition #" in shared
    assert "you last looked" not in shared and "you last looked" not in delivered(h, "#product", f"UC-{uc_id}")
    seen = await pat.press(button(await card(h, product.id), "Details"))
    assert "Nothing has changed since you last looked (on 23 Nov 2026 10:00 UTC)." in flat(seen.text)

    clock.advance(hours=1)
    anna = h.person(OWNER)
    await anna.say(f"score UC-{uc_id} readiness")  # re-score user adoption readiness 2 -> 3
    await anna.click("Review answers")
    await anna.click("User adoption readiness")
    await anna.click("3 ·")
    await add_risk(anna, uc_id, description="Model drift on winter claims.", owner=DELIVERY)
    [cond] = await open_conditions(h)
    await h.person(DELIVERY).say(f"close condition {cond.id} pen test report PT-114 shows no open findings")
    await reviewer(h, "priya.privacy@example.com", "privacy").submit(
        "review.info", {"r": privacy.id}, {"question": "Where are the claim forms stored?"})
    async with h.app.db.read() as s:
        info = (await s.execute(select(InfoRequest))).scalar_one()
    await anna.submit("info.answer", {"i": info.id}, {"answer": "In the EU claims store, encrypted."})
    await h.person(OWNER).submit("uc.edit", {"uc": uc_id}, {"affected_users": "Motor and home claims handlers"})

    text = delivered(h, "#product", f"UC-{uc_id}")  # the edit updated the card in place
    assert "Changed since this card was posted (on 23 Nov 2026 09:00 UTC):" in text and "you last" not in text
    changes = text.split("Changed since this card was posted", 1)[1]
    assert "Readiness scorecard re-scored: User adoption readiness 3 (Anna.Owner, 23 Nov 2026 11:00 UTC)" in changes
    assert "New risk: " in changes and "Model drift on winter claims." in changes
    assert f"Condition #{cond.id} closed: Pen test before rollout; evidence: pen test report PT-114" in changes
    assert "Question answered: In the EU claims store, encrypted. (Anna.Owner" in changes
    assert "Affected users: “Motor claims handlers” → “Motor and home claims handlers”" in changes
    assert "Readiness scorecard 71 of 90 — Moderate readiness" in text and "hard gates below" not in text
    assert changes.index("re-scored") < changes.index("New risk") < changes.index("closed:") \
        < changes.index("Question answered") < changes.index("Affected users")
    assert changes.index(f"Condition #{cond.id} added") < changes.index("re-scored")  # from 09:00, for everyone
    # Pat's private Details: only what came after Pat's own look at 10:00.
    mine = flat((await pat.press(button(await card(h, product.id), "Details"))).text)
    mine = mine.split("Changed since you last looked (on 23 Nov 2026 10:00 UTC):", 1)[1]
    assert "re-scored" in mine and "Model drift" in mine and "Affected users" in mine and "added:" not in mine
    # Priya looked when she asked her question: her Details shows only what came after; Privacy's shared card
    # still lists everything since it was posted.
    priya = reviewer(h, "priya.privacy@example.com", "privacy")
    mine = flat((await priya.press(button(await card(h, privacy.id), "Details"))).text)
    mine = mine.split("Changed since you last looked (on 23 Nov 2026 11:00 UTC):", 1)[1]
    assert "Question answered" in mine and "Affected users" in mine
    assert "re-scored" not in mine and "New risk" not in mine and "closed:" not in mine
    shared = card_text(await card(h, privacy.id)).split("Changed since this card was posted", 1)[1]
    assert "re-scored" in shared and "Question answered" in shared
    # Someone outside the group who opens the details is not told what changed "since they last looked".
    seen = await h.person(LEAD).press(button(await card(h, product.id), "Details"))
    assert "Changed since" not in flat(seen.text)


async def test_what_changed_is_carried_from_one_gate_to_the_next(harness: Harness, clock):
    h = harness
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=clock.now, tier="low")
        await make_ready(s, h.app.policy, uc, clock.now)
    await h.person(OWNER).say(f"move UC-{uc.id}")
    gate1 = await review_for(h, uc.id, "product")
    clock.advance(hours=2)
    await reviewer(h, "pat.product@example.com", "product").submit(
        "review.conditions", {"r": gate1.id}, {"c1_text": "Agree the pilot user group with HR", "c1_owner": DELIVERY,
                                                "c1_due": "2026-12-18"})
    [cond] = await open_conditions(h)
    clock.advance(days=10)
    await h.person(OWNER).submit("uc.edit", {"uc": uc.id}, {"outcome": "Cut claims triage time by 40% while "
                                                                     "keeping human review for high-risk cases"})
    await h.person(DELIVERY).say(f"close condition {cond.id} HR approved the 12-person pilot group")
    await add_risk(h.person(OWNER), uc.id, description="Handlers may over-trust the ranking.", owner=OWNER)
    async with h.app.db.write() as s:
        from storage.repo import use_cases

        await make_ready(s, h.app.policy, await use_cases.get(s, uc.id), clock.now)
    seen = await h.person(OWNER).say(f"move UC-{uc.id}")
    assert "review requested for Controlled rollout" in seen.text, seen.text
    gate2 = await review_for(h, uc.id, "product")
    assert gate2.id != gate1.id
    text = flat(h.out.posts_in("#product")[-1])  # the new card, posted in the channel
    assert "asks to move Pilot → Controlled rollout" in text and text == card_text(await card(h, gate2.id))
    changes = text.split("Changed since Product and delivery's last decision on UC-1 (on 23 Nov 2026 11:00 UTC):",
                         1)[1]  # Pat's decision on the previous gate, on the record for the whole channel
    assert "Outcome statement: “Cut claims triage time by 30%" in changes and "by 40%" in changes
    assert f"Condition #{cond.id} closed: Agree the pilot user group with HR" in changes
    assert "Handlers may over-trust the ranking." in changes
    assert "added: Agree the pilot" not in changes  # product attached that condition itself
    # Security reviews this use case for the first time: nothing is "changed" for it.
    assert "Changed since" not in delivered(h, "#security", f"UC-{uc.id}")
    updates = len(h.out.updates)
    pia = reviewer(h, "pia.product@example.com", "product")
    seen = flat((await pia.press(button(await card(h, gate2.id), "Details"))).text)
    assert "Changed since Product and delivery's last decision on UC-1 (on 23 Nov 2026 11:00 UTC):" in seen
    assert len(h.out.updates) == updates  # Pia's look is hers: the shared card stays as it is
    assert "Changed since Product and delivery's last decision" in card_text(await card(h, gate2.id))
    seen = flat((await pia.press(button(await card(h, gate2.id), "Details"))).text)
    assert "Nothing has changed since you last looked" in seen
