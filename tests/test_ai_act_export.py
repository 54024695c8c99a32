"""The evidence export per use case and per control, for a use case in each EU AI Act classification, through
the real `aiom export --framework` command (XLSX, CSV and JSON)."""
from __future__ import annotations

import csv
import io
import json
import subprocess

from openpyxl import load_workbook
from sqlalchemy import select, update

from storage.tables import AuditEntry, UseCase
from tests.support.harness import Harness
from tests.support.proc import AIOM, ROOT, clean_env
from tests.test_ai_act_intake import PATHS, propose

ANNA = "anna.owner@example.com"


async def four_use_cases(h: Harness) -> dict[str, int]:
    """One use case per classification, proposed through the intake; UC-3 (high-risk) has one obligation closed."""
    ids = {}
    for n, cls in enumerate(("minimal", "transparency", "high_risk", "prohibited"), 1):
        await propose(h.person(f"zoe{n}@example.com"), *PATHS[cls])
        ids[cls] = n
    seen = await h.person(ANNA).say("obligation UC-3 2 done overseers named in the claims oversight plan v2")
    assert "Closed:" in seen.text
    async with h.app.db.write() as s:  # a title a spreadsheet would take for a formula
        await s.execute(update(UseCase).where(UseCase.id == 1).values(title="=HYPERLINK(\"http://x\",\"y\")"))
    return ids


def run_export(db_url: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = clean_env(DATABASE_URL=db_url, AIOM_POLICY=str(ROOT / "tests" / "policies" / "test-policy.yaml"))
    return subprocess.run([*AIOM, "export", *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)


def sheet_rows(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


async def test_xlsx_evidence_for_each_classification(harness: Harness, db_url, tmp_path):
    await four_use_cases(harness)
    out = tmp_path / "eu.xlsx"
    r = run_export(db_url, tmp_path, "--framework", "eu-ai-act", "--format", "xlsx", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert f"Wrote the EU AI Act (Regulation (EU) 2024/1689) evidence of 4 use cases to {out}" in r.stderr
    wb = load_workbook(out)
    rows = sheet_rows(wb["Evidence"])
    at = {(row["use_case"], row["control"]): row for row in rows}
    # every use case has a row for every control
    assert len(rows) == 4 * len(harness.app.policy.framework("eu-ai-act").controls)
    assert [at[(f"UC-{i}", "Art. 5")]["control_status"] for i in (1, 2, 3, 4)] == \
        ["met", "met", "met", "missing"]
    assert [at[(f"UC-{i}", "Art. 5")]["eu_ai_act_class"] for i in (1, 2, 3, 4)] == \
        ["minimal", "transparency", "high_risk", "prohibited"]
    assert "Art. 5(1)(c)" in at[("UC-4", "Art. 5")]["evidence"]
    # high-risk deployer: the closed obligation is evidence with who, when and its audit entry
    oversight = at[("UC-3", "Art. 26(2)")]
    assert oversight["control_status"] == "partly"  # the rollout checkpoint for human oversight is not ready yet
    assert "overseers named in the claims oversight plan v2" in oversight["evidence"]
    assert "Anna" in oversight["by"] and oversight["at"].startswith("20")
    async with harness.app.db.read() as s:
        closed = (await s.execute(select(AuditEntry).where(AuditEntry.action == "ai_act.obligation_closed")
                                  )).scalar_one()
    assert f"#{closed.seq}" in oversight["audit_refs"]
    assert at[("UC-3", "Art. 26(6)")]["control_status"] == "missing"
    assert at[("UC-3", "Art. 9")]["control_status"] == "not applicable"  # a provider duty; it is a deployer
    # transparency: the chatbot duty applies, the high-risk ones do not
    assert at[("UC-2", "Art. 50(1)")]["control_status"] == "missing"
    assert at[("UC-2", "Art. 26(2)")]["control_status"] == "not applicable"
    # minimal: nothing beyond the classification applies
    assert {row["control_status"] for (uc, c), row in at.items() if uc == "UC-1" and c not in ("Art. 5", "Art. 6",
                                                                                                 "Art. 53")} \
        == {"not applicable"}
    # text stays text
    title = next(c for c in wb["Evidence"]["B"] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert title.data_type == "s"
    coverage = {row["use_case"]: row for row in sheet_rows(wb["Coverage"])}
    assert coverage["UC-3"]["met"] >= 1 and coverage["UC-4"]["missing"] >= 1
    about = {k: v for k, v in wb["About"].iter_rows(values_only=True)}
    assert "does not replace legal advice" in about["note"]


async def test_nist_csv_and_json_and_one_use_case(harness: Harness, db_url, tmp_path):
    await four_use_cases(harness)
    r = run_export(db_url, tmp_path, "--framework", "nist-ai-rmf", "--format", "csv", "--out", "-")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 4 * 19
    govern2 = next(x for x in rows if x["use_case"] == "UC-3" and x["control"] == "GOVERN 2")
    assert govern2["control_status"] == "partly" and "Business owner" in govern2["evidence"]
    assert next(x for x in rows if x["use_case"] == "UC-1")["title"].startswith("'=HYPERLINK")
    r = run_export(db_url, tmp_path, "--framework", "iso-42001", "--use-case", "UC-3", "--format", "json", "--out",
                   "-")
    doc = json.loads(r.stdout)
    assert [u["use_case"] for u in doc["use_cases"]] == ["UC-3"]
    a32 = next(c for c in doc["use_cases"][0]["controls"] if c["control"] == "A.3.2")
    assert a32["status"] == "partly" and a32["evidence"][0]["audit_refs"]


async def test_an_unknown_framework_is_refused_clearly(db_url, tmp_path):
    r = run_export(db_url, tmp_path, "--framework", "nist", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"))
    assert r.returncode != 0
    assert "There is no framework 'nist' in the policy (known: eu-ai-act, nist-ai-rmf, iso-42001)" in r.stderr
    assert "Traceback" not in r.stderr
