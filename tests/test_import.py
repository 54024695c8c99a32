"""Importing the pilots already running: round trips of the export, all-or-nothing refusal naming every
problem, a dry run row by row, and re-running a file creates nothing twice."""
from __future__ import annotations

import asyncio
import subprocess
from datetime import datetime, timezone

from openpyxl import Workbook
from sqlalchemy import func, select

from storage import audit
from storage.db import Database
from vocabulary import portfolio_columns as columns
from conversations.portfolio_io.importer import run_import
from storage.tables import AuditEntry, Person, StageChange, UseCase
from tests.support import factories
from tests.support.proc import AIOM, ROOT, clean_env
from tests.test_export import NOW, build_portfolio, csv_rows, export_bytes

# Kept exactly by export -> import -> export: every input column, and what follows from them.
KEPT = columns.INPUT + ["effective_tier", "days_in_stage", "time_to_value_days", "next_gate_to"]
# Documented to differ: aiom's own id, and the record counts the file does not carry (they start empty).
DIFFER = {"use_case_id", "imported", "pilot_selection_total", "readiness_total", "readiness_band",
          "hard_gate_failures", "open_risks", "top_risk", "pending_reviews", "open_conditions", "kpis_at_target",
          "kpis_total", "open_incidents", "next_gate_missing", "open_incidents_by_severity", "scope_limit"}

HEADER = "external_ref,title,stage,risk_tier,business_owner_email,delivery_owner_email,theme,created_at\n"


def test_every_column_is_either_kept_or_documented_to_differ():
    assert set(KEPT) | DIFFER == set(columns.NAMES) and not set(KEPT) & DIFFER


async def count(db_url: str, model) -> int:
    db = Database(db_url)
    try:
        async with db.read() as s:
            return (await s.execute(select(func.count()).select_from(model))).scalar_one()
    finally:
        await db.dispose()


async def do_import(db_url: str, policy, path, dry_run: bool = False):
    db = Database(db_url)
    try:
        return await run_import(db, policy, path, dry_run=dry_run, now=NOW)
    finally:
        await db.dispose()


async def test_an_export_round_trips_through_a_fresh_database(db_url, policy, tmp_path, _database_template):
    await build_portfolio(db_url, policy)
    source = csv_rows(a_csv := await export_bytes(db_url, policy, "csv"))
    (tmp_path / "a.csv").write_bytes(a_csv)

    b_url = await asyncio.to_thread(_database_template.fresh, tmp_path / "b.db")  # an empty database (on Postgres: emptied)
    report = await do_import(b_url, policy, tmp_path / "a.csv")
    assert not report.refused and len(report.created) == 3, report.lines()
    b_csv = await export_bytes(b_url, policy, "csv")
    again = csv_rows(b_csv)
    before = {r["external_ref"]: r for r in source}
    after = {r["external_ref"]: r for r in again}
    assert set(before) == set(after)
    for ref, row in before.items():
        assert {k: row[k] for k in KEPT} == {k: after[ref][k] for k in KEPT}, ref
        assert after[ref]["imported"] == "yes"
        assert {after[ref][k] for k in ("pilot_selection_total", "readiness_band", "top_risk")} == {""}
    db = Database(b_url)
    async with db.read() as s:
        actions = list((await s.execute(select(AuditEntry.action))).scalars())
        assert actions.count("use_case.imported") == 3 and actions.count("portfolio.imported") == 1
        assert (await audit.verify(s))[1] == []
        kinds = list((await s.execute(select(StageChange.to_stage).order_by(StageChange.id))).scalars())
        assert kinds == ["controlled_rollout", "exploration", "ongoing_operation"]
    await db.dispose()

    # re-running the same file creates nothing twice
    report = await do_import(b_url, policy, tmp_path / "a.csv")
    assert report.created == [] and report.count("exists") == 3
    assert await count(b_url, UseCase) == 3

    # an imported portfolio round-trips exactly (but for ids), here through XLSX
    (tmp_path / "b.xlsx").write_bytes(await export_bytes(b_url, policy, "xlsx"))
    c_url = await asyncio.to_thread(_database_template.fresh, tmp_path / "c.db")
    report = await do_import(c_url, policy, tmp_path / "b.xlsx")
    assert len(report.created) == 3, report.lines()
    c_rows = csv_rows(await export_bytes(c_url, policy, "csv"))
    strip = lambda rows: sorted(({k: v for k, v in r.items() if k != "use_case_id"} for r in rows),  # noqa: E731
                                key=lambda r: r["external_ref"])
    assert strip(c_rows) == strip(again)


