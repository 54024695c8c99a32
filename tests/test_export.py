"""The portfolio export against a known portfolio, in all three formats, through the code and the CLI."""
from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import date, datetime, timedelta, timezone

from openpyxl import load_workbook

from storage.db import Database
from vocabulary import portfolio_columns as columns
from conversations.portfolio_io.writers import write
from storage.tables import (
    Condition,
    GateRequest,
    Incident,
    Kpi,
    KpiValue,
    ReviewRequest,
    RiskEntry,
    Scorecard,
    ScorecardAnswer,
)
from tests.support import factories
from tests.support.proc import AIOM, ROOT, clean_env

T0 = datetime(2026, 9, 1, 9, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)


async def build_portfolio(db_url: str, policy) -> dict[str, int]:
    """Three use cases with known facts, scores, risks, reviews, conditions, KPIs and incidents."""
    db = Database(db_url)
    try:
        return await _build(db, policy)
    finally:
        await db.dispose()


async def _build(db: Database, policy) -> dict[str, int]:
    async with db.write() as s:
        rich = await factories.use_case(
            s, title="Claims triage assistant", stage="controlled_rollout", tier="medium", vendor=True, now=T0,
            tier_requested="low", tier_override_status="accepted", sponsor_id=(await factories.person(
                s, "sid.sponsor@example.com")).id, stage_entered_at=T0 + timedelta(days=40),
            value_reached_at=T0 + timedelta(days=61))
        plain = await factories.use_case(s, title="Invoice matching", stage="exploration", now=T0 + timedelta(days=5),
                                         restricted=True, business_owner="olga.finance@example.com",
                                         delivery_owner="olga.finance@example.com")
        paused = await factories.use_case(s, title="Contract clause finder", stage="ongoing_operation", tier="high",
                                          now=T0, external_ref="CLM-7", imported=True, status="paused",
                                          status_reason="Waiting for the new model")
        # scores: pilot selection 32 of 36 (strong); readiness 70 of 90 (moderate), security readiness at 2
        ps = Scorecard(use_case_id=rich.id, instrument="pilot_selection", status="complete", answered=12)
        rd = Scorecard(use_case_id=rich.id, instrument="readiness", status="complete", answered=18)
        old = Scorecard(use_case_id=rich.id, instrument="readiness", attempt=0, status="complete", answered=18)
        part = Scorecard(use_case_id=plain.id, instrument="pilot_selection", status="in_progress", answered=3)
        rollout = Scorecard(use_case_id=rich.id, instrument="rollout_checklist", status="complete", answered=14)
        s.add_all([ps, rd, old, part, rollout])
        await s.flush()
        ps_values = [3] * 8 + [2] * 4
        s.add_all(ScorecardAnswer(scorecard_id=ps.id, item_key=i.key, value=v)
                  for i, v in zip(policy.pilot_selection.items, ps_values))
        rd_values = {i.key: 4 for i in policy.readiness.items}
        rd_values["security_readiness"] = 2
        assert sum(rd_values.values()) == 70, sum(rd_values.values())
        s.add_all(ScorecardAnswer(scorecard_id=rd.id, item_key=k, value=v) for k, v in rd_values.items())
        s.add_all(ScorecardAnswer(scorecard_id=old.id, item_key=i.key, value=1) for i in policy.readiness.items)
        s.add_all(ScorecardAnswer(scorecard_id=part.id, item_key=i.key, value=3)
                  for i in policy.pilot_selection.items[:3])
        s.add_all(ScorecardAnswer(scorecard_id=rollout.id, item_key=i.key, value=1)  # every checkpoint ready
                  for i in policy.rollout_checklist.items)
        rich.risk_reviewed_at = T0 + timedelta(days=41)  # reviewed since it entered controlled rollout
        s.add(rich)
        bob = await factories.person(s, "bob.delivery@example.com")
        s.add_all([
            RiskEntry(use_case_id=rich.id, area_key="data_privacy", description="Claim notes hold health data",
                      likelihood="medium", impact="high", owner_id=bob.id, status="open"),
            RiskEntry(use_case_id=rich.id, area_key="output_reliability", description="Urgency misjudged",
                      likelihood="high", impact="high", owner_id=bob.id, status="mitigating"),
            RiskEntry(use_case_id=rich.id, area_key="cost_creep", description="Token costs", status="closed"),
        ])
        gate = GateRequest(use_case_id=rich.id, from_stage="controlled_rollout", to_stage="scale_decision")
        s.add(gate)
        await s.flush()
        s.add_all([ReviewRequest(gate_request_id=gate.id, use_case_id=rich.id, group_key="security", due_at=NOW),
                   ReviewRequest(gate_request_id=gate.id, use_case_id=rich.id, group_key="product", due_at=NOW,
                                 status="approved")])
        s.add_all([Condition(use_case_id=rich.id, text="DPIA signed", owner_id=bob.id, due_date=date(2026, 12, 1)),
                   Condition(use_case_id=rich.id, text="Runbook", due_date=date(2026, 10, 1), status="closed")])
        k1 = Kpi(use_case_id=rich.id, layer="business_outcome", name="Claims cycle time", unit="min", baseline=30,
                 target=20, direction="lower", owner_id=bob.id, cadence="weekly", last_value=19,
                 last_value_at=T0 + timedelta(days=61), next_due_at=T0 + timedelta(days=68), created_at=T0)
        k2 = Kpi(use_case_id=rich.id, layer="model_quality", name="Precision", unit="%", baseline=80, target=90,
                 direction="higher", owner_id=bob.id, cadence="weekly", last_value=78,
                 flagged_at=T0 + timedelta(days=61), flag_reason="moving_away", created_at=T0)
        s.add_all([k1, k2])
        await s.flush()
        s.add_all([KpiValue(kpi_id=k1.id, value=25, at=T0 + timedelta(days=54)),
                   KpiValue(kpi_id=k1.id, value=19, at=T0 + timedelta(days=61)),
                   KpiValue(kpi_id=k2.id, value=78, at=T0 + timedelta(days=61))])
        s.add_all([Incident(use_case_id=rich.id, description="Wrong urgencies", severity="sev2", reported_at=T0),
                   Incident(use_case_id=rich.id, description="Slow", severity="sev3", status="closed",
                            reported_at=T0)])
        return {"rich": rich.id, "plain": plain.id, "paused": paused.id}


