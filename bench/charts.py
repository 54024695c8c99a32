"""The digest's pictures and the quarterly report with a large portfolio (a benchmark, not a test).

A portfolio of --size use cases (default 100,000, seeded with bench/digest_and_sweep.py's bulk inserts) and
12 earlier weekly digests are put in a scratch database; then, median of --runs:

- draw: the three charts alone (notifications/digest/charts.py), with their PNG sizes;
- digest pictures: what a digest adds to its build (the kept figures read back and the charts drawn);
- report: `aiom report`'s PDF (collect, the ten areas, the charts, the PDF written).

    .venv/bin/python bench/charts.py --db sqlite --size 100000 --runs 3

Writes bench/results/charts.{json,md} and prints the figures.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.digest_and_sweep import NOW, POLICY, Scratch, Writer, full, seed_people, seed_portfolio, settle  # noqa: E402
from notifications.digest import history, report  # noqa: E402
from notifications.digest.data import collect  # noqa: E402
from notifications.digest.runs import times_for  # noqa: E402
from notifications.digest.schedule import last_fire, period_id  # noqa: E402
from notifications.services import Services  # noqa: E402
from storage.tables import DigestRun  # noqa: E402

RESULTS = ROOT / "bench" / "results"


async def seed_history(w: Writer, slot, size: int, rnd: random.Random) -> None:
    """12 earlier weekly digests with a growing portfolio."""
    rows = []
    for k in range(12, 0, -1):
        at = slot - timedelta(weeks=k)
        n = size * (100 - 3 * k) // 100
        share = [0.5, 0.25, 0.12, 0.05, 0.08]
        stages = {s: int(n * f) for s, f in zip(POLICY.stage_keys, share)}
        rows.append(full(DigestRun, digest_key=POLICY.digests[0].key, platform="slack", channel="CLEADERSHIP",
                         period=period_id(at), status="sent", created_at=at,
                         snapshot={"at": at.isoformat(), "stages": stages, "labels": {}, "restricted": {},
                                   "overdue_reviews": rnd.randint(0, 40), "limbo": rnd.randint(0, 20),
                                   "health": {"scaled": n // 20, "entered": n // 4, "to_value": 120.0 - k,
                                              "stage_days": {s: 30.0 + k for s in POLICY.stage_keys}}}))
    await w.put(DigestRun, rows)


async def bench(kind: str, size: int, runs: int, tmp: Path) -> dict:
    rnd = random.Random(7)
    sched = POLICY.digests[0]
    slot = last_fire(sched, NOW)
    out: dict = {}
    async with Scratch(kind, tmp) as db:
        w = Writer(db)
        owners = await seed_people(w)
        t0 = time.perf_counter()
        await seed_portfolio(w, owners, size, rnd)
        await seed_history(w, slot, size, rnd)
        await settle(db)
        out["seed_s"] = time.perf_counter() - t0
        async with db.read() as s:
            times, previous = await times_for(s, sched, slot, NOW, False)
        data = (await collect(db, POLICY, sched, times, {True}, previous))[True]
        async with db.read() as s:
            earlier = await history.past(s, sched.key, slot)
        draw, pictures, pdf, quarter = [], [], [], []
        drawn = []
        for _ in range(runs):
            t0 = time.perf_counter()
            drawn = history.digest_charts(POLICY, data, earlier)
            draw.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            async with db.read() as s:
                again = await history.past(s, sched.key, slot)
            await asyncio.to_thread(history.digest_charts, POLICY, data, again)
            pictures.append(time.perf_counter() - t0)
            q = report.parse_period("2026-Q4")
            t0 = time.perf_counter()
            await collect(db, POLICY, sched, report.Times(period_at=NOW, since=q.start, next_at=q.end, now=NOW),
                          {True}, None)
            quarter.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            content, _ = await report.build(Services(db=db, policy=POLICY), "2026-Q4", NOW)
            pdf.append(time.perf_counter() - t0)
        out.update({"use_cases": sum(data.stages.values()), "history_periods": len(earlier),
                    "draw_three_s": statistics.median(draw), "digest_pictures_s": statistics.median(pictures),
                    "report_pdf_s": statistics.median(pdf), "report_figures_s": statistics.median(quarter),
                    "report_pdf_bytes": len(content),
                    "png_bytes": {c.name: len(c.png) for c in drawn}})
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--size", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(bench(args.db, args.size, args.runs, Path(tmp)))
    meta = {"date": NOW.date().isoformat(), "python": platform.python_version(), "machine": platform.machine(),
            "db": args.db, "runs": args.runs}
    print(json.dumps({**meta, **result}, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "charts.json").write_text(json.dumps({**meta, **result}, indent=2) + "\n")
    lines = [f"# Digest pictures and quarterly report ({args.db}, median of {args.runs})", "",
             f"- portfolio: {result['use_cases']:,} use cases, {result['history_periods']} earlier digests",
             f"- the three charts drawn: {result['draw_three_s'] * 1000:.0f} ms "
             f"(PNG bytes: {', '.join(f'{k} {v:,}' for k, v in result['png_bytes'].items())})",
             f"- a digest's pictures (history read + charts): {result['digest_pictures_s'] * 1000:.0f} ms",
             f"- the quarterly report PDF: {result['report_pdf_s'] * 1000:.0f} ms, "
             f"{result['report_pdf_bytes'] // 1024} KB (of which the quarter's figures, `collect` since the "
             f"quarter began: {result['report_figures_s'] * 1000:.0f} ms)", ""]
    (RESULTS / "charts.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
