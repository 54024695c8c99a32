"""Every sweep reads its due rows through an index range, never a table scan (EXPLAIN on both databases).

The sweeps run once against the test database while the statements they send are captured; each SELECT that
finds due rows is then explained. A plan that scans a whole table would make the sweep's cost follow the table
instead of the due rows (bench/digest_and_sweep.py measures that on large tables, for both databases).
On Postgres the test tables are tiny, so a sequential scan would be cheapest: it is switched off for the
EXPLAIN, which then shows whether the named index can serve the query at all.
"""
from __future__ import annotations

from sqlalchemy import event

from notifications import sweeps
from tests.support.databases import is_postgres

DUE_TABLES = {"review_request": "ix_review_due", "condition": "ix_condition_remind",
              "scorecard": "ix_scorecard_remind", "use_case": "ix_use_case_limbo",
              "conversation_state": "ix_conversation_state_abandoned"}


async def test_each_sweep_finds_its_due_rows_through_its_index(harness, clock):
    engine = harness.app.db.write_engine.sync_engine
    seen: list[tuple[str, tuple]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        await sweeps.run_all(harness.app.notifications, clock.now)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans: dict[str, list[str]] = {}
    pg = is_postgres()
    async with harness.app.db.read_engine.connect() as conn:
        if pg:
            await conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, params in seen:
            table = next((t for t in DUE_TABLES if f"FROM {t} " in statement + " " and
                          ("next_reminder_at" in statement or "nudged_at" in statement)), None)
            if table is None:
                continue
            explain = "EXPLAIN " if pg else "EXPLAIN QUERY PLAN "
            rows = (await conn.exec_driver_sql(explain + statement, tuple(params))).all()
            plans.setdefault(table, []).append(" | ".join(str(r[-1]) for r in rows))
    assert set(plans) == set(DUE_TABLES), plans
    for table, found in plans.items():
        index = DUE_TABLES[table]
        for plan in found:
            if pg:  # the planner may prefer another index range on the due date for the never-reminded part
                assert "Index Scan" in plan or "Index Only Scan" in plan, (table, plan)
                assert f"Seq Scan on {table}" not in plan, (table, plan)
            else:
                assert f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan, (table, plan)
                assert f"SCAN {table}" not in plan, (table, plan)