async def test_importing_an_export_into_its_own_database_creates_nothing(db_url, policy, tmp_path):
    await build_portfolio(db_url, policy)
    (tmp_path / "a.csv").write_bytes(await export_bytes(db_url, policy, "csv"))
    report = await do_import(db_url, policy, tmp_path / "a.csv")
    assert report.created == [] and report.count("exists") == 3 and not report.refused
    assert "row 3: already in aiom as UC-2" in report.lines()[1]
    assert await count(db_url, UseCase) == 3


async def test_a_file_with_bad_rows_is_refused_whole_with_each_problem_named(db_url, policy, tmp_path):
    path = tmp_path / "pilots.csv"
    path.write_text(HEADER +
                    "CLM-1,Claims triage,pilot,medium,anna@example.com,bob@example.com,Innovation,2026-06-01\n"
                    ",Invoice matching,pilto,,anna at example,bob@example.com,,\n"
                    "\n"
                    "CLM-3,,Pilot,low,anna@example.com,bob@example.com,astrology,2030-01-01\n"
                    "CLM-1,Claims triage again,pilot,low,anna@example.com,bob@example.com,,\n", encoding="utf-8")
    report = await do_import(db_url, policy, path)
    assert report.refused
    assert [str(p) for p in report.problems] == [
        "row 3, stage: “pilto” is not a stage (one of: exploration, pilot, controlled_rollout, scale_decision, "
        "ongoing_operation)",
        "row 3, risk_tier: required: low, medium or high",
        "row 3, business_owner_email: “anna at example” is not an email address",
        "row 5, title: required, but empty",
        "row 5, theme: “astrology” is not a theme in the policy (one of: cost_reduction, operational_excellence, "
        "customer_experience, innovation, risk_reduction)",
        "row 5, created_at: 2030-01-01 is in the future",
        "row 6, external_ref: the same use case as row 2 (reference CLM-1); give each row its own external_ref",
    ]
    assert report.lines()[-1].startswith("Refused: 7 problems in pilots.csv. Nothing was written")
    assert await count(db_url, UseCase) == 0 and await count(db_url, Person) == 0
    assert await count(db_url, AuditEntry) == 0

    path.write_text("title,stagee,risk_tier,business_owner_email,delivery_owner_email\n", encoding="utf-8")
    report = await do_import(db_url, policy, path)
    assert [str(p) for p in report.problems] == [
        "row 1, stagee: not a column aiom knows (the export's layout is in docs/live-operation.md)",
        "row 1, stage: this required column is missing"]


async def test_owners_are_matched_by_email_and_an_xlsx_with_typed_cells_imports(db_url, policy, tmp_path):
    db = Database(db_url)
    async with db.write() as s:
        anna = await factories.person(s, "anna@example.com", "Anna Known")
    await db.dispose()
    wb = Workbook()
    ws = wb.active
    ws.title = "Portfolio"
    ws.append(["title", "stage", "risk_tier", "business_owner_email", "delivery_owner_email", "restricted",
               "created_at", "pilot_exit_date", "vendor_involved"])
    ws.append(["Claims triage", "Controlled rollout", "HIGH", "Anna@Example.com", "new.person@example.com", True,
               datetime(2026, 5, 4, 10, 30), datetime(2027, 1, 31), "no"])
    wb.save(tmp_path / "pilots.xlsx")
    report = await do_import(db_url, policy, tmp_path / "pilots.xlsx", dry_run=True)
    assert "delivery owner new.person@example.com (new person)" in report.lines()[0]
    assert "anna@example.com (new person)" not in report.lines()[0]
    assert await count(db_url, UseCase) == 0
    report = await do_import(db_url, policy, tmp_path / "pilots.xlsx")
    assert len(report.created) == 1
    db = Database(db_url)
    async with db.read() as s:
        uc = await s.get(UseCase, report.created[0])
        assert (uc.stage, uc.risk_tier, uc.restricted, uc.imported, uc.business_owner_id) == \
            ("controlled_rollout", "high", True, True, anna.id)
        assert uc.created_at == datetime(2026, 5, 4, 10, 30, tzinfo=timezone.utc)
        assert uc.external_ref == columns.derived_ref("Claims triage", "anna@example.com")
        new = (await s.execute(select(Person).where(Person.email == "new.person@example.com"))).scalar_one()
        assert new.display_name == "New Person" and uc.delivery_owner_id == new.id
    await db.dispose()


