"""`aiom audit verify` and `aiom audit show`, run as real processes against the test database."""
from __future__ import annotations

import asyncio
import subprocess

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.db import Database
from tests.support import factories
from tests.support.harness import Harness
from tests.support.proc import AIOM, ROOT, clean_env
from tests.support.reviewing import button, card, make_ready, review_for, reviewer


def aiom(db_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*AIOM, *args], env=clean_env(DATABASE_URL=db_url), cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


async def run(db_url: str, *args: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(aiom, db_url, *args)


async def decided_use_case(h: Harness) -> int:
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock(), tier="low")
        await make_ready(s, h.app.policy, uc, h.app.clock())
    await h.person("anna.owner@example.com").say(f"move UC-{uc.id}")
    rr = await review_for(h, uc.id, "product")
    await reviewer(h, "pat.product@example.com", "product").press(button(await card(h, rr.id), "Approve"))
    return uc.id


async def tamper(db_url: str, *sqls: str) -> None:
    """What someone with database access does: lift the guard and change history."""
    db = Database(db_url)
    try:
        async with db.write() as s:
            if db.is_sqlite:
                await s.execute(text("DROP TRIGGER audit_log_no_update"))
                await s.execute(text("DROP TRIGGER audit_log_no_delete"))
                for sql in sqls:
                    await s.execute(text(sql))
            else:  # and puts the guard back, so nothing looks touched (the test database is reused, too)
                await s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
                for sql in sqls:
                    await s.execute(text(sql))
                await s.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    finally:
        await db.dispose()


async def test_verify_reports_ok_then_the_edited_entry(harness: Harness, db_url):
    await decided_use_case(harness)
    ok = await run(db_url, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: ") and "the chain is intact" in ok.stdout
    await harness.stop()
    await tamper(db_url, "UPDATE audit_log SET data = '{\"decision\": \"stop\"}' WHERE action = 'review.decided'")
    bad = await run(db_url, "audit", "verify")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "PROBLEMS" in bad.stdout and "was edited" in bad.stdout


async def test_verify_reports_a_deleted_entry(harness: Harness, db_url):
    await decided_use_case(harness)
    await harness.stop()
    await tamper(db_url, "DELETE FROM audit_log WHERE action = 'gate.requested'")
    bad = await run(db_url, "audit", "verify")
    assert bad.returncode == 1 and "missing (deleted?)" in bad.stdout, bad.stdout


async def test_show_prints_a_use_cases_history(harness: Harness, db_url):
    uc_id = await decided_use_case(harness)
    out = await run(db_url, "audit", "show", f"UC-{uc_id}")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"UC-{uc_id} Claims triage assistant — pilot, active")
    body = "\n".join(lines)
    assert "anna.owner@example.com (console): asked to move it to the next stage" in body
    assert "pat.product@example.com (console): decided a review — group: product; decision: approve" in body
    assert "stage changed — from: exploration; to: pilot; kind: advance" in body
    assert "2026-11-23 09:00:00 UTC" in body
    missing = await run(db_url, "audit", "show", "UC-404")
    assert missing.returncode == 1 and "There is no UC-404" in missing.stdout


async def test_verify_names_reordered_entries(harness: Harness, db_url):
    await decided_use_case(harness)
    await harness.stop()
    # Swap entries 2 and 3 (through a free number, as the sequence is the key).
    await tamper(db_url, "UPDATE audit_log SET seq = -2 WHERE seq = 2", "UPDATE audit_log SET seq = 2 WHERE seq = 3",
                 "UPDATE audit_log SET seq = 3 WHERE seq = -2")
    bad = await run(db_url, "audit", "verify")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    lines = [x.strip() for x in bad.stdout.splitlines()]
    assert "entry 2: is out of order: it was written as entry 3 (reordered entries)" in lines, bad.stdout
    assert "entry 3: is out of order: it was written as entry 2 (reordered entries)" in lines, bad.stdout
    assert "was edited" not in bad.stdout and "entry 4" not in bad.stdout  # nothing else changed


class AppendsMeanwhile(AsyncSession):
    """A reading session during which another aiom process appends to the log: just before this session first
    reads the chain's tip, and again just before it first reads the entries."""

    def __init__(self, bind, writer: Database):
        super().__init__(bind, expire_on_commit=False)
        self.writer, self.done = writer, set()

    async def execute(self, statement, *args, **kw):
        sql = str(statement)
        table = "audit_head" if "audit_head" in sql else "audit_log" if "audit_log" in sql else None
        if table is not None and table not in self.done:
            self.done.add(table)
            async with self.writer.write() as w:
                await audit.append(w, action="settings.meanwhile", data={"before_reading": table})
        return await super().execute(statement, *args, **kw)


async def test_an_entry_appended_while_verify_walks_the_chain_is_not_reported_as_tampering(harness: Harness,
                                                                                            db_url):
    """On Postgres each statement of a READ COMMITTED walk sees the appends committed before it: the walk stops at
    the tip it read first, so a concurrent append never reads as a changed log."""
    await decided_use_case(harness)
    db = harness.app.db
    async with AppendsMeanwhile(db.read_engine, db) as s:
        count, problems = await audit.verify(s)
    assert [str(p) for p in problems] == []
    assert s.done == {"audit_head", "audit_log"}
    ok = await run(db_url, "audit", "verify")
    assert ok.returncode == 0 and ok.stdout.startswith("OK: "), ok.stdout
    async with db.read() as r:
        total = (await r.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()
    assert count in (total - 1, total) and f"OK: {total} audit entries" in ok.stdout


async def test_a_closed_pipe_ends_audit_show_quietly(harness: Harness, db_url):
    """`aiom audit show UC-1 | head -1`: the reader stops after one line; the command ends without a word."""
    uc_id = await decided_use_case(harness)
    async with harness.app.db.write() as s:  # a long history: far more than a pipe holds
        for i in range(3000):
            await audit.append(s, action="use_case.edited", actor_label="anna.owner@example.com",
                               use_case_id=uc_id, data={"field": "problem", "note": f"edit {i} " + "x" * 60})

    def piped() -> tuple[str, str, int]:
        p = subprocess.Popen([*AIOM, "audit", "show", f"UC-{uc_id}"], env=clean_env(DATABASE_URL=db_url),
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = p.stdout.readline()
        p.stdout.close()  # what head -1 does once it has its line
        err = p.stderr.read()
        return first, err, p.wait(timeout=120)

    first, err, code = await asyncio.to_thread(piped)
    assert first.startswith(f"UC-{uc_id} Claims triage assistant")
    assert "Broken pipe" not in err and "Could not reach the database" not in err and "Traceback" not in err
    assert code == 0
