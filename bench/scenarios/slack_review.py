"""A review decision click: N reviewers each approve a different pending review on its card.

Seeded with aiom's own gate code (`conversations.reviews.gating.open_gate`, in one transaction): 2N use cases
of medium tier at exploration, each with its gate open (a product review and a risk review, cards posted to
#product and #risk); the posted cards are then marked delivered as the dispatcher would (outbox row sent,
message ref remembered), without calling the fake. The policy (written by the run) makes the N reviewers
members of the product group. Untimed warm-up: each reviewer DMs "help" (the users.info look-up and the link
to their person that a first contact makes). The burst: reviewer i clicks Approve on the card of review i;
aiom re-checks their right, records the decision (the product part closes; the risk part keeps the gate
open), updates the card in place through the outbox (chat.update: the effect counted at the fake), tells
the owner by DM and confirms to the reviewer with an ephemeral message. The paced run: each reviewer
approves a second review.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from bench.loadgen import event, interaction
from bench.measure import timed
from bench.scenarios import Scenario
from bench.scenarios.slack_intake import dm_event
from bench.scenarios.slack_scorecard import TEAM, user

GROUP, CHANNEL = "product", "CPRODUCT"  # the group the reviewers join, and its channel in the test policy


def approve_click(i: int, review_id: int, ts: str) -> dict:
    uid = user(i)
    return {"type": "block_actions", "api_app_id": "AAIOM", "token": "legacy", "team": {"id": TEAM},
            "user": {"id": uid, "username": f"user{i}", "name": f"user{i}", "team_id": TEAM},
            "container": {"type": "message", "message_ts": ts, "channel_id": CHANNEL, "is_ephemeral": False},
            "channel": {"id": CHANNEL, "name": "aiom-product"},
            "message": {"type": "message", "ts": ts, "text": "Review", "blocks": []},
            "trigger_id": f"trig.r{review_id}", "response_url": "http://127.0.0.1:9/unused",
            "actions": [{"type": "button", "action_id": "review.approve#0", "block_id": "b",
                         "text": {"type": "plain_text", "text": "Approve"},
                         "value": json.dumps({"r": review_id}, separators=(",", ":")),
                         "action_ts": f"{time.time():.6f}"}]}


async def mark_delivered(session) -> dict[str, str]:
    """Every pending outbox row sent, and each posted card's message remembered (what the dispatcher does after
    a post); returns purpose -> message ts for the product channel."""
    from sqlalchemy import select, update

    from storage.repo import message_refs
    from storage.tables import Outbox
    from storage.types import utcnow

    rows = (await session.execute(select(Outbox).where(Outbox.status == "pending"))).scalars().all()
    out = {}
    for row in rows:
        if row.kind == "post" and row.ref_purpose:
            ts = f"1710000000.{row.id:06d}"
            await message_refs.remember(session, platform=row.platform, purpose=row.ref_purpose, channel=row.target,
                                        message_id=ts)
            if row.target == CHANNEL:
                out[row.ref_purpose] = ts
    await session.execute(update(Outbox).where(Outbox.status == "pending")
                          .values(status="sent", sent_at=utcnow(), attempts=1))
    return out


class ReviewDecision(Scenario):
    key = "slack_review"
    title = "Slack review decision click"
    effect = "chat.update"
    effect_words = "decision recorded and the review card updated in place (chat.update, through the outbox)"
    users_per_item = 2  # a reviewer and the use cases' owner

    def owner(self, i: int) -> int:
        return self.first + self.n + i

    def members(self) -> dict[str, list[str]]:
        return {GROUP: [f"user{self.user(i)}@example.com" for i in range(self.n)]}

    async def seed(self, db_url: str, policy: Path) -> None:
        from vocabulary.policy import load_policy
        from conversations.reviews import gating
        from conversations.context import Ctx
        from storage.db import Database
        from storage.types import utcnow
        from tests.support import factories

        pol = load_policy(policy)
        gate, now = pol.gate_from("exploration"), utcnow()
        db = Database(db_url)
        ids: list[list[int]] = [[], []]
        try:
            async with db.write() as s:
                for i in range(self.n):
                    email = f"user{self.owner(i)}@example.com"
                    for k in (0, 1):
                        uc = await factories.use_case(s, title=f"Bench review {i}.{k}", proposer=email,
                                                      business_owner=email, delivery_owner=email, tier="medium",
                                                      now=now)
                        await self.before_gate(s, uc, now)
                        acting = Ctx(session=s, policy=pol, platforms={"slack"}, now=now,
                                        person_id=uc.business_owner_id, label=email, platform="slack")
                        _, rows = await gating.open_gate(acting, uc, gate)
                        await self.after_gate(s, uc, rows, now)
                        ids[k].append(next(r.id for r in rows if r.group_key == GROUP))
                cards = await mark_delivered(s)
        finally:
            await db.dispose()
        self.cards = [[(rid, cards[f"review:{rid}"]) for rid in batch] for batch in ids]

    async def before_gate(self, session, uc, now) -> None:
        """Rows a use case has before its gate opens (none: a fresh use case)."""

    async def after_gate(self, session, uc, reviews, now) -> None:
        """Rows added once its gate is open (none: a fresh use case)."""

    def warm(self, server) -> dict:
        return timed('warm-up ("help" by DM, first contact per reviewer)', server.url,
                     [event(dm_event(self.user(i), "help", 1)) for i in range(self.n)], server.fake,
                     "chat.postMessage", server.pid, concurrency=self.concurrency)

    def batch(self, server, k: int) -> list[dict]:
        return [interaction(approve_click(self.user(i), rid, ts)) for i, (rid, ts) in enumerate(self.cards[k])]

    def peer_batch(self, service_url: str) -> list[dict]:
        return [interaction(approve_click(self.user(i), i + 1, f"1710000000.{i:06d}")) for i in range(self.n)]

    async def written(self, db) -> int:
        from sqlalchemy import func, select

        from storage.tables import ReviewDecision as RD

        async with db.read() as s:
            return (await s.execute(select(func.count()).select_from(RD))).scalar_one()
