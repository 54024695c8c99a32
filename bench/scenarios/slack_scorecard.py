"""Slack scorecard answer click, the hottest path: `block_actions` on a pilot-selection scorecard.

N owners (one per use case, each a Slack user with a verified email) have a pilot-selection scorecard
open. The untimed warm-up answers area 1: each owner's first click, where aiom looks the Slack user up
once (users.info) and links them to their person, as the first click of a Monday would. The burst answers
area 2 and the paced run area 3: each click is acknowledged, then saves the answer (one transaction) and
updates the scorecard message in place (one chat.update: the effect counted at the fake).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from bench.fakes import Fake
from bench.loadgen import interaction
from bench.measure import timed
from bench.scenarios import Scenario

TEAM = "T0HOME"


def user(i: int) -> str:
    return f"U{i:06d}"  # the fake knows U000000.. with email user{i}@example.com


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


async def seed(database_url: str, count: int, first: int = 0) -> list[tuple[int, list[str]]]:
    """N use cases, each owned by one Slack user, each with a pilot-selection scorecard started just now (so no
    reminder falls due while the benchmark runs)."""
    from vocabulary.policy import load_policy
    from vocabulary.rules import scoring
    from storage.db import Database
    from storage.repo import instruments
    from storage.types import utcnow
    from tests.support import factories

    keys = scoring.item_keys(load_policy(None), scoring.PILOT_SELECTION)
    db = Database(database_url)
    out = []
    try:
        async with db.write() as s:
            for i in range(first, first + count):
                uc = await factories.use_case(s, title=f"Bench use case {i}", business_owner=f"user{i}@example.com",
                                              delivery_owner=f"bench-d-{i}@example.com", proposer="zoe@example.com",
                                              now=utcnow())
                sc = await instruments.start(s, use_case_id=uc.id, instrument=scoring.PILOT_SELECTION, attempt=1,
                                             started_by_id=uc.business_owner_id, at=uc.created_at)
                out.append((sc.id, keys))
    finally:
        await db.dispose()
    return out


class ScorecardClick(Scenario):
    key = "slack_scorecard"
    title = "Slack scorecard answer click"
    effect = "chat.update"
    effect_words = "answer saved and the scorecard message updated in place (chat.update)"

    async def seed(self, db_url: str, policy: Path) -> None:
        self.cards = await seed(db_url, self.n, self.first)

    def clicks(self, area: int) -> list[dict]:
        return [interaction(click_payload(self.user(i), sc, keys[area])) for i, (sc, keys) in enumerate(self.cards)]

    def warm(self, server) -> dict:
        fake: Fake = server.fake
        return timed("warm-up (area 1, first click per user)", server.url, self.clicks(0), fake, self.effect,
                     server.pid, concurrency=self.concurrency)

    def batch(self, server, k: int) -> list[dict]:
        return self.clicks(k + 1)

    def peer_batch(self, service_url: str) -> list[dict]:
        return [interaction(click_payload(self.user(i), i + 1, "problem_clarity")) for i in range(self.n)]

    async def written(self, db) -> int:
        from sqlalchemy import func, select

        from storage.tables import ScorecardAnswer

        async with db.read() as s:
            return (await s.execute(select(func.count()).select_from(ScorecardAnswer))).scalar_one()