async def export_bytes(db_url: str, policy, fmt: str) -> bytes:
    db = Database(db_url)
    try:
        buf = io.BytesIO()
        await write(fmt, db, policy, buf, NOW)
        return buf.getvalue()
    finally:
        await db.dispose()


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def xlsx_rows(content: bytes) -> list[dict[str, str]]:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    assert wb.sheetnames == ["Portfolio", "About", "Review groups"]
    rows = list(wb["Portfolio"].iter_rows(values_only=True))
    about = dict(r for r in wb["About"].iter_rows(values_only=True))
    assert about["format_version"] == columns.FORMAT_VERSION and about["use_cases"] == len(rows) - 1
    return [{h: "" if v is None else str(v) for h, v in zip(rows[0], r)} for r in rows[1:]]


def check_rows(rows: list[dict[str, str]]) -> None:
    assert list(rows[0]) == columns.NAMES
    by = {r["title"]: r for r in rows}
    assert [r["use_case_id"] for r in rows] == ["UC-1", "UC-2", "UC-3"]
    rich = by["Claims triage assistant"]
    expected = {
        "stage": "controlled_rollout", "status": "active", "risk_tier": "medium", "tier_requested": "low",
        "tier_override_status": "accepted", "effective_tier": "low", "vendor_involved": "yes",
        "vendor_name": "Acme AI", "business_owner_email": "anna.owner@example.com",
        "delivery_owner_email": "bob.delivery@example.com", "sponsor_email": "sid.sponsor@example.com",
        "proposer_email": "zoe@example.com", "restricted": "no", "imported": "no",
        "pilot_selection_total": "32", "readiness_total": "70", "readiness_band": "moderate",
        "hard_gate_failures": "security_readiness", "open_risks": "2", "pending_reviews": "1",
        "open_conditions": "1", "kpis_at_target": "1", "kpis_total": "2", "open_incidents": "1",
        "created_at": "2026-09-01T09:00:00Z", "stage_entered_at": "2026-10-11T09:00:00Z",
        "value_reached_at": "2026-11-01T09:00:00Z", "days_in_stage": "43", "time_to_value_days": "61",
        "theme": "operational_excellence", "target_timeline": "within_3_months",
        # format version 2: the next gate's missing preconditions, open incidents by severity, any limit
        "next_gate_to": "scale_decision",
        "next_gate_missing": "hard_gates_ok;vendor_checklist_done;conditions_closed",
        "open_incidents_by_severity": "sev1:0;sev2:1;sev3:0", "scope_limit": "",
    }
    assert {k: rich[k] for k in expected} == expected
    assert rich["top_risk"].startswith("output_reliability: Urgency misjudged (high likelihood, high impact)")
    assert rich["external_ref"] == columns.derived_ref("Claims triage assistant", "anna.owner@example.com")
    plain = by["Invoice matching"]
    assert (plain["restricted"], plain["pilot_selection_total"], plain["sponsor_email"], plain["open_risks"]) == \
        ("yes", "", "", "0")  # a scoring in progress has no total yet
    assert (plain["next_gate_to"], plain["next_gate_missing"]) == ("pilot", "pilot_selection_scored;risk_register_started")
    paused = by["Contract clause finder"]
    assert (paused["external_ref"], paused["status"], paused["status_reason"], paused["imported"]) == \
        ("CLM-7", "paused", "Waiting for the new model", "yes")
    assert paused["time_to_value_days"] == "" and paused["days_in_stage"] == "83"
    assert (paused["next_gate_to"], paused["next_gate_missing"], paused["open_incidents_by_severity"]) == \
        ("", "", "sev1:0;sev2:0;sev3:0")  # the last stage has no next gate


