"""The request scenarios: what is seeded, how the server is warmed, what each timed batch sends, which call at
the fake completes a request, and which rows it writes.

Each scenario owns a range of Slack users (U000000.. at the fake, email user{i}@example.com), so one fake
serves them all; a scenario is run against a fresh `aiom serve` on each database, and against its peers.
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from bench.aiom_server import AiomServer
    from storage.db import Database


class Scenario:
    key = ""
    title = ""
    platform = "slack"           # which platform aiom serves, and which fake it talks to
    effect = ""                  # the call at the fake that completes one request
    effect_words = ""            # ... in words, for the report
    users_per_item = 1           # Slack users the scenario needs per request of a batch
    peers: tuple[str, ...] = ("bolt_default", "bolt_session")

    def __init__(self, n: int, first_user: int = 0, concurrency: int = 64):
        self.n = n
        self.first = first_user
        self.concurrency = concurrency

    def user(self, i: int) -> int:
        return self.first + i

    def members(self) -> dict[str, list[str]]:
        """Review group key -> emails the run's policy adds to that group's members."""
        return {}

    async def seed(self, db_url: str, policy: Path) -> None:
        """Rows the scenario needs before the server starts (the database is migrated already)."""

    def warm(self, server: "AiomServer") -> dict | None:
        """Untimed: bring every user to the point the timed batches start from (returns its figures, if any)."""
        return None

    def batch(self, server: "AiomServer", k: int) -> list[dict]:
        """The k-th timed batch for aiom (0: the burst, 1: the paced run): load-client items."""
        raise NotImplementedError

    def peer_batch(self, service_url: str) -> list[dict]:
        """The same requests for the peers (which answer everything the same way)."""
        raise NotImplementedError

    async def written(self, db: "Database") -> int:
        """Rows the timed batches write, counted so far (checked after each batch)."""
        return 0


def wait_rows(db_url: str, count, target: int, what: str, timeout: float = 120) -> None:
    """Wait until `await count(db)` reaches `target` (aiom writes some rows just after an outgoing call)."""
    from storage.db import Database

    async def run() -> None:
        db = Database(db_url)
        try:
            deadline = time.monotonic() + timeout
            while (seen := await count(db)) < target:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {seen} of {target} {what}")
                await asyncio.sleep(0.1)
        finally:
            await db.dispose()

    asyncio.run(run())


def all_scenarios(n: int, concurrency: int = 64) -> list[Scenario]:
    from bench.scenarios.slack_intake import IntakeAnswer
    from bench.scenarios.slack_review import ReviewDecision
    from bench.scenarios.slack_review_history import ReviewDecisionHistory
    from bench.scenarios.slack_scorecard import ScorecardClick
    from bench.scenarios.teams_card import TeamsCardAnswer

    out, first = [], 0
    for cls in (ScorecardClick, IntakeAnswer, ReviewDecision, ReviewDecisionHistory):
        out.append(cls(n, first, concurrency))
        first += n * cls.users_per_item
    out.append(TeamsCardAnswer(n, 0, concurrency))
    return out


def slack_users(scenarios: list[Scenario]) -> int:
    """How many users the fake Slack workspace needs for these scenarios."""
    return max([s.first + s.n * s.users_per_item for s in scenarios if s.platform == "slack"] + [1])
