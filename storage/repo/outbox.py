"""The outbox: outgoing notifications recorded before sending and stamped after."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import core, insert_ignore, prepared
from storage.tables import Outbox
from vocabulary.states import OutboxStatus

_T = Outbox.__table__
_MARK_SENT = (update(_T).where(_T.c.id == bindparam("_id"), _T.c.claimed_by == bindparam("_worker"))
              .values(status=OutboxStatus.SENT.value, sent_at=bindparam("at"), platform_message_id=bindparam("mid"),
                      claimed_until=None, error=""))


def _claim_statements(name: str, with_platforms: bool, with_keys: bool = False):
    """The claim's three statements (ready ids, take them, read them), built once per dialect."""
    now = bindparam("now")
    ready = and_(Outbox.not_before <= now,
                 or_(Outbox.status == OutboxStatus.PENDING.value,
                     and_(Outbox.status == OutboxStatus.SENDING.value, Outbox.claimed_until < now)))
    if with_platforms:
        ready = and_(ready, Outbox.platform.in_(bindparam("platforms", expanding=True)))
    if with_keys:
        ready = and_(ready, Outbox.dedupe_key.in_(bindparam("keys", expanding=True)))
    pick = select(Outbox.id).where(ready).order_by(Outbox.id).limit(bindparam("limit"))
    if name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = bindparam("ids", expanding=True)
    take = (update(Outbox).where(Outbox.id.in_(ids), ready)
            .values(status=OutboxStatus.SENDING.value, claimed_by=bindparam("worker"), claimed_until=bindparam("until"),
                    attempts=Outbox.attempts + 1)
            .execution_options(synchronize_session=False))
    read = (select(Outbox).where(Outbox.id.in_(ids), Outbox.claimed_by == bindparam("worker"),
                                 Outbox.status == OutboxStatus.SENDING.value)
            .order_by(Outbox.id).execution_options(populate_existing=True))
    return pick, take, read


async def enqueue(session: AsyncSession, *, dedupe_key: str, platform: str, target: str, message: dict,
                  now: datetime, kind: str = "post", thread_id: str = "", ref_purpose: str = "", purpose: str = "notice",
                  subject: str = "", use_case_id: int | None = None, person_id: int | None = None,
                  not_before: datetime | None = None, late: bool = False) -> int | None:
    """Add a row unless one with the same dedupe key exists; returns the new id or None.

    `now` is the caller's clock (the one the dispatcher claims by): a row is ready from then unless
    `not_before` says later.
    """
    return await insert_ignore(session, Outbox.__table__, {
        "dedupe_key": dedupe_key[:256], "platform": platform, "kind": kind, "target": target,
        "thread_id": thread_id, "ref_purpose": ref_purpose, "message": message, "purpose": purpose,
        "subject": subject, "use_case_id": use_case_id, "person_id": person_id, "status": OutboxStatus.PENDING,
        "attempts": 0, "not_before": not_before or now, "created_at": now, "late": late, "error": "",
    }, ["dedupe_key"])


async def claim(session: AsyncSession, *, worker: str, now: datetime, lease: timedelta,
                limit: int = 20, platforms: set[str] | None = None, keys: list[str] | None = None) -> list[Outbox]:
    """Claim ready rows (pending, or sending with an expired lease) for this worker; with `platforms`, only rows
    for those (a process never takes rows it has no deliverer for: another process sends them); with `keys`, only
    the rows of those dedupe keys."""
    if platforms is not None and not platforms:
        return []
    with_platforms, with_keys = platforms is not None, keys is not None
    pick, take, read = prepared(session, ("outbox_claim", with_platforms, with_keys),
                                lambda name: _claim_statements(name, with_platforms, with_keys))
    params = {"now": now, "limit": limit, **({"platforms": sorted(platforms)} if with_platforms else {}),
              **({"keys": [k[:256] for k in keys]} if with_keys else {})}
    ids = list((await session.execute(pick, params)).scalars().all())
    if not ids:
        return []
    await session.execute(take, {**params, "ids": ids, "worker": worker, "until": now + lease})
    rows = (await session.execute(read, {"ids": ids, "worker": worker})).scalars().all()
    return list(rows)


async def mark_sent(session: AsyncSession, outbox_id: int, *, worker: str, message_id: str | None,
                    at: datetime) -> bool:
    res = await core(session, _MARK_SENT, {"_id": outbox_id, "_worker": worker, "at": at, "mid": message_id})
    return bool(res.rowcount)


async def mark_retry(session: AsyncSession, outbox_id: int, *, worker: str, error: str, not_before: datetime,
                     give_up: bool) -> None:
    await session.execute(update(Outbox).where(Outbox.id == outbox_id, Outbox.claimed_by == worker)
                          .values(status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING, error=error[:2000],
                                  not_before=not_before, claimed_until=None))


async def get(session: AsyncSession, outbox_id: int) -> Outbox | None:
    return await session.get(Outbox, outbox_id)


async def for_use_case(session: AsyncSession, use_case_id: int, purpose: str | None = None) -> list[Outbox]:
    q = select(Outbox).where(Outbox.use_case_id == use_case_id)
    if purpose:
        q = q.where(Outbox.purpose == purpose)
    return list((await session.execute(q.order_by(Outbox.id))).scalars().all())