async def test_csv_and_xlsx_match_the_known_portfolio(db_url, policy):
    await build_portfolio(db_url, policy)
    check_rows(csv_rows(await export_bytes(db_url, policy, "csv")))
    check_rows(xlsx_rows(await export_bytes(db_url, policy, "xlsx")))


async def test_json_is_complete(db_url, policy):
    ids = await build_portfolio(db_url, policy)
    doc = json.loads(await export_bytes(db_url, policy, "json"))
    assert {k: doc[k] for k in ("format", "format_version", "generated_at", "organisation")} == \
        {"format": "aiom.portfolio", "format_version": 2, "generated_at": "2026-11-23T09:00:00Z",
         "organisation": "Test organisation"}
    rich = next(u for u in doc["use_cases"] if u["id"] == ids["rich"])
    assert rich["tier"] == {"computed": "medium", "requested": "low", "override_status": "accepted",
                            "effective": "low"}
    assert rich["owners"]["sponsor"] == {"email": "sid.sponsor@example.com", "name": "Sid.Sponsor"}
    assert rich["scores"]["pilot_selection"] == {"complete": True, "answered": 12, "of": 12, "total": 32, "max": 36,
                                                 "strong": True}
    assert rich["scores"]["readiness"]["band"] == "moderate"
    assert rich["scores"]["readiness"]["hard_gate_failures"] == ["security_readiness"]
    assert rich["risks"]["top"]["owner_email"] == "bob.delivery@example.com"
    cycle, precision = rich["kpis"]
    assert (cycle["name"], cycle["at_target"], cycle["trend"], cycle["last_value"]) == \
        ("Claims cycle time", True, "improving", 19)
    assert (precision["at_target"], precision["moving_away"], precision["flagged"], precision["flag_reason"]) == \
        (False, True, True, "moving_away")
    assert rich["incidents"] == {"open": 1, "by_severity": {"sev1": 0, "sev2": 1, "sev3": 0}}
    assert rich["time_to_value_days"] == 61 and rich["scope_limit"] == ""
    gate = rich["gate"]
    assert (gate["to_stage"], gate["ready"], gate["needs_conditions"]) == ("scale_decision", False, True)
    assert [m["key"] for m in gate["missing"]] == ["hard_gates_ok", "vendor_checklist_done", "conditions_closed"]
    assert gate["missing"][0]["what"] == "Hard-gate readiness areas are below 3: Security readiness."
    assert gate["missing"][2]["how"].startswith("Each condition's owner closes it")
    # every version-1 field is still there, unchanged in name and meaning (version 2 only adds)
    assert {"id", "ref", "external_ref", "tier", "owners", "scores", "risks", "reviews", "conditions", "kpis",
            "kpis_at_target", "kpis_total", "incidents", "dates", "days_in_stage", "time_to_value_days"} <= set(rich)
    plain = next(u for u in doc["use_cases"] if u["id"] == ids["plain"])
    assert plain["scores"]["pilot_selection"] == {"complete": False, "answered": 3, "of": 12, "total": None,
                                                  "max": 36, "strong": None}
    assert plain["kpis"] == [] and plain["dates"]["pilot_exit_date"] is None
    paused = next(u for u in doc["use_cases"] if u["id"] == ids["paused"])
    assert paused["gate"] == {"to_stage": None, "ready": None, "needs_conditions": False, "missing": []}


