"""The load generator: a bounded asyncio client in its own process (64 connections by default).

    python -m bench.loadgen --url URL --file ITEMS.json [--concurrency 64] [--rate R] [--secret S]

ITEMS.json is a list of `{"sign": "interaction" | "event" | null, "payload": {...}}`. Slack items are signed
exactly as Slack signs them (`v0:timestamp:body`, HMAC-SHA256 with the signing secret) just before they are
sent; others are POSTed as JSON (Bot Framework activities). Without --rate every item is sent as fast as the
connections allow; with --rate R they are offered at R per second (open loop: a slow answer does not slow
the offer). Prints one JSON line: n, seconds, errors, the latency of each request (send to response), and
the wall-clock time the run started.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, SECRET, env_for


def interaction(payload: dict) -> dict:
    return {"sign": "interaction", "payload": payload}


def event(envelope: dict) -> dict:
    return {"sign": "event", "payload": envelope}


def activity(act: dict) -> dict:
    return {"sign": None, "payload": act}


async def run_client(url: str, items: list[dict], concurrency: int, rate: float | None, secret: str) -> dict:
    import aiohttp

    from tests.support.slack_signing import event_request, interaction_request

    signers = {"interaction": interaction_request, "event": event_request}
    latencies: list[float] = []
    errors = 0
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        async def one(item: dict) -> None:
            nonlocal errors
            sign = signers.get(item.get("sign") or "")
            if sign is not None:
                body, headers = sign(item["payload"], secret=secret)
                kw = {"data": body.encode(), "headers": headers}
            else:
                kw = {"json": item["payload"]}
            async with sem:
                t = time.perf_counter()
                try:
                    async with http.post(url, **kw) as r:
                        await r.read()
                        if r.status >= 300:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append(time.perf_counter() - t)

        wall = time.time()
        begin = time.perf_counter()
        if rate:
            tasks = []
            for n, item in enumerate(items):
                delay = begin + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(item)))
            await asyncio.gather(*tasks)
        else:
            await asyncio.gather(*(one(i) for i in items))
        elapsed = time.perf_counter() - begin
    return {"n": len(items), "seconds": elapsed, "errors": errors, "latencies": latencies, "started": wall}


def drive(url: str, items: list[dict], concurrency: int = 64, rate: float | None = None, *, secret: str = SECRET,
          timeout: float = 1800) -> dict:
    """Run the load client in its own process and return what it measured."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(items, f)
    try:
        cmd = [sys.executable, "-m", "bench.loadgen", "--url", url, "--file", f.name,
               "--concurrency", str(concurrency), "--secret", secret]
        if rate:
            cmd += ["--rate", f"{rate:.3f}"]
        out = subprocess.run(cmd, env=env_for(), cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"load client failed: {out.stderr[-2000:]}")
        return json.loads(out.stdout)
    finally:
        os.unlink(f.name)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="bounded asyncio load client")
    p.add_argument("--url", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--rate", type=float, default=None)
    p.add_argument("--secret", default=SECRET)
    a = p.parse_args(argv)
    items = json.loads(Path(a.file).read_text())
    print(json.dumps(asyncio.run(run_client(a.url, items, a.concurrency, a.rate, a.secret))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
