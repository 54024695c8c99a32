"""`python -m bench`: aiom against the bare frameworks it is built on, on SQLite and Postgres, in one run.

    .venv/bin/python -m bench                 # the full run (about half an hour on 2 cores)
    .venv/bin/python -m bench --quick         # a smoke run: small counts (a couple of minutes)
    .venv/bin/python -m bench --only slack_scorecard --db sqlite --skip-digest --skip-export

Everything over 127.0.0.1, each server in its own process: the fakes of Slack's Web API and the Bot Framework
connector the tests use; for each scenario its peers (a bare slack-bolt app, with bolt's default Web API
client and with one reused session; the bare botbuilder echo bot, unmodified and pooled), then a fresh
`aiom serve` on a new SQLite file and on a new Postgres database (created on the benchmark server and
dropped afterwards), each driven by the load client in its own process. Then the digest and the reminder
sweep on both databases, and the peak memory of `aiom export`. Writes bench/results/latest.{md,json},
prints the table and each of issue 9's targets as met or missed. See docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from bench import databases, fakes, policy, report
from bench.runs import run_aiom, run_peer
from bench.scenarios import all_scenarios, slack_users
from bench.targets import check

FULL = {"count": 1000, "digest": [1000, 10_000, 100_000], "sweep": [10_000, 100_000, 1_000_000], "runs": 5,
        "export": 100_000}
QUICK = {"count": 60, "digest": [1000], "sweep": [10_000], "runs": 3, "export": 2000}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small counts and sizes: a smoke run of a couple of minutes")
    p.add_argument("--count", type=int, help="requests per batch (default 1000; 60 with --quick)")
    p.add_argument("--concurrency", type=int, default=64, help="connections of the load client (default 64)")
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--postgres-url", help="the Postgres server scratch databases are created on (default "
                   "$AIOM_BENCH_POSTGRES_URL or postgresql://postgres@127.0.0.1:5432/postgres)")
    p.add_argument("--only", help="comma-separated scenarios: slack_scorecard, slack_intake, slack_review, "
                   "slack_review_history, teams_card")
    p.add_argument("--skip-peers", action="store_true", help="measure aiom only (no ratios)")
    p.add_argument("--skip-paced", action="store_true", help="no run at 80 %% of aiom's peak")
    p.add_argument("--skip-digest", action="store_true", help="no digest and reminder sweep")
    p.add_argument("--skip-export", action="store_true", help="no export memory figure")
    p.add_argument("--profile", metavar="DIR", help="cProfile each aiom server into DIR/<db>_<scenario>.pstats")
    p.add_argument("--logs", metavar="DIR", help="keep every server's log in DIR (default: deleted after the run)")
    return p.parse_args(argv)


def machine(quick: bool, count: int, concurrency: int) -> dict:
    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "quick": quick, "count": count,
            "concurrency": concurrency, "arch": platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(), "load": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}


def requests(a: argparse.Namespace, sizes: dict, folder: Path, kinds: list[str], logs: Path) -> dict:
    scenarios = all_scenarios(a.count or sizes["count"], a.concurrency)
    if a.only:
        wanted = {k.strip() for k in a.only.split(",")}
        unknown = wanted - {s.key for s in scenarios}
        if unknown:
            raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
        scenarios = [s for s in scenarios if s.key in wanted]
    members: dict[str, list[str]] = {}
    for s in scenarios:
        for group, emails in s.members().items():
            members.setdefault(group, []).extend(emails)
    pol = policy.write(folder, members)
    slack = fakes.slack(slack_users(scenarios)) if any(s.platform == "slack" for s in scenarios) else None
    teams = fakes.teams() if any(s.platform == "teams" for s in scenarios) else None
    out: dict = {}
    try:
        for s in scenarios:
            fake = slack if s.platform == "slack" else teams
            entry = out[s.key] = {"title": s.title, "platform": s.platform, "effect": s.effect,
                                  "effect_words": s.effect_words, "n": s.n, "peers": {}, "aiom": {}}
            print(f"\n{s.title} ({s.n} requests per batch)", flush=True)
            for kind in () if a.skip_peers else s.peers:
                print(f"  peer: {kind}", flush=True)
                entry["peers"][kind] = guarded(run_peer, kind, s, fake, logs / f"peer-{s.key}-{kind}.log")
            for db in kinds:
                print(f"  aiom on {db}", flush=True)
                (logs / db).mkdir(exist_ok=True)
                prof = Path(a.profile) / f"{db}_{s.key}.pstats" if a.profile else None
                entry["aiom"][db] = guarded(on_scratch, s, db, folder, a.postgres_url, fake, pol, logs / db,
                                            not a.skip_paced, prof)
    finally:
        for f in (slack, teams):
            if f is not None:
                f.stop()
    return out


def on_scratch(s, db: str, folder: Path, admin: str | None, fake, pol: Path, logs: Path, paced: bool,
               prof: Path | None) -> dict:
    with databases.scratch(db, folder, admin) as url:
        return run_aiom(s, url, fake, pol, logs, paced=paced, profile=prof)


def guarded(fn, *args) -> dict:
    """One measurement; a failure is recorded (and the run goes on with the next one)."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - whatever went wrong is reported, and the others still run
        print(f"    FAILED: {e}"[:3000], flush=True)
        return {"error": f"{type(e).__name__}: {e}"[:2000]}


def digest_and_sweep(sizes: dict, folder: Path, kinds: list[str], admin: str | None) -> dict:
    from bench import digest_and_sweep as ds

    out: dict = {"runs": sizes["runs"]}
    for kind in kinds:
        print(f"\ndigest and reminder sweep on {kind}", flush=True)
        out[kind] = asyncio.run(ds.bench(kind, sizes["digest"], sizes["sweep"], sizes["runs"], folder, admin))
    return out


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    sizes = QUICK if a.quick else FULL
    kinds = list(databases.KINDS) if a.db == "both" else [a.db]
    for d in (a.profile, a.logs):
        if d:
            Path(d).mkdir(parents=True, exist_ok=True)
    result: dict = {"meta": machine(a.quick, a.count or sizes["count"], a.concurrency)}
    folder = Path(tempfile.mkdtemp(prefix="aiom-bench-"))
    try:
        result["requests"] = requests(a, sizes, folder, kinds, Path(a.logs) if a.logs else folder)
        if not a.skip_digest:
            result["digest_and_sweep"] = digest_and_sweep(sizes, folder, kinds, a.postgres_url)
        if not a.skip_export:
            from bench import export_memory

            print(f"\nexport memory, {sizes['export']:,} use cases (SQLite)", flush=True)
            result["export"] = export_memory.measure(sizes["export"], ["csv", "xlsx", "json"], folder)
    except BaseException:
        print(f"\nThe run stopped; the servers' logs are in {a.logs or folder}", file=sys.stderr)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    result["targets"] = check(result)
    print("\n" + report.write(result))
    failed = [f"{k} {who}" for k, e in result["requests"].items() for who, x in [*e["peers"].items(), *e["aiom"].items()]
              if "error" in x]
    if failed:
        print(f"Some measurements failed ({', '.join(failed)}): see the table.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
