"""Composition root: settings, database, policy, engine and delivery, wired once at start-up."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from bot.config import Settings
from conversations.engine import Engine
from conversations.policy import Policy, load_policy
from conversations.registry import build_engine
from notifications.delivery import Deliverer
from notifications.dispatcher import Dispatcher
from storage.db import Database
from storage.migrate import upgrade
from storage.sync import sync_review_groups
from storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    policy: Policy
    db: Database
    clock: Callable = utcnow
    deliverers: dict[str, Deliverer] = field(default_factory=dict)
    engine: Engine | None = None
    dispatcher: Dispatcher | None = None
    scheduler: Any = None  # notifications.scheduler.Scheduler when started
    # platform -> replay of an unfinished inbound journal entry (bot/journal.py), set by the adapters
    replay_handlers: dict[str, Callable] = field(default_factory=dict)
    replayer: Any = None
    _tasks: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    def create(cls, settings: Settings, *, clock: Callable = utcnow, policy: Policy | None = None) -> "App":
        return cls(settings=settings, policy=policy or load_policy(settings.AIOM_POLICY),
                   db=Database(settings.DATABASE_URL), clock=clock)

    def add_deliverer(self, deliverer: Deliverer) -> None:
        self.deliverers[deliverer.platform] = deliverer

    async def start(self, *, migrate: bool = True, background: bool = True, scheduler: bool | None = None) -> None:
        """Migrate, sync the policy's review groups, build the engine; start the dispatcher task and the scheduler
        (reminder sweeps and digests; by default with the background tasks, `scheduler=True` to force it)."""
        if migrate:
            await upgrade(self.db)
        async with self.db.write() as s:
            await sync_review_groups(s, self.policy, now=self.clock())
        self.dispatcher = Dispatcher(self.db, self.deliverers, clock=self.clock,
                                     lease_seconds=self.policy.reminders.claim_seconds)
        self.engine = build_engine(self.db, self.policy, platforms=set(self.deliverers), clock=self.clock,
                                   on_outbox=self.dispatcher.wake)
        from bot.journal import lease_of  # noqa: PLC0415

        self.engine.reply_lease = lease_of(self)
        if background:
            self._tasks.append(asyncio.create_task(self.dispatcher.run_forever(), name="outbox-dispatcher"))
        if self.replay_handlers:
            from bot.journal import Replayer  # noqa: PLC0415

            self.replayer = Replayer(self, self.replay_handlers)
            if background:
                self._tasks.append(asyncio.create_task(self.replayer.run_forever(), name="inbound-replay"))
        if scheduler if scheduler is not None else background:
            from notifications.scheduler import Scheduler

            self.scheduler = Scheduler(self, drain=not background)
            self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        if self.dispatcher is not None:
            self.dispatcher.stop()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks.clear()
        await self.db.dispose()
