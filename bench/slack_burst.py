"""Slack burst: 1,000 signed block_actions interactions against `aiom serve`, over 127.0.0.1 only.

    python bench/slack_burst.py [--count 1000] [--concurrency 64] [--database-url URL] [--skip-paced]

What runs, each in its own process:
- the fake Slack Web API the tests use (`python -m tests.support.fake_slack`), recording nothing but counts;
- aiom (`python -m bot.cli serve`, SQLite in a temp dir unless --database-url, SLACK_API_URL at the fake);
- a load client (this file, `client` mode): a bounded asyncio client, 64 connections, signing each request
  exactly as Slack does.

The scenario is the hottest path: a scorecard answer click. N owners (one per use case, each a Slack user
with a verified email) have a pilot-selection scorecard open. An untimed warm-up burst answers area 1 (it
maps each Slack user to their person once, as the first click of a Monday would); the timed burst answers
area 2: each click is acknowledged, then saves the answer (one transaction) and updates the scorecard
message in place (one chat.update to the fake). Reported: requests/s, p50/p99 from request to HTTP
response (the ack), completed effects/s (chat.update calls seen by the fake, backlog drained), peak RSS of
the server and its CPU time per request; then a third run (area 3) offered at 80 % of the effects rate the
burst sustained, for the ack p99 at that load.
Results go to bench/results/slack_burst_{sqlite,postgresql}.{json,md}.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-signing-secret-0123456789"
TEAM = "T0HOME"


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def env_for(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "AIOM_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def user(i: int) -> str:
    return f"U{i:06d}"  # the fake knows U000000.. with email user{i}@example.com


# -- set-up (untimed) --------------------------------------------------------------------------------------
async def seed(database_url: str, count: int) -> list[tuple[int, list[str]]]:
    """N use cases, each owned by one Slack user, each with a pilot-selection scorecard started."""
    from conversations.policy import load_policy
    from conversations.rules import scoring
    from storage.db import Database
    from storage.migrate import upgrade
    from storage.repo import instruments
    from tests.support import factories

    policy = load_policy(None)
    keys = scoring.item_keys(policy, scoring.PILOT_SELECTION)
    db = Database(database_url)
    out = []
    try:
        await upgrade(db)
        async with db.write() as s:
            for i in range(count):
                uc = await factories.use_case(s, title=f"Bench use case {i}", business_owner=f"user{i}@example.com",
                                              delivery_owner=f"bench-d-{i}@example.com", proposer="zoe@example.com")
                sc = await instruments.start(s, use_case_id=uc.id, instrument=scoring.PILOT_SELECTION, attempt=1,
                                             started_by_id=uc.business_owner_id, at=uc.created_at)
                out.append((sc.id, keys))
    finally:
        await db.dispose()
    return out


def click_payload(i: int, scorecard_id: int, key: str) -> dict:
    channel = "D" + user(i)[1:]
    return {"type": "block_actions", "api_app_id": "AAIOM", "token": "legacy", "team": {"id": TEAM},
            "user": {"id": user(i), "username": f"user{i}", "name": f"user{i}", "team_id": TEAM},
            "container": {"type": "message", "message_ts": f"1700000000.{i:06d}", "channel_id": channel,
                          "is_ephemeral": False},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "ts": f"1700000000.{i:06d}", "text": "scorecard", "blocks": []},
            "trigger_id": f"trig.{i}.{key}", "response_url": "http://127.0.0.1:9/unused",
            "actions": [{"type": "button", "action_id": "scorecard.answer#4", "block_id": "b",
                         "text": {"type": "plain_text", "text": "3 · strong"},
                         "value": json.dumps({"sc": scorecard_id, "k": key, "v": 3}, separators=(",", ":")),
                         "action_ts": f"{time.time():.6f}"}]}


# -- the load client (its own process) ------------------------------------------------------------------------
async def run_client(url: str, payloads: list[dict], concurrency: int, rate: float | None) -> dict:
    import aiohttp

    from tests.support.slack_signing import interaction_request

    latencies: list[float] = []
    errors = 0
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        async def one(payload: dict) -> None:
            nonlocal errors
            body, headers = interaction_request(payload, secret=SECRET)
            async with sem:
                t = time.perf_counter()
                try:
                    async with http.post(url, data=body.encode(), headers=headers) as r:
                        await r.read()
                        if r.status != 200:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append(time.perf_counter() - t)

        wall = time.time()
        start = time.perf_counter()
        if rate:
            tasks = []
            for n, payload in enumerate(payloads):
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(payload)))
            await asyncio.gather(*tasks)
        else:
            await asyncio.gather(*(one(p) for p in payloads))
        elapsed = time.perf_counter() - start
    return {"n": len(payloads), "seconds": elapsed, "errors": errors, "latencies": latencies, "started": wall}


def client_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--rate", type=float, default=None)
    a = p.parse_args(argv)
    payloads = json.loads(Path(a.file).read_text())
    print(json.dumps(asyncio.run(run_client(a.url, payloads, a.concurrency, a.rate))))
    return 0


def drive(url: str, payloads: list[dict], concurrency: int, rate: float | None = None) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(payloads, f)
    try:
        cmd = [sys.executable, __file__, "client", "--url", url, "--file", f.name, "--concurrency", str(concurrency)]
        if rate:
            cmd += ["--rate", f"{rate:.3f}"]
        out = subprocess.run(cmd, env=env_for(), capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return json.loads(out.stdout)
    finally:
        os.unlink(f.name)


def stats(fake_root: str) -> dict:
    import urllib.request

    with urllib.request.urlopen(f"{fake_root}/_stats", timeout=10) as r:
        return json.loads(r.read())


def wait_effects(fake_root: str, method: str, target: int, started: float, timeout: float = 300) -> float:
    """Seconds from the burst's start until the fake has seen `target` calls to `method`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stats(fake_root)["counts"].get(method, 0) >= target:
            return time.time() - started
        time.sleep(0.02)
    raise RuntimeError(f"only {stats(fake_root)['counts'].get(method, 0)} of {target} {method} calls arrived")


