"""What the review-group settings stored over the policy file cost each turn: the engine asks for the effective
policy once per turn (one small aggregate read; the policy is rebuilt only when a change shows).

    .venv/bin/python bench/group_settings_check.py [--url sqlite:////tmp/x.db] [--n 2000]

A postgresql:// URL names the server only: the run creates its own database there and drops it afterwards.
Prints the median and p95 of one check with nothing changed (the every-turn cost) and of one rebuild after a
change, in microseconds, inside an open read transaction as the engine runs it, next to a bare SELECT 1 on
the same connection (what any one database round trip costs on this machine at this moment).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conversations.groups import changes  # noqa: E402
from conversations.groups.effective import effective_policy  # noqa: E402
from vocabulary.policy import load_policy  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.types import utcnow  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


async def main(url: str, n: int) -> None:
    db = Database(url)
    await upgrade(db)
    policy = load_policy(None)
    async with db.write() as s:  # three groups changed in chat, as an organisation would have
        for key in ("security", "privacy", "legal"):
            await changes.change(s, policy, key, lambda r, c, k=key: setattr(r, "members", [f"{k}@example.com"]),
                                 now=utcnow(), actor_id=None, actor_label="bench")
    steady, rebuild, base = [], [], []
    async with db.read() as s:
        await effective_policy(s, policy)
        conn = await s.connection()
        for _ in range(n):
            t = time.perf_counter()
            await effective_policy(s, policy)
            steady.append((time.perf_counter() - t) * 1e6)
            t = time.perf_counter()
            await conn.exec_driver_sql("SELECT 1")  # the same machine's cost of any one round trip
            base.append((time.perf_counter() - t) * 1e6)
    for i in range(max(1, n // 20)):
        async with db.write() as s:
            await changes.change(s, policy, "security", lambda r, c, i=i: setattr(r, "members", [f"m{i}@example.com"]),
                                 now=utcnow(), actor_id=None, actor_label="bench")
        async with db.read() as s:
            t = time.perf_counter()
            await effective_policy(s, policy)
            rebuild.append((time.perf_counter() - t) * 1e6)
    await db.dispose()
    print(f"{url.split(':')[0]}: unchanged check median {statistics.median(steady):.0f} us, p95 {pct(steady, .95):.0f} us "
          f"(n={n}); after a change median {statistics.median(rebuild):.0f} us, p95 {pct(rebuild, .95):.0f} us "
          f"(n={len(rebuild)}); a bare SELECT 1 median {statistics.median(base):.0f} us, p95 {pct(base, .95):.0f} us")


async def on_own_postgres_database(url: str, n: int) -> None:
    import uuid

    import asyncpg

    from sqlalchemy.engine import make_url

    u = make_url(url)
    name = f"bench_groups_{uuid.uuid4().hex[:12]}"
    admin = dict(host=u.host, port=u.port or 5432, user=u.username, password=u.password, database=u.database)
    conn = await asyncpg.connect(**admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        await main(u.set(drivername="postgresql", database=name).render_as_string(hide_password=False), n)
    finally:
        conn = await asyncpg.connect(**admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.close()


if __name__ == "__main__":
    a = argparse.ArgumentParser()
    a.add_argument("--url", default=None)
    a.add_argument("--n", type=int, default=2000)
    args = a.parse_args()
    if args.url and args.url.startswith("postgresql"):
        asyncio.run(on_own_postgres_database(args.url, args.n))
    else:
        asyncio.run(main(args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.db", args.n))
