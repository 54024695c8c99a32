"""People who are away or have left are named as such where their items are listed: a use case's status view
and the leadership digest."""
from __future__ import annotations

from datetime import date

from storage.repo import absences
from tests.support import factories, portfolio
from tests.support.harness import Harness
from tests.support.reviewing import flat
from tests.test_digest import sent_digest

LENA = "lena.lead@example.com"


async def test_the_status_view_names_an_away_condition_owner_and_an_owner_who_has_left(harness: Harness, clock):
    from storage.tables import Condition

    async with harness.app.db.write() as s:
        uc = await factories.use_case(s, now=clock.now, tier="low", stage="pilot")
        s.add(Condition(use_case_id=uc.id, text="Run the bias test", owner_id=uc.delivery_owner_id,
                        due_date=date(2026, 12, 20), status="open", created_at=clock.now))
    seen = await harness.person("bob.delivery@example.com").say("away until 2026-12-24")
    assert "you are away until 24 Dec 2026" in flat(seen.text)
    await harness.person(LENA).say("leaver anna.owner@example.com")
    text = flat((await harness.person(LENA).say(f"status UC-{uc.id}")).text)
    assert "Business owner Anna.Owner (owner has left)" in text, text
    assert "Run the bias test · Bob.Delivery (away until 24 Dec 2026) · due 20 Dec 2026" in text, text
    # Once Bob is back, his name stands alone again.
    await harness.person("bob.delivery@example.com").say("back")
    text = flat((await harness.person(LENA).say(f"status UC-{uc.id}")).text)
    assert "Bob.Delivery (away" not in text and "Run the bias test · Bob.Delivery · due" in text


async def test_the_digest_names_away_and_departed_owners(harness: Harness, clock):
    async with harness.app.db.write() as s:
        uc = await portfolio.seed(s, harness.app.policy)
        bob, anna = uc["contract"].delivery_owner_id, uc["churn"].business_owner_id
        await absences.set_away(s, bob, date(2026, 12, 24), None, portfolio.NOW)
        await absences.mark_left(s, anna, source="admin", at=portfolio.NOW)
    clock.set(portfolio.NOW)
    text = await sent_digest(harness)
    assert "condition #1 due Fri 20 Nov, owner Bob.Delivery (away)" in text, text
    assert "Contracts hold personal data (likelihood high, impact high), owner Bob.Delivery (away)" in text
    assert "Scores drift (likelihood medium, impact high), owner Anna.Owner (owner has left)" in text
    assert "baseline 0.7), owner Anna.Owner (owner has left)" in text  # the flagged KPI
