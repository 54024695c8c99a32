"""One timed batch: the load client sends it, then the clock runs until the fake has seen every effect.

Reported: requests/s and p50 / p99 / max milliseconds from request to response (for Slack: the
acknowledgement, the 3-second clock), completed effects/s (the effect's calls counted at the fake, from the
first request until the last effect arrived: the backlog is drained before the clock stops), and the server's
CPU time per request.
"""
from __future__ import annotations

from bench.common import cpu_seconds, summary
from bench.fakes import Fake
from bench.loadgen import drive


def drain_timeout(n: int) -> float:
    """How long the effects of `n` requests may take to arrive (bounded: at least 5 effects/s, plus a minute)."""
    return 60 + n / 5


def timed(label: str, url: str, items: list[dict], fake: Fake, effect: str, pid: int, *, concurrency: int,
          rate: float | None = None) -> dict:
    before = fake.count(effect)
    cpu = cpu_seconds(pid)
    res = drive(url, items, concurrency, rate)
    out = summary(res)
    seconds, seen = fake.wait_count(effect, before + len(items), res["started"], drain_timeout(len(items)))
    out["effects"] = seen - before
    out["effects_per_s"] = out["effects"] / seconds if seconds > 0 else 0.0
    out["effects_seconds"] = seconds
    out["drained"] = out["effects"] >= len(items)
    out["server_cpu_ms_per_request"] = (cpu_seconds(pid) - cpu) * 1000 / max(1, len(items))
    if rate:
        out["offered_per_s"] = rate
    undrained = "" if out["drained"] else f" (only {out['effects']} of {len(items)} effects arrived)"
    print(f"    {label}: {out['requests_per_s']:.0f} req/s, p50 {out['p50_ms']:.1f} ms, p99 {out['p99_ms']:.1f} ms, "
          f"{out['effects_per_s']:.0f} effects/s{undrained}, server CPU {out['server_cpu_ms_per_request']:.1f} "
          f"ms/request, {out['errors']} errors", flush=True)
    return out