async def test_empty_portfolio_is_still_a_valid_file(db_url, policy):
    assert json.loads(await export_bytes(db_url, policy, "json"))["use_cases"] == []
    assert csv_rows(await export_bytes(db_url, policy, "csv")) == []
    assert (await export_bytes(db_url, policy, "csv")).decode().strip() == ",".join(columns.NAMES)


async def test_text_never_becomes_a_spreadsheet_formula(db_url, policy):
    db = Database(db_url)
    async with db.write() as s:
        await factories.use_case(s, title="=HYPERLINK(\"http://x\")", problem="bell\x07 inside")
    await db.dispose()
    wb = load_workbook(io.BytesIO(await export_bytes(db_url, policy, "xlsx")))
    cell = wb["Portfolio"]["C2"]
    assert (cell.value, cell.data_type) == ("=HYPERLINK(\"http://x\")", "s")
    assert wb["Portfolio"]["D2"].value == "bell inside"


async def test_csv_cells_that_would_run_as_formulas_are_neutralised_and_import_back_unchanged(db_url, policy,
                                                                                                tmp_path):
    titles = ["=HYPERLINK(\"http://evil.example/\",\"Click\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
              "\tTabbed", "Plain title", "-5"]
    db = Database(db_url)
    async with db.write() as s:
        for t in titles:
            await factories.use_case(s, title=t)
    await db.dispose()
    content = await export_bytes(db_url, policy, "csv")
    written = [r["title"] for r in csv_rows(content)]
    assert written == ["'=HYPERLINK(\"http://evil.example/\",\"Click\")", "'+cmd|' /C calc'!A0", "'-2+3",
                       "'@SUM(A1:A9)", "'\tTabbed", "Plain title", "-5"]
    path = tmp_path / "round.csv"
    path.write_bytes(content)
    from conversations.portfolio_io.reader import read  # noqa: PLC0415

    header, rows = read(path)
    back = [values[header.index("title")] for _, values in rows]
    assert back == [t.strip() for t in titles]  # the reader trims cells, as before


async def test_cli_export_writes_each_format_with_a_progress_bar(db_url, policy, tmp_path):
    await build_portfolio(db_url, policy)
    env = clean_env(DATABASE_URL=db_url, AIOM_POLICY=str(ROOT / "tests" / "policies" / "test-policy.yaml"))
    for fmt in ("csv", "xlsx", "json"):
        out = tmp_path / f"portfolio.{fmt}"
        r = subprocess.run([*AIOM, "export", "--format", fmt, "--out", str(out)], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "Exporting: 3/3 use cases (100%)" in r.stderr and f"Wrote 3 use cases to {out}" in r.stderr
        content = out.read_bytes()
        if fmt == "json":
            assert len(json.loads(content)["use_cases"]) == 3
        else:
            rows = csv_rows(content) if fmt == "csv" else xlsx_rows(content)
            assert [r["title"] for r in rows] == ["Claims triage assistant", "Invoice matching",
                                                  "Contract clause finder"]
    r = subprocess.run([*AIOM, "export", "--format", "json", "--out", "-", "--quiet"], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and json.loads(r.stdout)["format"] == "aiom.portfolio" and r.stderr == ""


def test_the_live_operation_guide_documents_every_column_and_the_format_version():
    """The guide the CLI, the import's errors and the XLSX About sheet point to exists and keeps up."""
    guide = (ROOT / "docs" / "live-operation.md").read_text(encoding="utf-8")
    cells = [[c.strip() for c in line.split("|")[1:-1]] for line in guide.splitlines() if line.startswith("| ")]
    documented = [c[1].strip("`") for c in cells if len(c) == 4 and c[2] in ("input", "input, required", "derived")]
    assert documented == columns.NAMES  # every column, in the file's order
    for c in columns.COLUMNS:
        kind = ("input, required" if c.required else "input") if c.input else "derived"
        assert f"| `{c.name}` | {kind} |" in guide, c.name
    assert f'"format": "{columns.FORMAT}"' in guide and f'"format_version": {columns.FORMAT_VERSION}' in guide
    assert f"| {columns.FORMAT_VERSION} |" in guide  # the version note says what the current version added
