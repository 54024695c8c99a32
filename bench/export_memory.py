"""Peak memory of `aiom export` on a large portfolio (a benchmark, not a test).

Seeds N use cases (default 100,000) with bulk inserts - owners, a KPI with two values on every fourth use case,
an open risk on every third, a pending review on every tenth, an open incident on every fiftieth - then runs
the real `aiom export` for each format in a separate process and reports that process's peak RSS
(VmHWM, Linux). The same command on an empty database gives the fixed cost of the interpreter and
libraries, so the difference is what the portfolio itself costs. Run on its own, it writes
bench/results/export_memory.{json,md} (date, machine, figures).

    .venv/bin/python bench/export_memory.py                  # SQLite, 100,000 use cases
    .venv/bin/python bench/export_memory.py --count 20000
    .venv/bin/python bench/export_memory.py --database-url postgresql://postgres@127.0.0.1:5432/bench

`python -m bench` runs it too (SQLite; `--skip-export` leaves it out).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.tables import (  # noqa: E402
    GateRequest,
    Incident,
    Kpi,
    KpiValue,
    Person,
    ReviewRequest,
    RiskEntry,
    StageChange,
    UseCase,
)

T0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
STAGES = ["exploration", "pilot", "controlled_rollout", "scale_decision", "ongoing_operation"]
CHUNK = 5000


async def _bulk(db: Database, model, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        async with db.write() as s:
            await s.execute(insert(model.__table__), rows[i:i + CHUNK])


async def seed(url: str, n: int) -> None:
    db = Database(url)
    await upgrade(db)
    people = [{"id": i, "email": f"person{i}@example.com", "display_name": f"Person {i}", "created_at": T0,
               "updated_at": T0} for i in range(1, 2001)]
    await _bulk(db, Person, people)
    ucs, changes, kpis, values, risks, gates, reviews, incidents = [], [], [], [], [], [], [], []
    for i in range(1, n + 1):
        at = T0 + timedelta(minutes=i)
        ucs.append({"id": i, "title": f"Use case {i}: assistant for process {i % 97}",
                    "problem": "Handlers spend hours on a manual step that could be assisted. " * 2,
                    "outcome": "Cut handling time by 30% while a person still approves every decision",
                    "value_stream": f"Value stream {i % 13}", "theme": "operational_excellence",
                    "affected_users": "About forty handlers", "data_used": "Case notes and forms",
                    "data_sensitivity": "personal", "vendor_involved": i % 5 == 0,
                    "vendor_name": "Acme AI" if i % 5 == 0 else "", "target_timeline": "3_to_6_months",
                    "proposer_id": i % 2000 + 1, "business_owner_id": (i * 7) % 2000 + 1,
                    "delivery_owner_id": (i * 11) % 2000 + 1, "risk_answers": {}, "risk_tier": "medium",
                    "risk_tier_reasons": [], "tier_justification": "", "tier_override_status": "none",
                    "stage": STAGES[i % 5], "status": "active", "status_reason": "", "restricted": False,
                    "imported": False, "stage_entered_at": at, "created_at": at, "updated_at": at, "version": 1})
        changes.append({"use_case_id": i, "to_stage": STAGES[i % 5], "kind": "created", "reason": "", "at": at})
        if i % 4 == 0:
            kid = len(kpis) + 1
            kpis.append({"id": kid, "use_case_id": i, "layer": "business_outcome", "name": "Cycle time",
                         "unit": "min", "baseline": 30.0, "target": 20.0, "direction": "lower", "owner_id": 1,
                         "cadence": "weekly", "active": True, "next_due_at": at + timedelta(days=14),
                         "last_value": 22.0, "last_value_at": at + timedelta(days=7), "flag_reason": "",
                         "created_at": at})
            values += [{"kpi_id": kid, "value": 25.0, "at": at}, {"kpi_id": kid, "value": 22.0,
                                                                   "at": at + timedelta(days=7)}]
        if i % 3 == 0:
            risks.append({"use_case_id": i, "area_key": "data_privacy", "description": "Personal data in notes",
                          "likelihood": "medium", "impact": "high", "owner_id": 2, "control": "", "status": "open",
                          "created_at": at, "updated_at": at})
        if i % 10 == 0:
            gid = len(gates) + 1
            gates.append({"id": gid, "use_case_id": i, "from_stage": "pilot", "to_stage": "controlled_rollout",
                          "attempt": 1, "status": "pending", "requested_at": at, "use_case_version": 1})
            reviews.append({"gate_request_id": gid, "use_case_id": i, "group_key": "security", "level": 0,
                            "status": "pending", "quorum": 1, "due_at": at + timedelta(days=5), "created_at": at,
                            "seen_version": 1, "reminder_count": 0})
        if i % 50 == 0:
            incidents.append({"use_case_id": i, "description": "Wrong answers for an hour", "severity": "sev2",
                              "affected": "", "status": "open", "response": "", "cause": "",
                              "corrective_action": "", "rollback_reason": "", "reported_at": at, "version": 1})
    for model, rows in ((UseCase, ucs), (StageChange, changes), (Kpi, kpis), (KpiValue, values),
                        (RiskEntry, risks), (GateRequest, gates), (ReviewRequest, reviews), (Incident, incidents)):
        await _bulk(db, model, rows)
    await db.dispose()


# Runs `aiom export` and, as the process exits, records its own peak RSS (VmHWM of /proc/self/status). The
# high-water mark of the process's own memory map is used rather than wait4's ru_maxrss, which on Linux also
# counts the parent's memory at the moment of the fork (here: the seeded rows).
PROBE = """
import atexit, os, runpy, sys
def _hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            with open(os.environ["BENCH_HWM_FILE"], "w") as f:
                f.write(line.split()[1])
