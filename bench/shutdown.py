"""How long a graceful shutdown takes under load, and whether it loses an acknowledged turn.

    .venv/bin/python -m bench.shutdown --events 400 --after 2 [--db postgres|sqlite]

One `aiom serve` (Slack, against the fake Web API), a burst of signed Slack DMs ("help", one per person,
64 connections); `--after` seconds into the burst it gets SIGTERM. Reported: seconds from SIGTERM to exit,
requests acknowledged (HTTP 200) and refused (the listener had closed: Slack retries those), and replies
posted at the fake: every acknowledged DM must have its reply.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import databases, fakes
from bench.common import SECRET, env_for, free_port, start, wait_http
from bench.loadgen import drive
from bench.replicas import slack_items


def run(args, folder: Path) -> dict:
    with databases.scratch(args.db, folder, args.postgres_url) as db_url:
        slack = fakes.slack(args.events + 1)
        port = free_port()
        env = env_for(DATABASE_URL=db_url, AIOM_PORT=str(port), AIOM_LOG_LEVEL="INFO", SLACK_BOT_TOKEN="xoxb-bench",
                      SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.url,
                      AIOM_SHUTDOWN_GRACE=str(args.grace))
        log = folder / "serve.log"
        proc = start([sys.executable, "-m", "bot.cli", "serve"], env, log=log)
        try:
            asyncio.run(wait_http(f"http://127.0.0.1:{port}/readyz"))
            items = slack_items(range(1, args.events + 1), 0.0)
            result: dict = {}
            load = threading.Thread(target=lambda: result.update(
                drive(f"http://127.0.0.1:{port}/slack/events", items, args.concurrency)))
            load.start()
            time.sleep(args.after)
            replies_at_sigterm = slack.count("chat.postMessage")
            sent = time.perf_counter()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=args.grace + 60)
            took = time.perf_counter() - sent
            load.join()
            replies = slack.count("chat.postMessage")
            acknowledged = result["n"] - result["errors"]
            lines = log.read_text().splitlines()
            return {"db": args.db, "events": result["n"], "sigterm_after_s": args.after,
                    "acknowledged": acknowledged, "refused_after_close": result["errors"],
                    "replies_at_sigterm": replies_at_sigterm, "replies": replies,
                    "replies_after_sigterm": replies - replies_at_sigterm,
                    "shutdown_seconds": round(took, 2), "exit_status": proc.returncode,
                    "every_acknowledged_turn_answered": replies >= acknowledged,
                    "log_tail": [line[-160:] for line in lines if "shutting down" in line or "stopped" in line
                                 or "turn" in line][-4:]}
        finally:
            if proc.poll() is None:
                proc.kill()
            slack.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.shutdown", description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=400)
    p.add_argument("--after", type=float, default=2.0, help="seconds into the burst to send SIGTERM")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--grace", type=float, default=20.0)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    p.add_argument("--postgres-url")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="aiom-shutdown-") as tmp:
        res = run(args, Path(tmp))
    print(json.dumps(res))
    return 0 if res["every_acknowledged_turn_answered"] and res["exit_status"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
