"""Durable intake: a platform request is written to the inbound journal before aiom answers 200, and an entry
whose processing never finished is replayed.

- `accept()` (called by the Slack and Teams endpoints after authentication, before the ack) writes the raw body
  under the request's de-duplication key. A repeat of a finished entry is answered 200 and not run again.
- While the request is processed, `current` (a context variable, so the listener tasks bolt spawns see it) holds
  the `Entry`. The engine finishes the entry in the same transaction as the turn's effects
  (storage/repo/events.mark_processed). A request that needs no engine turn (a link button, channel chatter)
  is closed by `settle()` when its listener is done; one whose turn failed on the database stays open.
- The turn's reply is kept with the entry in the same transaction (conversations/replies.py); `replied()`
  stamps it once the adapter has carried it out. A finished entry whose reply was never sent is handed back
  the same way, and its turn (the engine sees a repeat) sends the kept reply instead of doing nothing.
  Duplicate window: a stop after the sends but before that stamp sends the reply once more.
- `Replayer` takes entries whose lease ran out (at start-up and every `every` seconds) and gives them back to
  the platform adapter, which runs them as if they had just arrived; after `MAX_ATTEMPTS` an entry is given up
  (logged). A process only replays the platforms it serves.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable

from storage.repo import events
from storage.tables import InboundEntry
from vocabulary.states import InboundOutcome

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 4


@dataclass
class Entry:
    platform: str
    key: str
    failed: bool = False  # the engine's turn failed (rolled back): leave the entry for a replay
    finished: bool = False  # the engine finished it in its turn's transaction: nothing left for `settle()`


current: contextvars.ContextVar[Entry | None] = contextvars.ContextVar("aiom_inbound_entry", default=None)
# Entries this process is working on: its replayer leaves them alone even when their lease runs out (a slow
# turn on a busy machine), so only a process that is gone has its entries replayed.
in_hand: set[tuple[str, str]] = set()


def begin(platform: str, key: str) -> contextvars.Token:
    in_hand.add((platform, key))
    return current.set(Entry(platform, key))


def release(entry: Entry | None) -> None:
    if entry is not None:
        in_hand.discard((entry.platform, entry.key))


def count_duplicate(app, platform: str) -> None:
    """A platform retry of a request already in the journal, answered without running it again (a metric)."""
    metrics = getattr(app, "metrics", None)
    if metrics is not None:
        metrics.duplicates.labels(platform).inc()


class Unavailable(Exception):
    """The journal could not be written: the request must not be acknowledged."""


async def accept(app, platform: str, key: str, body: str, content_type: str) -> events.Recorded:
    """Write the request to the journal (the caller acknowledges it once this returns). Requests arriving
    together are written together: one transaction for all those waiting (group commit). On SQLite it goes
    before the turns waiting for the single writer (`Database.write(priority=True)`); on Postgres it is one
    INSERT that commits by itself, on the journal's own small pool (`Database.priority_driver()`)."""
    batcher = _batchers.get(id(app))
    if batcher is None or batcher.app is not app:
        batcher = _batchers[id(app)] = _Batcher(app)
    return await batcher.add(platform, key, body, content_type)