atexit.register(_hwm)
sys.argv = ["aiom"] + sys.argv[1:]
runpy.run_module("bot.cli", run_name="__main__")
"""


def run_export(url: str, fmt: str, out: Path) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one `aiom export` process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIOM_", "DATABASE_URL", "SLACK_", "MICROSOFT_"))}
    hwm = out.with_suffix(".hwm")
    env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT), BENCH_HWM_FILE=str(hwm))
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", PROBE, "export", "--format", fmt, "--out", str(out), "--quiet"],
                       env=env, cwd=str(ROOT), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        raise SystemExit(f"export failed: {r.stderr}")
    return int(hwm.read_text()) / 1024, elapsed


def measure(count: int, formats: list[str], tmp: Path, database_url: str | None = None, quiet: bool = False) -> dict:
    """Seed `count` use cases (into `database_url`, empty, or a SQLite file in `tmp`) and export them in each
    format: {"count", "baseline_mb" (the same export of an empty portfolio; SQLite only), "formats": {fmt:
    {"peak_rss_mb", "seconds", "file_mb"}}}."""
    say = (lambda *_: None) if quiet else print
    empty = database_url or f"sqlite:///{tmp}/empty.db"
    url = database_url or f"sqlite:///{tmp}/bench.db"
    base = 0.0
    if not database_url:
        asyncio.run(seed(empty, 0))
        base, _ = run_export(empty, "csv", tmp / "empty.csv")
    t = time.perf_counter()
    asyncio.run(seed(url, count))
    say(f"seeded {count:,} use cases in {time.perf_counter() - t:.1f}s ({url.split(':', 1)[0]})")
    if base:
        say(f"empty portfolio: peak RSS {base:.0f} MB (interpreter and libraries)")
    out = {"count": count, "database": url.split(":", 1)[0], "baseline_mb": base or None, "formats": {}}
    for fmt in formats:
        path = tmp / f"portfolio.{fmt}"
        rss, secs = run_export(url, fmt, path)
        size = path.stat().st_size / 1e6
        out["formats"][fmt] = {"peak_rss_mb": rss, "seconds": secs, "file_mb": size}
        say(f"{fmt:>4}: {count:,} use cases, peak RSS {rss:.0f} MB, {secs:.1f}s, file {size:.1f} MB")
    return out


RESULTS = ROOT / "bench" / "results"


def markdown(meta: dict, r: dict) -> str:
    lines = [f"# Peak memory of aiom export ({meta['date']}, {meta['machine']})", "",
             f"{r['count']:,} use cases on {r['database']}: owners among 2,000 people, a KPI with two values on every "
             "fourth use case, an open risk on every third, a pending review on every tenth, an open incident on "
             "every fiftieth. Each export is the real `aiom export --quiet` in a process of its own; its peak RSS "
             "is that process's high-water mark (VmHWM).", "",
             "| format | peak RSS | above an empty portfolio | time | file |", "| --- | --- | --- | --- | --- |"]
    base = r.get("baseline_mb")
    for fmt, f in r["formats"].items():
        above = f"{f['peak_rss_mb'] - base:.0f} MB" if base else "—"
        lines.append(f"| {fmt} | {f['peak_rss_mb']:.0f} MB | {above} | {f['seconds']:.1f} s | {f['file_mb']:.1f} MB |")
    if base:
        lines += ["", f"The same command on an empty database peaks at {base:.0f} MB (the interpreter and its "
                      "libraries); the third column is what the portfolio adds."]
    lines += ["", f"Load average {meta['load']} when it started (a shared machine)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--database-url", help="an empty database to fill (default: a temporary SQLite file)")
    p.add_argument("--formats", default="csv,xlsx,json")
    args = p.parse_args()
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(args.count, args.formats.split(","), Path(tmp), args.database_url)
    meta = {"date": datetime.now(timezone.utc).date().isoformat(), "load": load,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "export_memory.json").write_text(json.dumps({"meta": meta, "results": result}, indent=2) + "\n")
    (RESULTS / "export_memory.md").write_text(markdown(meta, result))
    print(f"wrote {RESULTS / 'export_memory.md'} and export_memory.json")


if __name__ == "__main__":
    main()
