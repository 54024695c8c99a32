"""Teams card answer: `Action.Execute` on "3 · …" of a pilot-selection scorecard card, against the fake
connector.

N owners (one per use case, each in their own 1:1 chat; the fake's synthetic roster gives 29:bench-i the
email bench-i@example.com) open their scorecard by typing `score UC-n pilot` (untimed set-up, which also
makes each owner's first contact). The burst: N clicks on "3 · …", each saving the answer and updating the
card in place (one PUT to the connector: the effect counted at the fake); the paced run clicks the next
question on each card as it now stands. The peer is the bare botbuilder echo bot (bench/peers/teams_echo.py):
N messages, each answered with one reply (one POST to the connector).
"""
from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from bench.fake_teams import REPLY, UPDATE
from bench.loadgen import activity as item
from bench.scenarios import Scenario

TENANT = "00000000-0000-0000-0000-00000000beef"
BOT = {"id": "28:aiom-bench", "name": "aiom"}


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
    from tests.support.fake_connector import card_actions

    found = [a["data"] for a in card_actions(card)
             if a.get("type") == "Action.Execute" and str(a.get("title", "")).startswith(prefix)]
    return found[0] if found else None


async def seed(database_url: str, count: int) -> list[int]:
    """N use cases, owned by bench-0 .. bench-(N-1), created just now (no reminder falls due); their ids."""
    from storage.db import Database
    from storage.types import utcnow
    from tests.support import factories

    db = Database(database_url)
    try:
        async with db.write() as s:
            return [(await factories.use_case(s, title=f"Bench use case {i}", business_owner=f"bench-{i}@example.com",
                                              delivery_owner=f"bench-d-{i}@example.com",
                                              proposer="zoe@example.com", now=utcnow())).id for i in range(count)]
    finally:
        await db.dispose()


async def current_click(http, fake_url: str, i: int) -> dict:
    """A click on "3 · …" of the newest card in owner i's chat, as that card now stands."""
    async with http.get(f"{fake_url}_fake/cards", params={"conversation": conversation_of(i)["id"]}) as r:
        card = (await r.json())[-1]
    data = first_answer(card["activity"]["attachments"][0]["content"])
    if data is None:
        raise RuntimeError(f"no answer button on the card in {conversation_of(i)['id']}: {card}")
    return click(i, fake_url, card["id"], data)


async def open_scorecards(aiom_url: str, fake_url: str, uc_ids: list[int], concurrency: int) -> list[dict]:
    """Each owner types `score UC-n pilot` (untimed); returns one click on "3 · …" per owner."""
    import aiohttp

    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as http:
        async def setup(i: int, uc_id: int) -> dict:
            async with sem:
                act = activity("message", i, fake_url, text=f"score UC-{uc_id} pilot")
                async with http.post(aiom_url, json=act) as r:
                    if r.status != 200:
                        raise RuntimeError(f"score UC-{uc_id}: HTTP {r.status} {await r.text()}")
                return await current_click(http, fake_url, i)

        return list(await asyncio.gather(*(setup(i, uc) for i, uc in enumerate(uc_ids))))


async def next_clicks(fake_url: str, count: int) -> list[dict]:
    """The next click for each owner, from the card as it now stands (updated in place by the burst)."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        return [await current_click(http, fake_url, i) for i in range(count)]


class TeamsCardAnswer(Scenario):
    key = "teams_card"
    title = "Teams card answer"
    platform = "teams"
    effect = UPDATE
    peer_effect = REPLY
    effect_words = "answer saved and the card updated in place (a PUT to the connector)"
    peers = ("echo", "echo_pooled")

    async def seed(self, db_url: str, policy: Path) -> None:
        self.uc_ids = await seed(db_url, self.n)

    def warm(self, server) -> None:
        self.first_clicks = asyncio.run(open_scorecards(server.url, server.fake.url, self.uc_ids, self.concurrency))

    def batch(self, server, k: int) -> list[dict]:
        clicks = self.first_clicks if k == 0 else asyncio.run(next_clicks(server.fake.url, self.n))
        return [item(c) for c in clicks]

    def peer_batch(self, service_url: str) -> list[dict]:
        return [item(activity("message", i, service_url, text=f"hello {i}")) for i in range(self.n)]

    async def written(self, db) -> int:
        from sqlalchemy import func, select

        from storage.tables import ScorecardAnswer

        async with db.read() as s:
            return (await s.execute(select(func.count()).select_from(ScorecardAnswer))).scalar_one()
