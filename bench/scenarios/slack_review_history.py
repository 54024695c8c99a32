"""The review decision click of `slack_review` on use cases with a history: each of the 2N use cases has 500
earlier audit entries, 50 conditions (open, from the risk group's review of the same gate) and 20 live risks
before the burst (bench/review_history.py). The same click, the same effect; compared with `slack_review`'s
figures (fresh use cases) in the same run, its server CPU per click shows whether a decision's cost grows with
the use case's history (the target: within 1.5x).
"""
from __future__ import annotations

from bench.review_history import add_conditions, add_history
from bench.scenarios.slack_review import GROUP, ReviewDecision


class ReviewDecisionHistory(ReviewDecision):
    key = "slack_review_history"
    title = "Slack review decision click, use case with history"
    peers: tuple[str, ...] = ()  # the same click as slack_review: compared with its aiom figures, not a peer

    async def before_gate(self, session, uc, now) -> None:
        await add_history(session, uc, now)

    async def after_gate(self, session, uc, reviews, now) -> None:
        await add_conditions(session, uc, next(r.id for r in reviews if r.group_key != GROUP), now)
