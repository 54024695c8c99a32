"""Composition root: settings, database, policy, engine and delivery, wired once at start-up."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from bot.config import Settings
from conversations.engine import Engine
from conversations.groups.decidability import undecidable_groups
from conversations.groups.effective import effective_policy
from conversations.policy import Policy, load_policy
from conversations.registry import build_engine
from notifications.delivery import Deliverer
from notifications.dispatcher import Dispatcher
from storage.db import Database
from storage.migrate import upgrade
from storage.sync import sync_review_groups
from storage.types import utcnow

log = logging.getLogger(__name__)


def with_admins(policy: Policy, emails: list[str]) -> Policy:
    """The policy with these people added to its admins (who manage review groups in chat)."""
    admins = list(dict.fromkeys([*(e.strip().lower() for e in policy.admins), *(e.strip().lower() for e in emails)]))
    return policy.model_copy(update={"admins": admins})


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
    # Platform -> where review-group memberships are read (conversations/groups/sources.py), set by the adapters.
    group_sources: dict[str, Any] = field(default_factory=dict)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    def create(cls, settings: Settings, *, clock: Callable = utcnow, policy: Policy | None = None) -> "App":
        policy = policy or load_policy(settings.AIOM_POLICY)
        if settings.admins:  # AIOM_ADMINS adds to the policy's admins
            policy = with_admins(policy, settings.admins)
        return cls(settings=settings, policy=policy, db=Database(settings.DATABASE_URL), clock=clock)

    def add_deliverer(self, deliverer: Deliverer) -> None:
        self.deliverers[deliverer.platform] = deliverer

    async def start(self, *, migrate: bool = True, background: bool = True, scheduler: bool | None = None) -> None:
        """Migrate, sync the policy's review groups, build the engine; start the dispatcher task and the scheduler
        (reminder sweeps and digests; by default with the background tasks, `scheduler=True` to force it)."""
        if migrate:
            await upgrade(self.db)
        async with self.db.write() as s:
            await sync_review_groups(s, self.policy, now=self.clock())
            effective = await effective_policy(s, self.policy)
        bad = undecidable_groups(effective)
        if bad:  # named at every start, so nobody finds out from a review that sits with nobody
            log.warning("%d review group%s cannot decide a review: %s. An admin can add members in chat "
                        "(group <key> add alice@example.com); type “groups” to see them all.", len(bad),
                        "s" if len(bad) != 1 else "", "; ".join(f"{d.group_key} ({d.reason})" for d in bad))
        self.dispatcher = Dispatcher(self.db, self.deliverers, clock=self.clock,
                                     lease_seconds=self.policy.reminders.claim_seconds)
        self.engine = build_engine(self.db, self.policy, platforms=set(self.deliverers), clock=self.clock,
                                   on_outbox=self.dispatcher.wake)
        self.engine.group_sources = self.group_sources
        from notifications.digest.visuals import DigestVisuals

        self.engine.visuals = DigestVisuals(self.db, self.policy)  # the portfolio pictures and report in chat
        if background:
            self._tasks.append(asyncio.create_task(self.dispatcher.run_forever(), name="outbox-dispatcher"))
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
