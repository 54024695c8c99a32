"""The evidence export: per use case and per control of one framework, the status (met / partly / missing /
not applicable) and the evidence (what, who, when, audit references), as CSV, XLSX or JSON.

`aiom export --framework nist-ai-rmf --format xlsx` writes it. Cells are neutralised: a text that a spreadsheet
would read as a formula is kept as text.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from conversations.regulation.evidence_facts import check, gather
from vocabulary.policy import Policy
from vocabulary.policy.regulation import Framework
from vocabulary.rules.evidence import MET, MISSING, NA, PARTLY, ControlResult, coverage
from storage.db import Database
from storage.repo import regulation

FORMATS = ("csv", "xlsx", "json")
COLUMNS = ["use_case", "title", "stage", "status", "eu_ai_act_class", "eu_ai_act_role", "framework", "control",
           "control_title", "control_status", "evidence", "by", "at", "audit_refs", "lacking"]
NOTE = ("aiom maps the evidence it holds to the framework's controls. This supports a review by your legal and "
        "compliance people; it does not replace legal advice.")


@dataclass
class UseCaseEvidence:
    uc: object
    results: list[ControlResult]


def _iso(v: datetime | None) -> str:
    return v.isoformat(timespec="seconds") if v else ""


def row(fw: Framework, uc, r: ControlResult) -> list:
    shown, seen = [], set()
    for k, fd in r.found:
        if fd.proof is not None and fd.proof.what not in seen:
            seen.add(fd.proof.what)
            shown.append((k, fd))
    return [f"UC-{uc.id}", uc.title, uc.stage, uc.status, uc.ai_act_class, uc.ai_act_role, fw.key, r.key, r.title,
            r.status,
            "\n".join(f"{fd.proof.what} [{k}: {fd.status}]" for k, fd in shown),
            "\n".join(fd.proof.who for _, fd in shown),
            "\n".join(_iso(fd.proof.when) for _, fd in shown),
            "\n".join(", ".join(f"#{s}" for s in fd.proof.audit) for _, fd in shown),
            "\n".join(r.lacking)]


def record(fw: Framework, uc, results: list[ControlResult]) -> dict:
    met, partly, missing, applicable = coverage(results)
    return {"use_case": f"UC-{uc.id}", "title": uc.title, "stage": uc.stage, "status": uc.status,
            "eu_ai_act_class": uc.ai_act_class, "eu_ai_act_role": uc.ai_act_role,
            "coverage": {"met": met, "partly": partly, "missing": missing, "applicable": applicable},
            "controls": [{"control": r.key, "title": r.title, "status": r.status, "lacking": r.lacking,
                          "evidence": [{"key": k, "status": fd.status,
                                        **({"what": fd.proof.what, "by": fd.proof.who, "at": _iso(fd.proof.when),
                                            "audit_refs": list(fd.proof.audit)} if fd.proof else {})}
                                       for k, fd in r.found]}
                         for r in results]}


async def collect(db: Database, policy: Policy, fw: Framework, use_case_id: int | None = None
                  ) -> list[UseCaseEvidence]:
    out = []
    async with db.read() as s:
        for uc in await regulation.classified_use_cases(s, use_case_id=use_case_id):
            facts = await gather(s, policy, uc)
            out.append(UseCaseEvidence(uc, check(policy, fw, facts)))
    return out


def _safe(v):
    """Text a spreadsheet would take for a formula stays text (a leading apostrophe in CSV)."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


async def write(fmt: str, db: Database, policy: Policy, fw: Framework, out: IO[bytes], now: datetime, *,
                use_case_id: int | None = None) -> int:
    """Write the evidence of every use case (or one) against `fw`; returns the number of use cases."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    items = await collect(db, policy, fw, use_case_id)
    head = {"format": "aiom-evidence", "framework": fw.key, "framework_name": fw.name, "source": fw.source,
            "generated_at": _iso(now), "organisation": policy.organisation, "note": NOTE}
    if fmt == "json":
        doc = {**head, "use_cases": [record(fw, it.uc, it.results) for it in items]}
        out.write(json.dumps(doc, ensure_ascii=False, indent=1).encode())
    elif fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        try:
            w = csv.writer(text)
            w.writerow(COLUMNS)
            for it in items:
                for r in it.results:
                    w.writerow([_safe(v) for v in row(fw, it.uc, r)])
            text.flush()
        finally:
            text.detach()
    else:
        _xlsx(out, head, fw, items)
    return len(items)


def _xlsx(out: IO[bytes], head: dict, fw: Framework, items: list[UseCaseEvidence]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Evidence")

    def cell(v):
        if not isinstance(v, str):
            return v
        v = ILLEGAL_CHARACTERS_RE.sub("", v)
        c = WriteOnlyCell(ws, value=v)
        c.data_type = "s"  # text stays text, never a formula
        return c

    ws.append(COLUMNS)
    for it in items:
        for r in it.results:
            ws.append([cell(v) for v in row(fw, it.uc, r)])
    cov = wb.create_sheet("Coverage")
    cov.append(["use_case", "title", "eu_ai_act_class", "eu_ai_act_role", MET, PARTLY, MISSING, NA])
    for it in items:
        met, partly, missing, applicable = coverage(it.results)
        cov.append([f"UC-{it.uc.id}", cell(it.uc.title), it.uc.ai_act_class, it.uc.ai_act_role, met, partly,
                    missing, len(it.results) - applicable])
    about = wb.create_sheet("About")
    for k, v in head.items():
        about.append([k, cell(str(v))])
    about.append(["use_cases", len(items)])
    wb.save(out)