class _Batcher:
    MAX = 200

    def __init__(self, app):
        self.app = app
        self.waiting: list[tuple[str, str, str, str, asyncio.Future]] = []
        self.running = False

    async def add(self, platform: str, key: str, body: str, content_type: str) -> events.Recorded:
        fut = asyncio.get_running_loop().create_future()
        self.waiting.append((platform, key, body, content_type, fut))
        if not self.running:
            self.running = True
            asyncio.ensure_future(self._run())
        return await fut

    async def _run(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[: self.MAX], self.waiting[self.MAX:]
                try:
                    results = await self._write([(p, k, b, ct) for p, k, b, ct, _ in batch])
                except Exception as e:  # noqa: BLE001 - the database is down or refused: no ack, a retry comes
                    err = Unavailable(f"{type(e).__name__}: {str(e)[:200]}")
                    for *_, fut in batch:
                        if not fut.done():
                            fut.set_exception(err)
                    continue
                for (*_, fut), rec in zip(batch, results):
                    if not fut.done():
                        fut.set_result(rec)
        finally:
            self.running = False

    async def _write(self, rows: list[tuple[str, str, str, str]]) -> list[events.Recorded]:
        db = self.app.db
        if db.is_sqlite:  # ahead of the turns waiting for the single writer
            async with db.write(priority=True) as s:
                return await events.record_many(s, rows, lease=lease_of(self.app), now=self.app.clock())
        # Postgres: one self-committing statement on the journal's own pool (durable when it returns)
        async with db.priority_driver() as conn:
            return await events.record_many_pg(conn, rows, lease=lease_of(self.app), now=self.app.clock())


_batchers: dict[int, _Batcher] = {}


class _Stamper:
    """The "reply sent" stamps of turns finishing together, in one transaction (one UPDATE for all of them);
    each caller returns once its stamp is committed, as with a transaction of its own."""
    MAX = 200

    def __init__(self, app):
        self.app = app
        self.waiting: list[tuple[str, str, asyncio.Future]] = []
        self.running = False

    async def add(self, platform: str, key: str) -> None:
        fut = asyncio.get_running_loop().create_future()
        self.waiting.append((platform, key, fut))
        if not self.running:
            self.running = True
            asyncio.ensure_future(self._run())
        await fut

    async def _run(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[: self.MAX], self.waiting[self.MAX:]
                try:
                    async with self.app.db.write() as s:
                        await events.replied_many(s, [(p, k) for p, k, _ in batch], now=self.app.clock())
                except Exception as e:  # noqa: BLE001 - every caller in the batch hears of it
                    for *_, fut in batch:
                        if not fut.done():
                            fut.set_exception(e)
                    continue
                for *_, fut in batch:
                    if not fut.done():
                        fut.set_result(None)
        finally:
            self.running = False


_stampers: dict[int, _Stamper] = {}


def lease_of(app) -> timedelta:
    seconds = getattr(app.settings, "AIOM_INTAKE_LEASE_SECONDS", None)
    return timedelta(seconds=seconds) if seconds else LEASE


def watch(engine) -> None:
    """Note on the current entry when the engine has finished it (a turn that ran and committed: the entry's
    `done_at` went in with the turn's effects), so that `settle()` does not write it again."""
    handle = engine.handle

    async def handle_noting(inbound, *args, **kw):
        outcome = await handle(inbound, *args, **kw)
        entry = current.get()
        if (entry is not None and not outcome.failed and not outcome.duplicate and inbound.event_id
                and inbound.where.platform == entry.platform and inbound.event_id[:256] == entry.key[:256]):
            entry.finished = True
        return outcome

    engine.handle = handle_noting


def turn_failed() -> None:
    """The engine could not finish the current request's turn: keep its entry open for a replay."""
    entry = current.get()
    if entry is not None:
        entry.failed = True


async def replied(app) -> None:
    """The current request's reply has been carried out: it need never be sent again."""
    entry = current.get()
    if entry is None:
        return
    stamper = _stampers.get(id(app))
    if stamper is None or stamper.app is not app:
        stamper = _stampers[id(app)] = _Stamper(app)
    try:
        await stamper.add(entry.platform, entry.key)
    except Exception as e:  # noqa: BLE001 - tried again below; meanwhile this process does not re-send it
        log.warning("could not stamp the reply of %s/%s as sent: %s; trying again", entry.platform,
                    entry.key[:80], type(e).__name__)
        _stamp_later(app, entry.platform, entry.key, app.clock())


# Replies this process sent but could not stamp (the database was away): its replayer leaves them alone while the
# stamp is tried again, so a database outage does not send a reply twice. After RESTAMP_TRIES the entry is left
# to the replay (which sends it once more: the duplicate window). A process that dies meanwhile forgets them.
unstamped: set[tuple[str, str]] = set()
RESTAMP_TRIES = 12
_restamps: set[asyncio.Task] = set()


def _stamp_later(app, platform: str, key: str, now) -> None:
    unstamped.add((platform, key))
    task = asyncio.ensure_future(_restamp(app, platform, key, now))
    _restamps.add(task)
    task.add_done_callback(_restamps.discard)


async def _restamp(app, platform: str, key: str, now, delay: float = 0.5) -> None:
    try:
        for _ in range(RESTAMP_TRIES):  # about three minutes in all
            await asyncio.sleep(delay)
            try:
                async with app.db.write() as s:
                    await events.replied(s, platform, key, now=now)
                return
            except Exception:  # noqa: BLE001 - still away
                delay = min(delay * 2, 30.0)
        log.warning("gave up stamping the reply of %s/%s: a replay may send it again", platform, key[:80])
    finally:
        unstamped.discard((platform, key))


async def settle(app, outcome: str = InboundOutcome.SKIPPED) -> None:
    """The current request's listener is done: close its entry unless the turn failed (then it is replayed)."""
    entry = current.get()
    release(entry)
    if entry is None or entry.failed or entry.finished:
        return
    try:
        async with app.db.write() as s:
            await events.finish(s, entry.platform, entry.key, outcome)
    except Exception as e:  # noqa: BLE001 - the entry stays open and is replayed (the engine dedupes it)
        log.warning("could not close inbound entry %s/%s: %s", entry.platform, entry.key[:80], type(e).__name__)


Replay = Callable[[InboundEntry], Awaitable[None]]


class Replayer:
    """Replays unfinished entries of the platforms this process serves."""

    def __init__(self, app, handlers: dict[str, Replay], every: float = 5.0):
        self.app = app
        self.handlers = handlers
        self.every = every
        self.replayed = 0
        self.given_up = 0

    async def run_once(self) -> int:
        async with self.app.db.write() as s:
            taken = await events.take_expired(s, set(self.handlers), lease_of(self.app), now=self.app.clock(),
                                              skip=in_hand | unstamped)
        for entry in taken:
            if entry.attempts > MAX_ATTEMPTS or not entry.body:
                async with self.app.db.write() as s:
                    await events.give_up(s, entry.id)
                self.given_up += 1
                log.error("inbound %s entry %s given up after %d attempts", entry.platform, entry.event_id[:80],
                          entry.attempts - 1)
                continue
            token = begin(entry.platform, entry.event_id)
            try:
                log.warning("replaying inbound %s entry %s (attempt %d)", entry.platform, entry.event_id[:80],
                            entry.attempts)
                await self.handlers[entry.platform](entry)
                self.replayed += 1
            except Exception as e:  # noqa: BLE001 - left for the next lease
                release(current.get())
                log.warning("replay of %s entry %s failed: %s", entry.platform, entry.event_id[:80],
                            type(e).__name__)
            finally:
                current.reset(token)
        return len(taken)

    async def run_forever(self) -> None:
        while True:
            try:
                while await self.run_once():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - the database may be away; try again later
                log.warning("inbound replay pass failed: %s", type(e).__name__)
            await asyncio.sleep(self.every)
