"""Portfolio digest build time and reminder sweep time, on SQLite and Postgres (a benchmark, not a test).

- Digest: a portfolio of 1,000 / 10,000 / 100,000 use cases (stage history, reviews, risks, KPIs, incidents,
  readiness scorecards with their 18 answers, conditions) is seeded with bulk inserts; the weekly digest is
  built the way it is sent (`notifications.digest.runs.times_for` + `collect` + `content.build`), and the
  median of several builds is reported. Target: under 1 s at 100,000.
- Sweep: 10,000 / 100,000 / 1,000,000 review rows of which 100 are due; one overdue-review sweep
  (`notifications.reminders.reviews.sweep`: select the due rows, stamp them, write the outbox rows for two
  channels per group plus a DM per member, and the audit entries) is timed, the 100 rows reset between runs.
  Target: under 50 ms at 1,000,000, growing with the due rows rather than the table.

    .venv/bin/python bench/digest_and_sweep.py                 # both databases, full sizes
    .venv/bin/python bench/digest_and_sweep.py --db sqlite --quick

`python -m bench` runs it too (both databases) as part of the whole benchmark. Postgres: AIOM_BENCH_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432/postgres); a scratch database is created and dropped. Writes
bench/results/digest_and_sweep.{json,md} and prints the table.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench import databases  # noqa: E402

from vocabulary.policy import load_policy  # noqa: E402
from notifications.digest import content  # noqa: E402
from notifications.digest.data import collect  # noqa: E402
from notifications.digest.runs import times_for  # noqa: E402
from notifications.digest.schedule import last_fire  # noqa: E402
from notifications.reminders import reviews as review_reminders  # noqa: E402
from notifications.services import Services  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.tables import (  # noqa: E402
    Condition, GateRequest, Incident, Kpi, Person, PlatformIdentity, ReviewRequest, RiskEntry, Scorecard,
    ScorecardAnswer, StageChange, UseCase,
)

NOW = datetime(2026, 11, 30, 8, 5, tzinfo=timezone.utc)
POLICY = load_policy(ROOT / "tests" / "policies" / "test-policy.yaml")
STAGES = POLICY.stage_keys
STAGE_SHARE = [0.50, 0.25, 0.12, 0.05, 0.08]
GROUPS = [g.key for g in POLICY.review.groups]
RESULTS = ROOT / "bench" / "results"


# -- rows -------------------------------------------------------------------------------------------------
def full(model, **values) -> dict:
    """Every column of `model`'s table: the given values, else the column's default (as the ORM would)."""
    out = {}
    for col in model.__table__.columns:
        if col.name in values:
            out[col.name] = values[col.name]
        elif col.default is not None and col.default.is_scalar:
            out[col.name] = col.default.arg
        elif col.default is not None:
            factory = model.model_fields[col.name].default_factory
            out[col.name] = NOW if factory.__name__ == "utcnow" else factory()
        else:
            out[col.name] = None
    return out


class Writer:
    """Bulk inserts: COPY on Postgres, executemany on SQLite; explicit ids, sequences moved on afterwards."""

    def __init__(self, db: Database):
        self.db = db
        self.next_id: dict[str, int] = {}

    def ids(self, model, n: int) -> range:
        name = model.__tablename__
        start = self.next_id.get(name, 1)
        self.next_id[name] = start + n
        return range(start, start + n)

    async def put(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        table = model.__table__
        if "id" in table.columns:
            missing = [r for r in rows if r.get("id") is None]
            for r, i in zip(missing, self.ids(model, len(missing))):
                r["id"] = i
        async with self.db.write_engine.begin() as conn:
            if self.db.is_sqlite:
                for i in range(0, len(rows), 20000):
                    await conn.execute(table.insert(), rows[i:i + 20000])
                return
            raw = (await conn.get_raw_connection()).driver_connection
            cols = [c.name for c in table.columns]
            jsonish = {c.name for c in table.columns if c.type.__class__.__name__ in ("JSON", "Variant")
                       or "JSON" in repr(c.type)}
            records = [tuple(json.dumps(r[c]) if c in jsonish else r[c] for c in cols) for r in rows]
            await raw.copy_records_to_table(table.name, records=records, columns=cols)
            if "id" in cols:
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                        f"(SELECT MAX(id) FROM \"{table.name}\"))"))


async def seed_people(w: Writer) -> list[int]:
    """Reviewers of every group (with Slack identities, as after they talked to aiom) and 2,000 owners."""
    emails = sorted({m for g in POLICY.review.groups for m in g.members}) + [f"owner{i}@example.com"
                                                                             for i in range(2000)]
    ids = list(w.ids(Person, len(emails)))
    await w.put(Person, [full(Person, id=i, email=e, display_name=e.split("@")[0], timezone="Europe/London")
                         for i, e in zip(ids, emails)])
    await w.put(PlatformIdentity, [full(PlatformIdentity, id=j, person_id=i, platform="slack", tenant="T1",
                                        external_id=f"U{i}") for j, i in zip(w.ids(PlatformIdentity, len(ids)), ids)])
    return ids[-2000:]


async def seed_portfolio(w: Writer, owners: list[int], n: int, rnd: random.Random) -> None:
    """`n` more use cases with everything the digest reads."""
    ucs, changes, gates, reviews, risks, kpis, incidents, cards, answers, conds = ([] for _ in range(10))
    for uid in w.ids(UseCase, n):
        k = rnd.choices(range(len(STAGES)), STAGE_SHARE)[0]
        created = NOW - timedelta(days=rnd.randint(20, 400))
        status = rnd.choices(["active", "paused", "stopped"], [85, 5, 10])[0]
        at, moves = created, [(None, STAGES[0], created)]
        for s in STAGES[1:k + 1]:
            at = at + timedelta(days=rnd.randint(5, 60))
            moves.append((moves[-1][1], s, min(at, NOW - timedelta(hours=1))))
        bo, do = rnd.choice(owners), rnd.choice(owners)
        ucs.append(full(UseCase, id=uid, title=f"Use case {uid}", outcome=f"Cut handling time {uid % 50}% with review",
                        stage=STAGES[k], status=status, restricted=rnd.random() < 0.03, business_owner_id=bo,
                        delivery_owner_id=do, created_at=created, updated_at=moves[-1][2],
                        stage_entered_at=moves[-1][2], risk_tier=rnd.choice(["low", "medium", "high"]),
                        pilot_exit_date=(moves[-1][2] + timedelta(days=60)).date() if k == 1 else None,
                        value_reached_at=moves[-1][2] + timedelta(days=30) if k == 4 and rnd.random() < .6 else None))
        for frm, to, when in moves:
            changes.append(full(StageChange, use_case_id=uid, from_stage=frm, to_stage=to,
                                kind="created" if frm is None else "advance", at=when))
        if status == "active" and k < 4 and rnd.random() < 0.3:
            gid = w.ids(GateRequest, 1)[0]
            gates.append(full(GateRequest, id=gid, use_case_id=uid, from_stage=STAGES[k], to_stage=STAGES[k + 1],
                              requested_at=NOW - timedelta(days=5)))
            for g in rnd.sample(GROUPS, 2):
                due = NOW + timedelta(days=rnd.randint(-10, 10))
                reviews.append(full(ReviewRequest, gate_request_id=gid, use_case_id=uid, group_key=g, due_at=due,
                                    next_reminder_at=due + timedelta(days=30), created_at=NOW - timedelta(days=5)))
        for _ in range(2):
            risks.append(full(RiskEntry, use_case_id=uid, area_key="data_privacy", description="Personal data",
                              likelihood=rnd.choice("low medium high".split()), owner_id=do,
                              impact=rnd.choice("low medium high".split()), updated_at=created))
        if k >= 2:
            for layer in ("business_outcome", "model_quality"):
                kpis.append(full(Kpi, use_case_id=uid, layer=layer, name="Handling time", baseline=100, target=80,
                                 direction="lower", owner_id=bo, cadence="monthly",
                                 last_value=rnd.choice([None, 70.0, 90.0]),
                                 next_due_at=NOW + timedelta(days=rnd.randint(0, 30))))
        if k >= 2 and rnd.random() < 0.05:
            incidents.append(full(Incident, use_case_id=uid, description="Wrong answers", severity="sev2",
                                  status=rnd.choice(["open", "acknowledged", "closed"]), reported_at=NOW))
        if k in (1, 2) and rnd.random() < 0.7:
            sid = w.ids(Scorecard, 1)[0]
            cards.append(full(Scorecard, id=sid, use_case_id=uid, instrument="readiness", status="complete",
                              answered=18, started_at=created, last_answer_at=created, completed_at=created))
            for item in POLICY.readiness.items:
                answers.append(full(ScorecardAnswer, scorecard_id=sid, item_key=item.key,
                                    value=rnd.randint(1, 5), answered_at=created))
        if k >= 2 and rnd.random() < 0.2:
            conds.append(full(Condition, use_case_id=uid, text="Finish the runbook", owner_id=do,
                              due_date=(NOW + timedelta(days=rnd.randint(-20, 20))).date(), status="open"))
    for model, rows in ((UseCase, ucs), (StageChange, changes), (GateRequest, gates), (ReviewRequest, reviews),
                        (RiskEntry, risks), (Kpi, kpis), (Incident, incidents), (Scorecard, cards),
                        (ScorecardAnswer, answers), (Condition, conds)):
        await w.put(model, rows)


async def seed_reviews(w: Writer, uc_ids: list[int], n: int, due: int) -> list[int]:
    """`n` more pending review rows, none of them due (next reminder far ahead), plus `due` due ones."""
    gid = w.ids(GateRequest, 1)[0]
    await w.put(GateRequest, [full(GateRequest, id=gid, use_case_id=uc_ids[0], from_stage="pilot",
                                   to_stage="controlled_rollout", requested_at=NOW)])
    ids = list(w.ids(ReviewRequest, n))
    rows = [full(ReviewRequest, id=i, gate_request_id=gid, use_case_id=uc_ids[i % len(uc_ids)],
                 group_key=GROUPS[i % (len(GROUPS) - 1)], due_at=NOW + timedelta(days=30),
                 next_reminder_at=NOW + timedelta(days=30 + i % 90), created_at=NOW) for i in ids]
    for r in rows[:due]:
        r["due_at"] = r["next_reminder_at"] = NOW - timedelta(minutes=10)
    await w.put(ReviewRequest, rows)
    return ids[:due]


# -- measurements ---------------------------------------------------------------------------------------------
async def time_digest(db: Database, runs: int) -> tuple[float, int]:
    sched = POLICY.digests[0]
    slot = last_fire(sched, NOW)
    out, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        async with db.read() as s:
            times, previous = await times_for(s, sched, slot, NOW, False)
        data = await collect(db, POLICY, sched, times, {True}, previous)
        message = content.build(POLICY, data[True])
        out.append(time.perf_counter() - t0)
        size = len(json.dumps(message.to_dict()))
    return statistics.median(out), size


async def reset(db: Database, due_ids: list[int]) -> None:
    """The 100 rows due again, as before their reminder (and no outbox rows)."""
    async with db.write() as s:
        await s.execute(text("DELETE FROM outbox"))
        await s.execute(ReviewRequest.__table__.update().where(ReviewRequest.id.in_(due_ids))
                        .values(reminder_count=0, last_reminder_at=None, next_reminder_at=NOW - timedelta(minutes=10)))


async def time_sweep(db: Database, due_ids: list[int], runs: int) -> float:
    services = Services(db=db, policy=POLICY, platforms=frozenset({"slack", "teams"}))
    out = []
    for _ in range(runs):
        await reset(db, due_ids)
        t0 = time.perf_counter()
        n = await review_reminders.sweep(services, NOW)
        out.append(time.perf_counter() - t0)
        assert n == len(due_ids), (n, len(due_ids))
    return statistics.median(out)


async def settle(db: Database) -> None:
    """After a bulk load, what autovacuum would soon do on Postgres: statistics and the visibility map (so
    covering indexes are read without visiting the table). SQLite keeps no statistics unless asked: none."""
    if db.is_sqlite:
        return
    async with db.write_engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


async def time_find(db: Database, due_ids: list[int], runs: int) -> float:
    """Just the part whose cost must follow the due rows: select them (locked) and stamp them; rolled back."""
    from storage.repo import reminders as repo

    await reset(db, due_ids)
    out = []
    for _ in range(runs):
        async with db.write_engine.connect() as conn:
            from sqlalchemy.ext.asyncio import AsyncSession

            async with AsyncSession(bind=conn) as s:
                t0 = time.perf_counter()
                rows = await repo.due_reviews(s, NOW, 250)
                await repo.stamp_reviews(s, [(r.id, r.next_reminder_at, NOW + timedelta(days=2), NOW) for r in rows])
                out.append(time.perf_counter() - t0)
                assert len(rows) == len(due_ids)
                await s.rollback()
    return statistics.median(out)


async def plan(db: Database) -> str:
    q = ("SELECT id FROM review_request WHERE status = 'pending' AND next_reminder_at <= :now "
         "AND paused_at IS NULL ORDER BY next_reminder_at, id LIMIT 100")
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    async with db.read() as s:
        rows = (await s.execute(text(prefix + q), {"now": NOW.replace(tzinfo=None) if db.is_sqlite else NOW})).all()
    return " | ".join(str(r[-1]) for r in rows)


# -- databases --------------------------------------------------------------------------------------------------
class Scratch:
    """A fresh database of `kind`, migrated, as an async context manager (bench.databases, dropped after)."""

    def __init__(self, kind: str, tmp: Path, admin: str | None = None):
        self.admin = admin
        self.url = databases.new_url(kind, tmp, admin)

    async def __aenter__(self) -> Database:
        await databases.create(self.url, self.admin)
        self.db = Database(self.url)
        await upgrade(self.db)
        return self.db

    async def __aexit__(self, *exc) -> None:
        await self.db.dispose()
        await databases.drop(self.url, self.admin)


async def bench(kind: str, digest_sizes: list[int], sweep_sizes: list[int], runs: int, tmp: Path,
                admin: str | None = None) -> dict:
    rnd = random.Random(7)
    result: dict = {"digest": {}, "sweep": {}, "plan": ""}
    async with Scratch(kind, tmp, admin) as db:
        w = Writer(db)
        owners = await seed_people(w)
        have = 0
        for size in digest_sizes:
            t0 = time.perf_counter()
            await seed_portfolio(w, owners, size - have, rnd)
            have = size
            await settle(db)
            med, chars = await time_digest(db, runs)
            result["digest"][size] = {"median_s": med, "message_chars": chars, "seed_s": time.perf_counter() - t0}
            print(f"  {kind}: digest of {size:,} use cases: {med * 1000:.0f} ms (median of {runs})", flush=True)
    async with Scratch(kind, tmp, admin) as db:
        w = Writer(db)
        await seed_people(w)
        await seed_portfolio(w, [1], 1000, rnd)
        async with db.write() as s:  # every use case live, so every due review is reminded
            await s.execute(text("UPDATE use_case SET status = 'active'"))
        uc_ids = list(range(1, 1001))
        have, due_ids = 0, []
        for size in sweep_sizes:
            due_ids += await seed_reviews(w, uc_ids, size - have, 0 if have else 100)
            have = size
            await settle(db)
            med = await time_sweep(db, due_ids, runs)
            find = await time_find(db, due_ids, runs)
            result["sweep"][size] = {"median_s": med, "find_and_stamp_s": find, "due": len(due_ids)}
            print(f"  {kind}: sweep of {size:,} reviews, {len(due_ids)} due: {med * 1000:.1f} ms "
                  f"(finding and stamping them: {find * 1000:.1f} ms)", flush=True)
        result["plan"] = await plan(db)
    return result


def table(results: dict) -> list[str]:
    """The Markdown table: a row per measure and size, a column per database."""
    lines = ["| measure | " + " | ".join(results) + " |", "| --- | " + " | ".join("---:" for _ in results) + " |"]
    first = next(iter(results.values()))
    for size in first["digest"]:
        cells = [f"{r['digest'][size]['median_s'] * 1000:.0f} ms" for r in results.values()]
        lines.append(f"| digest, {int(size):,} use cases (target < 1 s at 100,000) | " + " | ".join(cells) + " |")
    for size in first["sweep"]:
        cells = [f"{r['sweep'][size]['median_s'] * 1000:.1f} ms" for r in results.values()]
        lines.append(f"| sweep, {int(size):,} reviews, 100 due (target < 50 ms) | " + " | ".join(cells) + " |")
    for size in first["sweep"]:
        cells = [f"{r['sweep'][size]['find_and_stamp_s'] * 1000:.1f} ms" for r in results.values()]
        lines.append(f"| of which finding and stamping the 100 due, {int(size):,} reviews | " + " | ".join(cells) + " |")
    return lines


SWEEP_WORDS = ("Sweep = select the due rows, stamp them, write the outbox rows (two channels per group, a DM per "
               "member: 400 rows) and one audit entry per reminder, in one transaction.")


def markdown(results: dict, meta: dict) -> str:
    lines = [f"# Digest build and reminder sweep ({meta['date']}, {meta['machine']})", "", *table(results)]
    lines += ["", f"Median of {meta['runs']} runs each; load average {meta['load']} when it started (a shared "
              f"machine). {SWEEP_WORDS}", "", "Query plan of the sweep's due-row query:"]
    lines += [f"- {k}: `{r['plan']}`" for k, r in results.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--quick", action="store_true", help="small sizes (1k/10k digest, 10k/100k sweep), 3 runs")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    digest_sizes, sweep_sizes, runs = [1000, 10000, 100000], [10000, 100000, 1000000], args.runs
    if args.quick:
        digest_sizes, sweep_sizes, runs = [1000, 10000], [10000, 100000], 3
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    load = os.getloadavg()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            results[kind] = asyncio.run(bench(kind, digest_sizes, sweep_sizes, runs, Path(tmp)))
    meta = {"date": date.today().isoformat(), "runs": runs, "python": sys.version.split()[0],
            "load": " / ".join(f"{x:.1f}" for x in load),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "digest_and_sweep.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    md = markdown(results, meta)
    (RESULTS / "digest_and_sweep.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
