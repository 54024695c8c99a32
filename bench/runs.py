"""Running one scenario: against a peer (a bare framework), or against `aiom serve` on one database."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bench.aiom_server import AiomServer
from bench.common import env_for, first_line_json, free_port, peak_rss_mb, start, stop, wait_http
from bench.fakes import Fake
from bench.measure import timed
from bench.scenarios import Scenario

PEERS = {
    "bolt_default": ("bare slack-bolt, default AsyncWebClient", ["bench.peers.bolt_peer"], []),
    "bolt_session": ("bare slack-bolt, one reused aiohttp session", ["bench.peers.bolt_peer"], ["--reuse-session"]),
    "echo": ("bare botbuilder CloudAdapter echo bot, unmodified", ["bench.peers.teams_echo"], []),
    "echo_pooled": ("the same echo bot with aiom's pooled connector clients", ["bench.peers.teams_echo"],
                    ["--pooled"]),
}
PEER_WARM_UP = 20


def run_peer(kind: str, sc: Scenario, fake: Fake, log: Path) -> dict:
    words, module, flags = PEERS[kind]
    port = free_port()
    cmd = [sys.executable, "-m", *module, "--port", str(port), *flags]
    if kind.startswith("bolt"):
        cmd += ["--api-url", fake.url]
    proc = start(cmd, env_for(), log=log)
    try:
        first_line_json(proc, words)
        url = f"http://127.0.0.1:{port}/" + ("slack/events" if kind.startswith("bolt") else "api/messages")
        asyncio.run(wait_http(url))
        items = sc.peer_batch(fake.url)
        effect = getattr(sc, "peer_effect", None) or sc.effect
        timed("warm-up", url, items[:PEER_WARM_UP], fake, effect, proc.pid, concurrency=4)
        out = timed("burst", url, items, fake, effect, proc.pid, concurrency=sc.concurrency)
        out["peak_rss_mb"] = peak_rss_mb(proc.pid)
        out["server"] = words
        return out
    finally:
        stop(proc)


def rows(sc: Scenario, db_url: str) -> int:
    from storage.db import Database

    async def run() -> int:
        db = Database(db_url)
        try:
            return await sc.written(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def run_aiom(sc: Scenario, db_url: str, fake: Fake, policy: Path, folder: Path, *, paced: bool = True,
             profile: Path | None = None) -> dict:
    """Seed, start a fresh `aiom serve`, warm it up, time the burst, then a run offered at 80 % of the rate the
    burst sustained (the lower of its requests/s and its completed effects/s)."""
    asyncio.run(sc.seed(db_url, policy))
    calls_before = fake.stats().get("counts", {})
    server = AiomServer(db_url, fake, sc.platform, policy=policy, log=folder / f"aiom-{sc.key}.log",
                        profile=profile).start()
    out: dict = {}
    try:
        out["warm_up"] = sc.warm(server)
        before = rows(sc, db_url)
        out["burst"] = timed("burst", server.url, sc.batch(server, 0), fake, sc.effect, server.pid,
                             concurrency=sc.concurrency)
        out["burst"]["rows_written"] = rows(sc, db_url) - before
        if paced:
            rate = 0.8 * min(out["burst"]["requests_per_s"], out["burst"]["effects_per_s"])
            items = sc.batch(server, 1)
            before = rows(sc, db_url)
            out["paced"] = timed(f"paced at {rate:.0f}/s (80 % of the burst's sustained rate)", server.url, items,
                                 fake, sc.effect, server.pid, concurrency=sc.concurrency * 4, rate=rate)
            out["paced"]["rows_written"] = rows(sc, db_url) - before
        after = fake.stats().get("counts", {})
        out["calls_at_fake"] = {k: v - calls_before.get(k, 0) for k, v in after.items() if v > calls_before.get(k, 0)}
    finally:
        out.update(server.stop())
    return out
