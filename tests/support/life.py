"""Helpers for the whole-life tests on Slack and Teams (tests/test_life_slack.py, tests/test_life_teams.py) and
the Slack review tests: plain channel messages, the audit trail of a use case, instruments filled at storage
level between gates."""
from __future__ import annotations

from sqlalchemy import select

from storage import audit
from storage.repo import use_cases
from storage.tables import AuditEntry, Condition, ReviewRequest, UseCase
from tests.support.fake_slack import HOME_TEAM
from tests.support.reviewing import make_ready


async def slack_thread_reply(world, user: str, channel: str, text: str, thread_ts: str) -> int:
    """A plain reply in a channel thread (no @mention), as Slack delivers it with the message.channels event."""
    event = {"type": "message", "channel": channel, "user": user, "text": text, "ts": world._ts(),
             "thread_ts": thread_ts, "channel_type": "channel", "team": HOME_TEAM}
    return await world.event(event)


async def ready(app, uc_id: int, **kw) -> None:
    """Supply what the gate out of the use case's current stage needs (tests/support/reviewing.make_ready)."""
    async with app.db.write() as s:
        await make_ready(s, app.policy, await use_cases.get(s, uc_id), app.clock(), **kw)


async def the_use_case(app) -> UseCase:
    async with app.db.read() as s:
        return (await s.execute(select(UseCase).order_by(UseCase.id.desc()).limit(1))).scalar_one()


async def review_id(app, uc_id: int, group: str) -> int:
    async with app.db.read() as s:
        q = (select(ReviewRequest.id).where(ReviewRequest.use_case_id == uc_id, ReviewRequest.group_key == group)
             .order_by(ReviewRequest.id.desc()).limit(1))
        return (await s.execute(q)).scalar_one()


async def conditions(app, status: str = "open") -> list[Condition]:
    async with app.db.read() as s:
        return list((await s.execute(select(Condition).where(Condition.status == status)
                                     .order_by(Condition.id))).scalars().all())


async def trail(app, uc_id: int) -> list[AuditEntry]:
    """The use case's audit entries in chain order, after checking the whole chain is intact."""
    async with app.db.read() as s:
        _, problems = await audit.verify(s)
        assert problems == [], [str(p) for p in problems]
        return [e async for e in audit.entries(s, use_case_id=uc_id)]


async def stages(app, uc_id: int) -> list[str]:
    async with app.db.read() as s:
        return [h.to_stage for h in await use_cases.stage_history(s, uc_id)]
