"""Several replicas on one Postgres, proved on one machine.

    .venv/bin/python -m bench.replicas --slack 200 --teams 100 --reviews 20        # 1 replica, then 3
    .venv/bin/python -m bench.replicas --replicas 3 --compare 1 --duplicates 0.2

For each replica count: a fresh Postgres database with overdue reviews and the portfolio of a digest
period; the fake Slack Web API and the fake Bot Framework connector (each its own process); N `aiom serve`
behind haproxy (Debian package `haproxy`, round robin) and two `aiom worker`s. The load clients send a
mixed burst through haproxy: signed Slack DMs ("help", one per person, a share of them sent again as Slack's
retries - to whichever replica haproxy picks) and Teams messages ("help"). Then it waits until the fakes
stop counting and checks:

- each Slack event and each Teams message answered exactly once (the fakes' call counts);
- every outbox row for Slack (reminders, the digest) posted exactly once at the fake (Slack posts counted =
  one per DM answered + one per sent Slack outbox row); no dedupe key twice; rows not sent are listed with
  their error (the seeded portfolio names people the fakes do not know);
- each due reminder counted once on its review.

Prints one JSON line per replica count and a summary with the throughput ratio. On a 2-core machine, more
replicas share the same two cores: expect a ratio near 1 (the point is correctness; scaling needs cores).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from bench import databases, fakes
from bench.common import ROOT, SECRET, cpu_seconds, env_for, free_port, peak_rss_mb, start, stop, wait_http
from bench.fake_teams import REPLY
from bench.loadgen import activity, drive, event

TENANT = "00000000-0000-0000-0000-00000000beef"
REVIEWER = "user0@example.com"  # the fake Slack's U000000: reminders DM them


def policy_file(folder: Path) -> Path:
    data = yaml.safe_load((ROOT / "tests" / "policies" / "test-policy.yaml").read_text())
    data["reminders"] = {"claim_seconds": 30,
                         "working_hours": {"allow_outside": True, "days": [0, 1, 2, 3, 4, 5, 6]}}
    for d in data.get("digests", []):
        d["cron"] = "*/2 * * * *"  # a digest period every two minutes: one or two fall inside a run
    for group in data["review"]["groups"]:
        if group["key"] == "security":
            group["members"] = [REVIEWER]
    path = folder / "replicas-policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


async def seed(db_url: str, policy: Path, reviews: int) -> list[int]:
    from vocabulary.policy import load_policy
    from storage.db import Database
    from storage.tables import DigestRun
    from tests.support import factories, portfolio

    now = datetime.now(timezone.utc)
    db = Database(db_url)
    try:
        async with db.write() as s:
            await portfolio.seed(s, load_policy(policy))
            await factories.person(s, REVIEWER, "Rae Reviewer", tz="UTC")
            ids = []
            for i in range(reviews):
                uc = await factories.use_case(s, title=f"Replica case {i}", now=now - timedelta(days=20))
                rr = await portfolio.review(s, uc, "security", now - timedelta(days=3), frm="exploration",
                                            to="pilot")
                ids.append(rr.id)
        async with db.write() as s:
            await s.execute(DigestRun.__table__.delete())  # the seeded digest went to the console only
        return ids
    finally:
        await db.dispose()


def haproxy_config(folder: Path, port: int, backends: list[int]) -> Path:
    lines = ["global", "  maxconn 4096", "defaults", "  mode http", "  timeout connect 5s",
             "  timeout client 60s", "  timeout server 60s", "  timeout check 5s", "frontend aiom", f"  bind 127.0.0.1:{port}",
             "  default_backend serve", "backend serve", "  balance roundrobin",
             "  option httpchk GET /readyz"]
    # /readyz pings the database: under a burst it may take more than a second; a 1 s check would take the
    # only replica out of rotation mid-burst (seen: 63 requests answered 503 by haproxy).
    lines += [f"  server s{i} 127.0.0.1:{p} check inter 2s fall 3 rise 1" for i, p in enumerate(backends)]
    path = folder / "haproxy.cfg"
    path.write_text("\n".join(lines) + "\n")
    return path


def slack_items(users: range, duplicates: float) -> list[dict]:
    items, again = [], []
    for n, i in enumerate(users):
        uid = f"U{i:06d}"
        ev = {"type": "message", "channel": f"D{uid}", "user": uid, "text": "help", "ts": f"{1_700_000_000 + n}.000100",
              "channel_type": "im", "team": "T0HOME"}
        env = {"token": "legacy", "team_id": "T0HOME", "api_app_id": "AAIOM", "type": "event_callback", "event": ev,
               "event_id": f"EvR{uuid.uuid4().hex[:12]}", "event_time": int(time.time()),
               "authorizations": [{"team_id": "T0HOME", "user_id": "UBOT", "is_bot": True}]}
        items.append(event(env))
        if n < int(len(users) * duplicates):
            again.append(event(env))  # the same event again: Slack's retry, to another replica
    return items + again


def teams_items(n: int, service_url: str) -> list[dict]:
    out = []
    for i in range(n):
        out.append(activity({
            "type": "message", "id": uuid.uuid4().hex, "channelId": "msteams", "serviceUrl": service_url,
            "from": {"id": f"29:bench-{i}", "name": f"bench-{i}", "aadObjectId": f"aad-bench-{i}"},
            "recipient": {"id": "28:aiom-bench", "name": "aiom"},
            "conversation": {"id": f"a:bench-{i}", "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}}, "locale": "en-GB", "text": "help"}))
    return out


def settle(fake, key: str, quiet: float = 3.0, timeout: float = 300) -> int:
    """Wait until `key` at the fake has not moved for `quiet` seconds; its count."""
    deadline = time.monotonic() + timeout
    last, since = fake.count(key), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = fake.count(key)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


async def outbox_check(db_url: str, review_ids: list[int]) -> dict:
    from sqlalchemy import select

    from storage.db import Database
    from storage.tables import DigestRun, Outbox, ReviewRequest

    db = Database(db_url)
    try:
        async with db.read() as s:
            rows = (await s.execute(select(Outbox))).scalars().all()
            counts = (await s.execute(select(ReviewRequest.reminder_count)
                                      .where(ReviewRequest.id.in_(review_ids)))).scalars().all()
            digest_runs = [(r.digest_key, r.period, r.platform, r.channel)
                           for r in (await s.execute(select(DigestRun))).scalars().all()]
    finally:
        await db.dispose()
    slack_sent = [r for r in rows if r.platform == "slack" and r.status == "sent"]
    return {"outbox_rows": len(rows), "outbox_sent": sum(1 for r in rows if r.status == "sent"),
            "outbox_retried_then_sent": sum(1 for r in rows if r.status == "sent" and r.attempts > 1),
            "outbox_not_sent": sorted(f"{r.dedupe_key} ({r.status}: {r.error[:60]})" for r in rows
                                      if r.status != "sent"),
            "duplicate_keys": len(rows) - len({r.dedupe_key for r in rows}),
            "slack_posts_from_outbox": sum(1 for r in slack_sent if r.kind in ("post", "dm")),
            "slack_updates_from_outbox": sum(1 for r in slack_sent if r.kind == "update"),
            "reminders": sum(1 for r in rows if r.purpose == "reminder"),
            "digests": sum(1 for r in rows if r.purpose == "digest"),
            "digest_runs": len(digest_runs),
            "reviews_reminded_once": sum(1 for c in counts if c == 1), "reviews": len(review_ids)}


def run(replicas: int, args, folder: Path) -> dict:
    policy = policy_file(folder)
    with databases.scratch("postgres", folder, args.postgres_url) as db_url:
        review_ids = asyncio.run(seed(db_url, policy, args.reviews))
        slack, teams = fakes.slack(args.slack + 1), fakes.teams()
        procs: list[subprocess.Popen] = []
        try:
            base = {"DATABASE_URL": db_url, "AIOM_POLICY": str(policy), "AIOM_LOG_LEVEL": "WARNING",
                    "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url,
                    "AIOM_TEAMS_ANONYMOUS": "1", "AIOM_DB_POOL_SIZE": "5"}
            ports = [free_port() for _ in range(replicas)]
            for i, port in enumerate(ports):
                procs.append(start([sys.executable, "-m", "bot.cli", "serve"], env_for(**base, AIOM_PORT=str(port)),
                                   log=folder / f"serve-{replicas}-{i}.log"))
            for port in ports:
                asyncio.run(wait_http(f"http://127.0.0.1:{port}/readyz"))
            lb = free_port()
            procs.append(start([args.haproxy, "-f", str(haproxy_config(folder, lb, ports)), "-db"], env_for(),
                               log=folder / f"haproxy-{replicas}.log"))
            asyncio.run(wait_http(f"http://127.0.0.1:{lb}/readyz"))
            for i in range(2):
                procs.append(start([sys.executable, "-m", "bot.cli", "worker", "--console"],
                                   env_for(**base, AIOM_WORKER_PORT=str(free_port())),
                                   log=folder / f"worker-{replicas}-{i}.log"))
            s_items = slack_items(range(1, args.slack + 1), args.duplicates)
            t_items = teams_items(args.teams, teams.url)
            began = time.perf_counter()
            with tempfile.TemporaryDirectory():
                results = asyncio.run(_drive_both(f"http://127.0.0.1:{lb}", s_items, t_items, args.concurrency))
            load_seconds = time.perf_counter() - began
            teams_replies = settle(teams, REPLY)
            slack_posts = settle(slack, "chat.postMessage")
            answered_by = time.perf_counter() - began
            check = asyncio.run(outbox_check(db_url, review_ids))
            requests = len(s_items) + len(t_items)
            out = {"replicas": replicas, "workers": 2, "slack_events": len(s_items), "slack_unique": args.slack,
                   "teams_messages": len(t_items), "http_errors": sum(r["errors"] for r in results),
                   "load_seconds": round(load_seconds, 2), "requests_per_s": round(requests / load_seconds, 1),
                   "all_answered_seconds": round(answered_by, 2),
                   "turns_per_s": round((args.slack + args.teams) / answered_by, 1),
                   "slack_posts": slack_posts, "teams_replies": teams_replies, **check}
            out["slack_posts_expected"] = args.slack + check["slack_posts_from_outbox"]
            serves, workers = procs[:replicas], procs[replicas + 1:]
            out["serve_peak_rss_mb"] = [round(peak_rss_mb(p.pid)) for p in serves]
            out["worker_peak_rss_mb"] = [round(peak_rss_mb(p.pid)) for p in workers]
            out["serve_cpu_s"] = [round(cpu_seconds(p.pid), 1) for p in serves]
            out["worker_cpu_s"] = [round(cpu_seconds(p.pid), 1) for p in workers]
            out["each_effect_once"] = (out["slack_posts"] == out["slack_posts_expected"]
                                       and teams_replies == args.teams and check["duplicate_keys"] == 0
                                       and check["reviews_reminded_once"] == check["reviews"])
            return out
        finally:
            for p in reversed(procs):
                stop(p)
            slack.stop()
            teams.stop()


async def _drive_both(lb: str, s_items, t_items, concurrency: int) -> list[dict]:
    return list(await asyncio.gather(
        asyncio.to_thread(drive, f"{lb}/slack/events", s_items, concurrency),
        asyncio.to_thread(drive, f"{lb}/api/messages", t_items, concurrency)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__.splitlines()[0])
    p.add_argument("--replicas", type=int, default=3)
    p.add_argument("--compare", type=int, default=1, help="also run with this many replicas (0: no comparison)")
    p.add_argument("--slack", type=int, default=200, help="Slack people, one DM each")
    p.add_argument("--teams", type=int, default=100, help="Teams people, one message each")
    p.add_argument("--duplicates", type=float, default=0.2, help="share of Slack events sent twice")
    p.add_argument("--reviews", type=int, default=20, help="overdue reviews (a channel post and a DM each)")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--postgres-url", help="server for the scratch database (default as bench: "
                   "$AIOM_BENCH_POSTGRES_URL or postgresql://postgres@127.0.0.1:5432/postgres)")
    p.add_argument("--haproxy", default=shutil.which("haproxy") or "/usr/sbin/haproxy")
    p.add_argument("--logs", metavar="DIR", help="keep every process's log in DIR")
    args = p.parse_args(argv)
    if not Path(args.haproxy).exists():
        print("haproxy is not installed (Debian package haproxy)", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory(prefix="aiom-replicas-") as tmp:
        for n in [c for c in (args.compare, args.replicas) if c]:
            folder = Path(args.logs) if args.logs else Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            res = run(n, args, folder)
            print(json.dumps(res), flush=True)
            results.append(res)
    if len(results) == 2:
        one, many = results
        print(json.dumps({"throughput_ratio": round(many["requests_per_s"] / one["requests_per_s"], 2),
                          "turns_ratio": round(many["turns_per_s"] / one["turns_per_s"], 2),
                          "each_effect_once": all(r["each_effect_once"] for r in results)}))
    return 0 if all(r["each_effect_once"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
