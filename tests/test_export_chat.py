"""Asking for the export in chat: leaders receive the file in their private chat; others are refused politely."""
from __future__ import annotations

import io
import json

from openpyxl import load_workbook
from sqlalchemy import select

from vocabulary.interaction import Actor, SendFile
from storage.tables import AuditEntry
from tests.support import factories
from tests.support.harness import Harness

LENA, RITA, ZOE = "lena.lead@example.com", "rita.risk@example.com", "zoe@example.com"


async def seed(h: Harness) -> None:
    async with h.app.db.write() as s:
        await factories.use_case(s, stage="pilot")
        await factories.use_case(s, title="Invoice matching", stage="controlled_rollout")


async def test_a_leader_receives_the_portfolio_file(harness: Harness):
    await seed(harness)
    seen = await harness.person(LENA).say("export")
    file = seen.op(SendFile)
    assert file is not None and file.filename == "aiom-portfolio-2026-11-23.xlsx"
    wb = load_workbook(io.BytesIO(file.content), read_only=True)
    titles = [r[2] for r in wb["Portfolio"].iter_rows(min_row=2, values_only=True)]
    assert titles == ["Claims triage assistant", "Invoice matching"]
    assert "Here is the portfolio as XLSX" in seen.text

    seen = await harness.person(RITA).say("export json")  # risk is an export group in the default policy
    doc = json.loads(seen.op(SendFile).content)
    assert doc["format"] == "aiom.portfolio" and len(doc["use_cases"]) == 2
    async with harness.app.db.read() as s:
        formats = [e.data["format"] for e in (await s.execute(
            select(AuditEntry).where(AuditEntry.action == "portfolio.exported"))).scalars()]
    assert formats == ["xlsx", "json"]


async def test_others_are_refused_and_files_never_go_to_a_channel(harness: Harness):
    await seed(harness)
    seen = await harness.person(ZOE).say("export csv")
    assert seen.op(SendFile) is None
    assert "the portfolio export is for members of Executive sponsors / leadership or Risk" in " ".join(
        seen.text.split())
    unverified = harness.person(LENA)
    unverified.actor = Actor(platform="console", external_id="someone", email=LENA, email_verified=False)
    assert (await unverified.say("export")).op(SendFile) is None
    in_channel = harness.person(LENA, conversation="#leadership", kind="channel")
    seen = await in_channel.say("export csv")
    assert seen.op(SendFile) is None and "private chat only" in seen.text
    seen = await harness.person(LENA).say("export pdf")
    assert "xlsx (a spreadsheet), csv or json" in seen.text


async def test_the_file_is_built_after_the_turn_commits_and_holds_no_write_connection(harness: Harness):
    """On SQLite the write connection is the one every other click waits for: building the file from the
    whole portfolio must not hold it (nor, on Postgres, keep the turn's transaction open)."""
    from sqlalchemy import event

    await seed(harness)
    db = harness.app.db
    held: list[int] = []

    def on_query(conn, cursor, statement, parameters, context, executemany):
        if "FROM use_case" in statement and "use_case.id >" in statement:  # the export's batches
            reading = 1 if db.read_engine is db.write_engine else 0  # this read's own connection, when shared
            held.append(db.write_engine.pool.checkedout() - reading)

    event.listen(db.read_engine.sync_engine, "before_cursor_execute", on_query)
    try:
        seen = await harness.person(LENA).say("export csv")
    finally:
        event.remove(db.read_engine.sync_engine, "before_cursor_execute", on_query)
    assert seen.op(SendFile) is not None and held and set(held) == {0}, held
    async with db.read() as s:
        entry = (await s.execute(select(AuditEntry).where(AuditEntry.action == "portfolio.exported"))).scalar_one()
    assert entry.data["bytes"] == len(seen.op(SendFile).content) and entry.data["format"] == "csv"


async def test_a_file_too_large_for_chat_points_to_the_command_line_and_is_not_audited(harness: Harness, monkeypatch):
    from conversations.portfolio_io import chat_export as export_flow

    await seed(harness)
    monkeypatch.setattr(export_flow, "MAX_CHAT_FILE_BYTES", 600)  # two use cases make about 1.5 KB of CSV
    seen = await harness.person(LENA).say("export csv")
    assert seen.op(SendFile) is None
    text = " ".join(seen.text.split())
    assert "too large to send in chat" in text and "aiom export --format csv" in text and "Nothing was exported" in text
    async with harness.app.db.read() as s:
        assert (await s.execute(select(AuditEntry).where(AuditEntry.action == "portfolio.exported"))).first() is None
    monkeypatch.undo()
    assert (await harness.person(LENA).say("export csv")).op(SendFile) is not None
