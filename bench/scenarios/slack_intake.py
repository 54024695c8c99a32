"""A DM in the middle of intake: N people each answer the free-text question aiom asked them.

Set-up (untimed): each of N Slack users DMs "propose"; aiom looks them up (users.info, once), links them to a
person, starts the intake flow and asks its first question ("What should we call this idea?"), whose message
id it tracks. The burst: each sends the idea's name (a `message` event, acknowledged at once); aiom saves it
in the flow state (one transaction), replaces the answered prompt and asks the next question (one
chat.postMessage: the effect counted at the fake). The paced run answers that next question (the problem).
"""
from __future__ import annotations

import time

from bench.loadgen import event
from bench.measure import timed
from bench.scenarios import Scenario, wait_rows
from bench.scenarios.slack_scorecard import TEAM, user

BOT_USER = "UBOT"  # tests.support.fake_slack's bot user
# What each batch answers, and the step the flow is at once it is saved.
ANSWERS = ["Bench idea {i}: claims triage assistant",
           "Claims handlers spend two hours a day sorting new claims for bench user {i}."]
STEP_AFTER = ["problem", "outcome"]


def dm_event(i: int, text: str, n: int) -> dict:
    """A DM to the bot as Slack sends it (an event_callback envelope)."""
    uid = user(i)
    ts = f"{1_700_000_000 + n}.{i:06d}"
    ev = {"type": "message", "channel": "D" + uid[1:], "user": uid, "text": text, "ts": ts, "channel_type": "im",
          "team": TEAM, "event_ts": ts}
    return {"token": "legacy", "team_id": TEAM, "api_app_id": "AAIOM", "type": "event_callback", "event": ev,
            "event_id": f"Ev{n:02d}{i:08d}", "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}


class IntakeAnswer(Scenario):
    key = "slack_intake"
    title = "Slack DM in the middle of intake"
    effect = "chat.postMessage"
    effect_words = "answer saved in the flow state and the next question posted (chat.postMessage)"

    def warm(self, server) -> dict:
        out = timed('set-up ("propose" by DM, first contact per user)', server.url,
                    [event(dm_event(self.user(i), "propose", 1)) for i in range(self.n)], server.fake, self.effect,
                    server.pid, concurrency=self.concurrency)
        wait_rows(server.db_url, self._prompted, self.n, "intake prompts tracked")
        return out

    def batch(self, server, k: int) -> list[dict]:
        return [event(dm_event(self.user(i), ANSWERS[k].format(i=i), 2 + k)) for i in range(self.n)]

    def peer_batch(self, service_url: str) -> list[dict]:
        return [event(dm_event(self.user(i), ANSWERS[0].format(i=i), 9)) for i in range(self.n)]

    async def _prompted(self, db) -> int:
        from sqlalchemy import func, select

        from storage.tables import ConversationState as CS

        async with db.read() as s:
            q = select(func.count()).select_from(CS).where(CS.flow == "intake", CS.step == "title",
                                                           CS.prompt_ref.is_not(None))
            return (await s.execute(q)).scalar_one()

    async def written(self, db) -> int:
        """Flow states moved past the answered question (by the burst, then by the paced run)."""
        from sqlalchemy import func, select

        from storage.tables import ConversationState as CS

        async with db.read() as s:
            q = select(CS.step, func.count()).where(CS.flow == "intake").group_by(CS.step)
            by_step = dict((await s.execute(q)).all())
        return by_step.get(STEP_AFTER[0], 0) + 2 * by_step.get(STEP_AFTER[1], 0)