def test_cli_import_dry_run_then_import_then_nothing_twice(db_url, tmp_path):
    path = tmp_path / "pilots.csv"
    path.write_text(HEADER + "CLM-1,Claims triage,pilot,medium,anna@example.com,bob@example.com,,\n"
                             ",Invoice matching,exploration,low,olga@example.com,olga@example.com,,\n",
                    encoding="utf-8")
    env = clean_env(DATABASE_URL=db_url, AIOM_POLICY=str(ROOT / "tests" / "policies" / "test-policy.yaml"))

    def aiom(*args):
        return subprocess.run([*AIOM, "import", *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)

    r = aiom(str(path), "--dry-run")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("row 2: would create “Claims triage”: pilot, medium risk, active; business owner "
                               "anna@example.com (new person)")
    assert lines[1].startswith("row 3: would create “Invoice matching”: exploration, low risk")
    assert "reference derived from title and business owner h:" in lines[1]
    assert lines[2] == "Dry run of 2 rows: 2 would be created, 0 already in aiom. Nothing was written."
    r = aiom(str(path))
    assert r.returncode == 0 and r.stdout.splitlines()[-1].startswith("Imported 2 use cases from pilots.csv")
    r = aiom(str(path))
    assert r.returncode == 0 and "row 2: already in aiom as UC-1 (reference CLM-1): nothing to do" in r.stdout
    assert "Imported 0 use cases" in r.stdout
    path.write_text(HEADER + "CLM-9,Bad,nowhere,low,anna@example.com,bob@example.com,,\n", encoding="utf-8")
    r = aiom(str(path))
    assert r.returncode == 1 and "row 2, stage" not in r.stdout and "row 2: stage: “nowhere” is not a stage" in r.stdout
    assert "Refused: 1 problem in pilots.csv" in r.stdout
    r = aiom(str(tmp_path / "pilots.txt"))
    assert r.returncode == 2 and "There is no file" in r.stderr


async def test_an_xlsx_with_bad_rows_is_refused_whole_with_each_problem_named(db_url, policy, tmp_path,
                                                                             _database_template):
    from openpyxl import load_workbook

    await build_portfolio(db_url, policy)
    (tmp_path / "export.xlsx").write_bytes(await export_bytes(db_url, policy, "xlsx"))
    target = await asyncio.to_thread(_database_template.fresh, tmp_path / "b.db")  # empty (on Postgres: emptied)
    wb = load_workbook(tmp_path / "export.xlsx")
    ws = wb["Portfolio"]
    col = {c.value: c.column for c in ws[1]}
    ws.cell(row=2, column=col["stage"], value="Pilto")  # a typo in a label
    ws.cell(row=2, column=col["pilot_exit_date"], value="end of March")  # text where a date belongs
    ws.cell(row=4, column=col["business_owner_email"], value="olga at example")
    ws.cell(row=4, column=col["created_at"], value=datetime(2030, 1, 1, 9))  # a typed date cell, in the future
    ws.cell(row=4, column=col["vendor_involved"], value="perhaps")
    wb.save(tmp_path / "pilots.xlsx")

    report = await do_import(target, policy, tmp_path / "pilots.xlsx")
    assert report.refused
    assert [str(p) for p in report.problems] == [
        "row 2, stage: “Pilto” is not a stage (one of: exploration, pilot, controlled_rollout, scale_decision, "
        "ongoing_operation)",
        "row 2, pilot_exit_date: “end of March” is not a date like 2027-03-31",
        "row 4, vendor_involved: “perhaps” is not yes or no",
        "row 4, business_owner_email: “olga at example” is not an email address",
        "row 4, created_at: 2030-01-01T09:00:00Z is in the future",
        "row 4, stage_entered_at: is earlier than created_at",
    ]
    assert [(o.row, o.action) for o in report.outcomes] == [(2, "invalid"), (3, "create"), (4, "invalid")]
    assert report.lines()[-1].startswith("Refused: 6 problems in pilots.xlsx. Nothing was written")
    # the good row is not half-imported on its own
    assert await count(target, UseCase) == 0 and await count(target, Person) == 0
    assert await count(target, AuditEntry) == 0
