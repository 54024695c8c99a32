"""Teams burst: aiom vs a bare botbuilder echo bot, 1,000 activities each, over 127.0.0.1 only.

    python bench/teams_burst.py [--count 1000] [--concurrency 32] [--database-url URL]

What runs, each in its own process:
- the fake Bot Framework connector the tests use (tests/support/fake_connector.py);
- aiom (`python -m bot.cli serve`, AIOM_TEAMS_ANONYMOUS=1, SQLite in a temp dir unless --database-url);
- the peer: a bare botbuilder CloudAdapter echo bot, auth off (bench/teams_echo_peer.py);
- a load client (this file, `client` mode): a bounded asyncio client that POSTs the activities.

aiom's scenario is a Teams card answer: N owners (one per use case, each in their own 1:1 chat) have a
pilot-selection scorecard open (set up first, untimed); the burst is N `Action.Execute` clicks on
"3 · …", each saving the answer and updating the card in place (one PUT to the connector). The peer's is
N messages, each answered with one reply. Reported: turns/s, p50/p99 request time, aiom/peer ratio, peak
RSS of each server; then aiom again at 80 % of its measured peak rate (open loop) for p99 at that load.
Results go to bench/results/teams_burst_<database>.{json,md}.
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
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
TENANT = "00000000-0000-0000-0000-00000000beef"
BOT = {"id": "28:aiom-bench", "name": "aiom"}


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


# -- activities -----------------------------------------------------------------------------------------
def user_of(i: int) -> dict:
    return {"id": f"29:bench-{i}", "name": f"bench-{i}", "aadObjectId": f"aad-bench-{i}"}


def conversation_of(i: int) -> dict:
    return {"id": f"a:bench-{i}", "conversationType": "personal", "tenantId": TENANT}


def activity(kind: str, i: int, service_url: str, **extra) -> dict:
    act = {"type": kind, "id": uuid.uuid4().hex, "channelId": "msteams", "serviceUrl": service_url,
           "from": user_of(i), "recipient": dict(BOT), "conversation": conversation_of(i),
           "channelData": {"tenant": {"id": TENANT}}, "locale": "en-GB"}
    act.update(extra)
    return act


def click(i: int, service_url: str, card_id: str, data: dict) -> dict:
    return activity("invoke", i, service_url, name="adaptiveCard/action", replyToId=card_id,
                    value={"action": {"type": "Action.Execute", "verb": data.get("aiom"), "data": data},
                           "trigger": "manual"})


def first_answer(card: dict, prefix: str = "3 ·") -> dict | None:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and str(node.get("title", "")).startswith(prefix):
                found.append(node["data"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return found[0] if found else None


# -- the load client (its own process) ---------------------------------------------------------------------
async def run_client(url: str, activities: list[dict], concurrency: int, rate: float | None) -> dict:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    sem = asyncio.Semaphore(concurrency)
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as http:
        async def one(act: dict) -> None:
            nonlocal errors
            async with sem:
                t = time.perf_counter()
                try:
                    async with http.post(url, json=act) as r:
                        await r.read()
                        if r.status >= 300:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append(time.perf_counter() - t)

        start = time.perf_counter()
        if rate:
            tasks = []
            for n, act in enumerate(activities):
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(act)))
            await asyncio.gather(*tasks)
        else:
            await asyncio.gather(*(one(a) for a in activities))
        elapsed = time.perf_counter() - start
    return {"n": len(activities), "seconds": elapsed, "errors": errors, "latencies": latencies}


def client_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--rate", type=float, default=None)
    a = p.parse_args(argv)
    activities = json.loads(Path(a.file).read_text())
    print(json.dumps(asyncio.run(run_client(a.url, activities, a.concurrency, a.rate))))
    return 0


def drive(url: str, activities: list[dict], concurrency: int, rate: float | None = None) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(activities, f)
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


def summary(res: dict) -> dict:
    lat = sorted(res["latencies"])
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
    return {"turns_per_s": res["n"] / res["seconds"], "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000,
            "errors": res["errors"], "n": res["n"], "seconds": res["seconds"]}


# -- set-up ------------------------------------------------------------------------------------------------------
async def seed(database_url: str, count: int) -> None:
    from storage.db import Database
    from storage.migrate import upgrade
    from tests.support import factories

    db = Database(database_url)
    try:
        await upgrade(db)
        async with db.write() as s:
            for i in range(count):
                await factories.use_case(s, title=f"Bench use case {i}", business_owner=f"bench-{i}@example.com",
                                         delivery_owner=f"bench-d-{i}@example.com", proposer="zoe@example.com")
    finally:
        await db.dispose()


async def open_scorecards(aiom_url: str, fake_url: str, count: int, concurrency: int) -> list[dict]:
    """Each owner types `score UC-i pilot` (untimed); returns one click on "3 · …" per owner."""
    import aiohttp

    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as http:
        async def setup(i: int) -> dict:
            async with sem:
                act = activity("message", i, fake_url, text=f"score UC-{i + 1} pilot")
                async with http.post(aiom_url, json=act) as r:
                    assert r.status == 200, await r.text()
                async with http.get(f"{fake_url}_fake/cards", params={"conversation": conversation_of(i)["id"]}) as r:
                    cards = await r.json()
                card = cards[-1]
                data = first_answer(card["activity"]["attachments"][0]["content"])
                assert data is not None, card
                return click(i, fake_url, card["id"], data)

        return await asyncio.gather(*(setup(i) for i in range(count)))


async def next_clicks(fake_url: str, clicks: list[dict]) -> list[dict]:
    """The next click for each owner, from the card as it now stands (updated in place by the first burst)."""
    import aiohttp

    out = []
    async with aiohttp.ClientSession() as http:
        for i, c in enumerate(clicks):
            async with http.get(f"{fake_url}_fake/cards", params={"conversation": c["conversation"]["id"]}) as r:
                card = (await r.json())[-1]
            data = first_answer(card["activity"]["attachments"][0]["content"])
            out.append(click(i, fake_url, card["id"], data))
    return out


def start(cmd: list[str], env: dict, name: str) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--database-url", help="run aiom on this database instead of a temporary SQLite file")
    p.add_argument("--skip-paced", action="store_true", help="skip the run at 80 %% of aiom's peak rate")
    a = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="aiom-bench-"))
    db_url = a.database_url or f"sqlite:///{tmp / 'aiom.db'}"
    procs: list[subprocess.Popen] = []
    try:
        fake = start([sys.executable, "-m", "tests.support.fake_connector", "--port", "0"], env_for(), "fake")
        procs.append(fake)
        fake_url = json.loads(fake.stdout.readline())["url"]

        asyncio.run(seed(db_url, a.count))
        port = free_port()
        aiom = start([sys.executable, "-m", "bot.cli", "serve"],
                     env_for(DATABASE_URL=db_url, AIOM_TEAMS_ANONYMOUS="1", AIOM_PORT=str(port),
                             AIOM_LOG_LEVEL="ERROR"), "aiom")
        procs.append(aiom)
        aiom_url = f"http://127.0.0.1:{port}/api/messages"
        asyncio.run(wait_http(f"http://127.0.0.1:{port}/healthz"))
        print(f"set-up: {a.count} owners open their scorecard …", flush=True)
        clicks = asyncio.run(open_scorecards(aiom_url, fake_url, a.count, a.concurrency))
        print("aiom: burst of card answers …", flush=True)
        aiom_res = summary(drive(aiom_url, clicks, a.concurrency))
        paced = None
        if not a.skip_paced:
            rate = 0.8 * aiom_res["turns_per_s"]
            print(f"aiom: {a.count} more card answers at {rate:.0f}/s (80 % of peak) …", flush=True)
            second = asyncio.run(next_clicks(fake_url, clicks))
            paced = summary(drive(aiom_url, second, a.concurrency * 4, rate=rate))
            paced["rate"] = rate
        aiom_rss = peak_rss_mb(aiom.pid)
        stop(aiom)

        peer_res, peer_rss = run_peer(fake_url, a.count, a.concurrency, procs, pooled=False)
        print("peer with aiom's connector pool: burst of messages …", flush=True)
        pooled_res, pooled_rss = run_peer(fake_url, a.count, a.concurrency, procs, pooled=True)
    finally:
        for proc in reversed(procs):
            stop(proc)

    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": "postgresql" if db_url.startswith("postgres") else "sqlite",
        "count": a.count, "concurrency": a.concurrency,
        "aiom": {**aiom_res, "peak_rss_mb": aiom_rss, "scenario": "card answer (Action.Execute, update in place)"},
        "aiom_at_80pct": paced,
        "peer": {**peer_res, "peak_rss_mb": peer_rss, "scenario": "bare CloudAdapter echo (one reply)"},
        "peer_pooled": {**pooled_res, "peak_rss_mb": pooled_rss,
                        "scenario": "the same echo bot with aiom's pooled connector clients"},
        "ratio": aiom_res["turns_per_s"] / peer_res["turns_per_s"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"teams_burst_{result['database']}"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    table = render(result)
    (RESULTS / f"{name}.md").write_text(table + "\n")
    print(table)
    return 0


def run_peer(fake_url: str, count: int, concurrency: int, procs: list, *, pooled: bool) -> tuple[dict, float]:
    port = free_port()
    cmd = [sys.executable, str(ROOT / "bench" / "teams_echo_peer.py"), "--port", str(port)]
    peer = start(cmd + (["--pooled"] if pooled else []), env_for(), "peer")
    procs.append(peer)
    peer.stdout.readline()
    url = f"http://127.0.0.1:{port}/api/messages"
    asyncio.run(wait_http(f"http://127.0.0.1:{port}/api/messages"))
    drive(url, [activity("message", i, fake_url, text="warm up") for i in range(20)], 4)
    if not pooled:
        print("peer: burst of messages …", flush=True)
    res = summary(drive(url, [activity("message", i, fake_url, text=f"hello {i}") for i in range(count)],
                        concurrency))
    rss = peak_rss_mb(peer.pid)
    stop(peer)
    return res, rss


def render(r: dict) -> str:
    rows = [("aiom, card answer", r["aiom"]), ("bare botbuilder echo", r["peer"]),
            ("echo with aiom's connector pool", r["peer_pooled"])]
    if r.get("aiom_at_80pct"):
        rows.insert(1, (f"aiom at 80 % of peak ({r['aiom_at_80pct']['rate']:.0f}/s)", r["aiom_at_80pct"]))
    lines = [f"Teams burst, {r['count']} activities, concurrency {r['concurrency']}, {r['database']}, "
             f"{r['machine']}, {r['date']}", "",
             "| server | turns/s | p50 ms | p99 ms | errors | peak RSS MB |", "| --- | --- | --- | --- | --- | --- |"]
    for name, x in rows:
        rss = x.get("peak_rss_mb")
        lines.append(f"| {name} | {x['turns_per_s']:.0f} | {x['p50_ms']:.1f} | {x['p99_ms']:.1f} | {x['errors']} | "
                     f"{'' if rss is None else f'{rss:.0f}'} |")
    lines += ["", f"aiom / peer: {r['ratio']:.1f}×"]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        sys.exit(client_main(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