def summary(res: dict) -> dict:
    lat = sorted(res["latencies"])
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
    return {"requests_per_s": res["n"] / res["seconds"], "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000,
            "max_ms": lat[-1] * 1000, "errors": res["errors"], "n": res["n"], "seconds": res["seconds"]}


def start(cmd: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


async def wait_http(url: str, timeout: float = 60) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def burst(name: str, url: str, fake_root: str, payloads: list[dict], concurrency: int, server_pid: int,
          rate: float | None = None) -> dict:
    before = stats(fake_root)["counts"].get("chat.update", 0)
    cpu = cpu_seconds(server_pid)
    res = drive(url, payloads, concurrency, rate)
    out = summary(res)
    done = wait_effects(fake_root, "chat.update", before + len(payloads), res["started"])
    out["effects_per_s"] = len(payloads) / done
    out["effects_seconds"] = done
    out["server_cpu_ms_per_request"] = (cpu_seconds(server_pid) - cpu) * 1000 / len(payloads)
    print(f"{name}: {out['requests_per_s']:.0f} req/s, ack p50 {out['p50_ms']:.1f} ms, p99 {out['p99_ms']:.1f} ms, "
          f"{out['effects_per_s']:.0f} effects/s, server CPU {out['server_cpu_ms_per_request']:.1f} ms/request, "
          f"{out['errors']} errors", flush=True)
    return out


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--database-url", help="run aiom on this database instead of a temporary SQLite file")
    p.add_argument("--skip-paced", action="store_true", help="skip the run at 80 %% of aiom's measured rate")
    p.add_argument("--profile", help="profile the server with cProfile into this file (pstats)")
    a = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="aiom-slack-bench-"))
    db_url = a.database_url or f"sqlite:///{tmp / 'aiom.db'}"
    procs: list[subprocess.Popen] = []
    try:
        fake = start([sys.executable, "-m", "tests.support.fake_slack", "--port", str(free_port()),
                      "--users", str(a.count)], env_for())
        procs.append(fake)
        fake_info = json.loads(fake.stdout.readline())
        print(f"set-up: {a.count} use cases with a scorecard open …", flush=True)
        cards = asyncio.run(seed(db_url, a.count))
        port = free_port()
        serve = [sys.executable, "-m", "bot.cli", "serve"]
        if a.profile:  # cProfile the server for the whole run (pstats file, written when it stops)
            serve = [sys.executable, "-m", "cProfile", "-o", a.profile, "-m", "bot.cli", "serve"]
        aiom = start(serve,
                     env_for(DATABASE_URL=db_url, AIOM_PORT=str(port), AIOM_LOG_LEVEL="WARNING",
                             SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET,
                             SLACK_API_URL=fake_info["url"]))
        procs.append(aiom)
        url = f"http://127.0.0.1:{port}/slack/events"
        asyncio.run(wait_http(f"http://127.0.0.1:{port}/healthz"))

        def clicks(area: int) -> list[dict]:
            return [click_payload(i, sc, keys[area]) for i, (sc, keys) in enumerate(cards)]

        warm = burst("warm-up (area 1, first click per user)", url, fake_info["root"], clicks(0), a.concurrency, aiom.pid)
        timed = burst("burst (area 2)", url, fake_info["root"], clicks(1), a.concurrency, aiom.pid)
        paced = None
        if not a.skip_paced:
            rate = 0.8 * timed["effects_per_s"]  # the rate aiom sustains, acks and effects both
            paced = burst(f"paced at {rate:.0f}/s (area 3)", url, fake_info["root"], clicks(2), a.concurrency * 4,
                          aiom.pid, rate=rate)
            paced["rate"] = rate
        rss = peak_rss_mb(aiom.pid)
        violations = stats(fake_info["root"])["violations"]
        stop(aiom)
        log = aiom.stdout.read()
        errors_logged = sum(1 for line in log.splitlines() if " ERROR " in line)
    finally:
        for proc in reversed(procs):
            stop(proc)

    result = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "database": "postgresql" if db_url.startswith("postgres") else "sqlite",
              "count": a.count, "concurrency": a.concurrency, "warm_up": warm, "burst": timed, "paced": paced,
              "server_peak_rss_mb": rss, "block_kit_violations": violations, "errors_logged": errors_logged}
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"slack_burst_{result['database']}"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    rows = [("warm-up (first click per user)", warm), ("burst", timed)] + ([("80 % of peak", paced)] if paced else [])
    md = [f"# Slack burst ({result['date']}, {result['machine']}, {result['database']})", "",
          f"{a.count} signed block_actions (scorecard answer clicks), {a.concurrency} connections.", "",
          "| run | requests/s | ack p50 ms | ack p99 ms | effects/s | server CPU ms/request | errors |",
          "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    md += [f"| {n} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['effects_per_s']:.0f} | "
           f"{r['server_cpu_ms_per_request']:.1f} | {r['errors']} |" for n, r in rows]
    md += ["", f"Server peak RSS: {rss:.0f} MB. Block Kit violations seen by the fake: {violations}. "
           f"Errors in aiom's log: {errors_logged}."]
    (RESULTS / f"{name}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        sys.exit(client_main(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
