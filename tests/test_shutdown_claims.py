"""A process stopping with outgoing messages claimed hands back the ones it had not started, so another
process sends them at once instead of after the claim's lease; the one under way keeps its claim (it may
have reached the platform) and is never sent twice."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.app import App
from bot.config import load_settings
from vocabulary.messages import Message, Text
from storage.repo import outbox
from storage.tables import Outbox
from tests.support.harness import RecordingDeliverer


class StuckDeliverer(RecordingDeliverer):
    """The remote platform answering the first post only when told to."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def post(self, channel, message, thread_id=""):
        self.started.set()
        await self.release.wait()
        return await super().post(channel, message, thread_id)


async def _app(db_url, policy, clock, deliverer) -> App:
    app = App.create(load_settings({"DATABASE_URL": db_url}, env_file=None), policy=policy, clock=clock)
    app.add_deliverer(deliverer)
    await app.start(migrate=False, background=True, scheduler=False)
    return app


async def test_unstarted_claims_go_back_to_the_queue_on_stop(db_url, policy, clock):
    stuck = StuckDeliverer()
    first = await _app(db_url, policy, clock, stuck)
    async with first.db.write() as s:
        for i in range(3):
            await outbox.enqueue(s, dedupe_key=f"n:{i}", platform="console", target="#general",
                                 message=Message([Text([f"Note {i}"])]).to_dict(), now=clock())
    first.dispatcher.wake()
    await asyncio.wait_for(stuck.started.wait(), 10)  # the first of its batch is with the platform
    await first.stop(grace=0.5)  # the platform never answers within the grace period

    second_out = RecordingDeliverer()
    second = await _app(db_url, policy, clock, second_out)
    try:
        await second.dispatcher.drain()  # now, not after the 120 s lease
        assert sorted(m.fallback for _, m, _ in second_out.posts) == ["Note 1", "Note 2"]
        async with second.db.read() as s:
            rows = {r.dedupe_key: r for r in (await s.execute(select(Outbox))).scalars()}
        assert rows["n:0"].status == "sending"  # under way when the first process stopped: left to its lease
        assert {rows["n:1"].status, rows["n:2"].status} == {"sent"}
        assert rows["n:1"].attempts == rows["n:2"].attempts == 1  # handing back did not count as a try
    finally:
        await second.stop()
