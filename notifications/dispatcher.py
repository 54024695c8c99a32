"""Delivers outbox rows: claim in the database, send, stamp the platform's message id.

Several processes may run one each: a row is claimed with a lease (row locks
skipped on Postgres), so it is sent by one of them; a process that dies after
claiming lets the lease expire and another sends it. A send that keeps failing
is marked failed with its error, never dropped. A personal reminder is checked
against its recipient's snoozes at send time too (it may have waited in the
outbox for their working hours while they snoozed it): then it is recorded as
snoozed instead of sent.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from datetime import datetime, timedelta
from typing import Callable

from vocabulary.messages import Message
from notifications import delivery
from notifications.delivery import Deliverer, DeliveryError, Recipient
from storage import audit
from storage.db import Database
from storage.repo import message_refs, outbox, people, reminders, states
from storage.types import utcnow

log = logging.getLogger(__name__)

# The ref_purpose of a flow's question an adapter could not send in its turn: "prompt:<state id>:<version>".
# Once posted, the flow state learns the message's id, so the question is replaced when answered.
PROMPT_MARK = "prompt:"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class Dispatcher:
    def __init__(self, db: Database, deliverers: dict[str, Deliverer], *, worker: str | None = None,
                 clock: Callable[[], datetime] = utcnow, lease_seconds: float = 120, max_attempts: int = 8,
                 poll_seconds: float = 2.0):
        self.db = db
        self.deliverers = deliverers
        self.worker = worker or worker_name()
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self.sending: int | None = None  # the outbox row whose send is under way

    @property
    def platforms(self) -> set[str]:
        return set(self.deliverers)

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self, limit: int = 20) -> int:
        """Claim one batch and send it. Returns how many rows were attempted."""
        async with self.db.write() as s:
            rows = await outbox.claim(s, worker=self.worker, now=self.clock(), lease=self.lease, limit=limit,
                                      platforms=self.platforms)
        for row in rows:
            if self._stopping:  # shutting down: the rest of the batch is handed back (release_claims)
                break
            self.sending = row.id
            try:
                await self._send(row)
            finally:
                self.sending = None
        return len(rows)

    async def send_now(self, keys: list[str]) -> int:
        """Claim and send the rows of these dedupe keys at once (a turn's apology, written a moment ago): claimed
        like any other row, so each goes out once; a row already sent, or being sent elsewhere, is left alone.
        A failure leaves them to the loop."""
        try:
            async with self.db.write() as s:
                rows = await outbox.claim(s, worker=self.worker, now=self.clock(), lease=self.lease, limit=len(keys),
                                          platforms=self.platforms, keys=keys)
            for row in rows:
                await self._send(row)
        except Exception as e:  # noqa: BLE001 - the rows stay pending; the loop sends them
            log.warning("could not send outbox rows at once (%s); left to the dispatcher", type(e).__name__)
            return 0
        return len(rows)

    async def drain(self, max_rounds: int = 100) -> None:
        for _ in range(max_rounds):
            if not await self.run_once():
                return

    async def run_forever(self) -> None:
        while not self._stopping:
            try:
                while not self._stopping and await self.run_once():
                    pass
            except Exception:  # keep delivering after a database hiccup
                log.exception("outbox dispatch round failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _snoozed(self, row) -> bool:
        """A personal reminder whose recipient snoozed its subject after it was queued (it waited for their
        working hours) is not sent: the row is recorded as snoozed, and the audit trail says so."""
        if row.purpose != "reminder" or row.kind != "dm" or not row.person_id or not row.subject:
            return False
        now = self.clock()
        async with self.db.write() as s:
            until = await reminders.snoozed_until(s, row.person_id, row.subject, now)
            if until is None or not await reminders.drop_snoozed(s, row.id, worker=self.worker, until=until):
                return False
            kind, _, ident = row.subject.partition(":")
            await audit.append(s, action="reminder.not_sent_snoozed", actor_label="aiom", entity=kind,
                               entity_id=ident, use_case_id=row.use_case_id, at=now,
                               data={"subject": row.subject, "person": row.person_id, "until": until,
                                     "outbox": row.id})
        return True

    async def _send(self, row) -> None:
        if await self._snoozed(row):
            return
        deliverer = self.deliverers.get(row.platform)
        message = Message.from_dict(row.message)
        try:
            if deliverer is None:
                raise DeliveryError(f"{row.platform} is not configured in this process", retry=True)
            with delivery.attempt(row.dedupe_key, row.attempts):  # a deliverer may look for an earlier try
                message_id, channel = await self._deliver(deliverer, row, message)
        except DeliveryError as e:
            await self._failed(row, str(e), e.retry, e.retry_after)
            return
        except Exception as e:  # a bug or an unexpected platform answer: record it, keep the row
            log.exception("outbox row %s failed", row.id)
            await self._failed(row, f"{type(e).__name__}: {e}", True, None)
            return
        async with self.db.write() as s:
            await outbox.mark_sent(s, row.id, worker=self.worker, message_id=message_id, at=self.clock())
            if row.ref_purpose.startswith(PROMPT_MARK) and message_id:
                await _track_prompt(s, row.ref_purpose, message_id)
            elif row.ref_purpose and row.kind in ("post", "dm") and message_id:
                await message_refs.remember(s, platform=row.platform, purpose=row.ref_purpose, channel=channel,
                                            message_id=message_id)

    async def _deliver(self, deliverer: Deliverer, row, message: Message) -> tuple[str | None, str]:
        if row.kind == "dm":
            async with self.db.read() as s:
                recipient = await recipient_for(s, int(row.target))
            channel, mid = await deliverer.dm(recipient, message)
            return mid, channel
        thread = row.thread_id
        if row.kind == "update" or thread.startswith("ref:"):
            purpose = row.ref_purpose if row.kind == "update" else thread[4:]
            async with self.db.read() as s:
                ref = await message_refs.find(s, row.platform, purpose, row.target)
            if row.kind == "update":
                if ref is not None:
                    await deliverer.update(row.target, ref.message_id, message)
                    return ref.message_id, row.target
                # Never posted here yet (or its post failed): post the current version instead.
                mid = await deliverer.post(row.target, message)
                async with self.db.write() as s:
                    await message_refs.remember(s, platform=row.platform, purpose=purpose, channel=row.target,
                                                message_id=mid)
                return mid, row.target
            thread = ref.message_id if ref is not None else ""
        return await deliverer.post(row.target, message, thread), row.target

    async def _failed(self, row, error: str, retry: bool, retry_after: float | None) -> None:
        give_up = (not retry) or row.attempts >= self.max_attempts
        delay = retry_after if retry_after is not None else min(3600.0, 2 ** row.attempts) * (0.5 + random.random())
        log.warning("outbox row %s (%s to %s) failed on attempt %s: %s%s", row.id, row.kind, row.platform,
                    row.attempts, error, " - giving up" if give_up else "")
        async with self.db.write() as s:
            await outbox.mark_retry(s, row.id, worker=self.worker, error=error,
                                    not_before=self.clock() + timedelta(seconds=delay), give_up=give_up)


async def _track_prompt(session, ref_purpose: str, message_id: str) -> None:
    try:
        state_id, version = (int(x) for x in ref_purpose[len(PROMPT_MARK):].split(":", 1))
    except ValueError:
        return
    await states.set_prompt_ref(session, state_id, version, message_id)


async def recipient_for(session, person_id: int) -> Recipient:
    person, idents = await people.with_identities(session, person_id)
    return Recipient(person_id=person_id, email=person.email if person else None,
                     name=person.display_name if person else "",
                     identities=tuple((i.platform, i.tenant, i.external_id, dict(i.extra)) for i in idents))


async def apology(dispatcher: Dispatcher | None, ops: list, key_prefix: str, queue) -> bool:
    """A failed turn's apology (its ops), through the outbox like any other message: each op recorded by
    `queue(op, key)` under `key_prefix` + its index (a replay or a retry of the same request adds no second one),
    then sent at once by `dispatcher` (when this process has one) and stamped. False when one cannot be recorded
    (the database is what failed): the adapter then says it directly."""
    keys = []
    try:
        for index, op in enumerate(ops):
            key = f"{key_prefix}:{index}"
            if not await queue(op, key):
                return False
            keys.append(key)
    except Exception as e:  # noqa: BLE001 - the database too
        log.warning("could not queue an apology in the outbox (%s); said directly", type(e).__name__)
        return False
    if dispatcher is not None:
        await dispatcher.send_now(keys)
    return True
