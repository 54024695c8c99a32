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
