"""Per-replica rate budget. Slack's pace (about one message a second per channel) and Teams' per-conversation
limits are kept by each process on its own; nothing is shared between processes. With several processes
sending (N `aiom serve` replicas plus the workers), set AIOM_PACE_PROCESSES to how many send at once: each
then keeps to 1/N of every limit, so together they stay within it. Left at 1, a channel may see up to N
times the pace; Slack and Teams then answer 429, which aiom honours (Retry-After) and retries, losing
nothing but adding delay."""
from __future__ import annotations

import os


def processes() -> int:
    raw = os.environ.get("AIOM_PACE_PROCESSES", "").strip()
    return int(raw) if raw.isdigit() and int(raw) >= 1 else 1


def share(limits: tuple[tuple[float, int], ...]) -> tuple[tuple[float, int], ...]:
    """Sliding-window limits (seconds, calls) divided among the sending processes (at least one call each)."""
    n = processes()
    return tuple((seconds, max(1, calls // n)) for seconds, calls in limits)
