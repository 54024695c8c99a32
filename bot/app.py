"""Composition root: settings, database, policy, engine and delivery, wired once at start-up."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from bot.config import Settings
from bot.journal import watch
from conversations.engine import Engine
from conversations.groups.decidability import undecidable_groups
from conversations.groups.effective import effective_policy
from vocabulary.platforms import Platforms
from vocabulary.policy import Policy, load_policy
from conversations.registry import build_engine
from notifications.delivery import Deliverer
from notifications.dispatcher import Dispatcher
from notifications.services import Services
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
    metrics: Any = None  # bot.metrics.Metrics when served (HTTP or the worker's listener): turns and sends counted
    # platform -> replay of an unfinished inbound journal entry (bot/journal.py), set by the adapters
    replay_handlers: dict[str, Callable] = field(default_factory=dict)
    replayer: Any = None
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _services: Services | None = None  # built by start()

    @classmethod
    def create(cls, settings: Settings, *, clock: Callable = utcnow, policy: Policy | None = None) -> "App":
        policy = policy or load_policy(settings.AIOM_POLICY)
        if settings.admins:  # AIOM_ADMINS adds to the policy's admins
            policy = with_admins(policy, settings.admins)
        return cls(settings=settings, policy=policy, db=Database(settings.DATABASE_URL, **settings.db_options),
                   clock=clock)

    def add_deliverer(self, deliverer: Deliverer) -> None:
        self.deliverers[deliverer.platform] = deliverer

    @property
    def notifications(self) -> Services:
        """What notifications/ is given (sweeps, digests, group sync, the scheduler): built once by start(); before
        it (a command that only reads, such as `aiom digest --preview`), its database and policy, no delivery."""
        return self._services or self._build_services()

    def _build_services(self) -> Services:
        platforms = self.engine.platforms if self.engine is not None else Platforms.of(self.deliverers)
        return Services(db=self.db, policy=self.policy, clock=self.clock, platforms=platforms,
                        dispatcher=self.dispatcher, public_url=self.settings.AIOM_PUBLIC_URL,
                        group_sources=self.group_sources)

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
        if self.metrics is not None:
            from bot.observe import meter_deliverers

            meter_deliverers(self, self.metrics)
        self.dispatcher = Dispatcher(self.db, self.deliverers, clock=self.clock,
                                     lease_seconds=self.policy.reminders.claim_seconds)
        self.engine = build_engine(self.db, self.policy, platforms=Platforms.of(self.deliverers), clock=self.clock,
                                   on_outbox=self.dispatcher.wake)
        self.engine.group_sources = self.group_sources
        self._services = self._build_services()
        watch(self.engine)  # a turn that finished its journal entry spares the settle a write
        from notifications.digest.visuals import DigestVisuals

        self.engine.visuals = DigestVisuals(self.db, self.policy)  # the portfolio pictures and report in chat
        if self.metrics is not None:
            from bot.observe import meter_engine

            meter_engine(self, self.metrics)
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

            self.scheduler = Scheduler(self.notifications, drain=not background)
            self.scheduler.start()

    async def stop(self, grace: float | None = None) -> None:
        """Stop the scheduler (a sweep under way finishes), let the dispatcher finish the send under way
        (up to `grace` seconds, AIOM_SHUTDOWN_GRACE by default), hand the rest of its claimed batch back to
        the queue for another process, and close the database."""
        grace = self.settings.AIOM_SHUTDOWN_GRACE if grace is None else grace
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        if self.dispatcher is not None:
            self.dispatcher.stop()
        if self._tasks and grace > 0:
            await asyncio.wait(self._tasks, timeout=grace)
        # A send still under way now may reach the platform even though we stop waiting: keep its claim.
        cut = self.dispatcher.sending if self.dispatcher is not None else None
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks.clear()
        if self.dispatcher is not None:
            await self._release_claims(cut)
        await self.db.dispose()

    async def _release_claims(self, cut: int | None) -> None:
        from storage.repo.outbox_stats import release_claims

        under_way = {cut} if cut is not None else set()
        try:
            async with self.db.write() as s:
                n = await release_claims(s, self.dispatcher.worker, keep=under_way)
            if n:
                log.info("handed %s claimed outgoing message%s back to the queue", n, "" if n == 1 else "s")
        except Exception as e:  # the database is gone: the leases expire on their own
            log.warning("could not hand claimed messages back (%s); their claims expire by themselves",
                        type(e).__name__)
