"""The digest's EU AI Act section: use cases by classification, obligations closed, and the high-risk use cases
with open obligations (restricted ones named only in leadership's channels)."""
from __future__ import annotations

from sqlalchemy import update

from storage.tables import UseCase
from tests.support import portfolio
from tests.support.harness import Harness
from tests.test_ai_act_intake import PATHS, propose
from tests.test_digest import sent_digest


async def test_the_digest_shows_classifications_coverage_and_open_obligations(harness: Harness, clock):
    await propose(harness.person("zoe@example.com"), *PATHS["high_risk"])
    await propose(harness.person("zak@example.com"), *PATHS["prohibited"])
    await propose(harness.person("zia@example.com"), *PATHS["transparency"])
    seen = await harness.person("anna.owner@example.com").say(
        "obligation UC-1 2 done overseers named in the oversight plan")
    assert "Closed:" in seen.text
    clock.set(portfolio.NOW)
    text = await sent_digest(harness)
    assert "REGULATION: EU AI ACT" in text  # the local chat shows section titles in capitals
    assert ("Live use cases: prohibited practice 1, high-risk 1, transparency obligations 1, minimal risk 0"
            in text)
    assert "Obligations closed with evidence: 1 of 9 (11%)" in text
    assert "High-risk use cases with open obligations: 1" in text
    assert "UC-1 Claims triage assistant: 7 of 8 obligations open" in text


async def test_restricted_high_risk_use_cases_are_counted_but_not_named_elsewhere(harness: Harness, clock):
    await propose(harness.person("zoe@example.com"), *PATHS["high_risk"])
    async with harness.app.db.write() as s:
        await s.execute(update(UseCase).values(restricted=True))
    from storage.repo import regulation

    async with harness.app.db.read() as s:
        hidden = await regulation.digest_summary(s, 5, visible=False)
        shown = await regulation.digest_summary(s, 5, visible=True)
    assert hidden["high_risk_open"] == 1 and hidden["listed"] == []
    assert [row[0] for row in shown["listed"]] == [1]
