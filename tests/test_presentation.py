"""What people read: a stopped use case has no next gate in the export."""
from __future__ import annotations

import json

from storage.db import Database
from tests.support import factories
from tests.test_export import export_bytes


async def test_a_stopped_use_case_exports_no_next_gate(db_url, policy):
    db = Database(db_url)
    try:
        async with db.write() as s:
            stopped = await factories.use_case(s, title="Old chatbot", stage="exploration", status="stopped",
                                               status_reason="No budget")
            live = await factories.use_case(s, title="Claims triage", stage="exploration")
    finally:
        await db.dispose()
    doc = json.loads(await export_bytes(db_url, policy, "json"))
    by_id = {u["id"]: u for u in doc["use_cases"]}
    assert by_id[stopped.id]["gate"] == {"to_stage": None, "ready": None, "needs_conditions": False, "missing": []}
    assert by_id[live.id]["gate"]["to_stage"] == "pilot"


async def test_the_escalation_card_names_the_escalating_person_not_their_email(harness):
    from tests.support.reviewing import make_ready, review_for, reviewer

    async with harness.app.db.write() as s:
        uc = await factories.use_case(s, now=harness.app.clock(), tier="low")
        await make_ready(s, harness.app.policy, uc, harness.app.clock())
    await harness.person("anna.owner@example.com").say(f"move UC-{uc.id}")
    rr = await review_for(harness, uc.id, "product")
    pat = reviewer(harness, "pat.product@example.com", "product")
    await pat.submit("review.escalate", {"r": rr.id}, {"reason": "Budget beyond our remit"})
    posted = " ".join(harness.out.posts_in("#leadership")[0].split())
    assert "from Product and delivery by Pat.Product because: Budget beyond our remit" in posted
    assert "pat.product@example.com" not in posted
    refused = await pat.submit("review.escalate", {"r": rr.id}, {"reason": "Once more"})
    assert "already escalated by Pat.Product" in " ".join(refused.text.split())
