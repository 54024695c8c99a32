"""Append-only, hash-chained audit log.

Only `append` writes; nothing in aiom updates or deletes an entry (and the
database refuses to: triggers from the first migration). Each entry's hash
covers its content and the previous entry's hash. The chain tip lives in the
single `audit_head` row, which every writer locks inside its own transaction,
so concurrent writers on Postgres queue instead of forking the chain (on Postgres
one statement locks, appends and moves the tip: storage/audit_pg.py).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit_pg
from storage.repo._sql import core, dialect, prepared
from storage.tables.audit import GENESIS_HASH, AuditEntry
from storage.types import utcnow


def _canonical(seq: int, at: datetime, prev: str, fields: dict[str, Any]) -> bytes:
    body = {"seq": seq, "at": at.isoformat(timespec="microseconds"), "prev": prev, **fields}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(seq: int, at: datetime, prev: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(seq, at, prev, fields)).hexdigest()


# Stand-ins for the two values only the locked chain head knows (private-use characters, never in aiom's text).
_PREV_MARK, _SEQ_MARK = "\ue000prev\ue000", "\ue001seq\ue001"


def canonical_around(at: datetime, fields: dict[str, Any]) -> tuple[str, str, str] | None:
    """The entry's canonical JSON cut around the previous hash and the sequence number:
    `a + prev + b + str(seq) + c` is exactly what `entry_hash` hashes. None if the entry's own text happens to
    contain a stand-in (then the caller takes the long way)."""
    body = {"seq": _SEQ_MARK, "at": at.isoformat(timespec="microseconds"), "prev": _PREV_MARK, **fields}
    text_ = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    seq_mark = json.dumps(_SEQ_MARK, ensure_ascii=False)  # the quoted string, replaced by a bare number
    if text_.count(_PREV_MARK) != 1 or text_.count(seq_mark) != 1 or text_.index(_PREV_MARK) > text_.index(seq_mark):
        return None
    a, rest = text_.split(_PREV_MARK)
    b, c = rest.split(seq_mark)
    return a, b, c


def _fields(e: AuditEntry) -> dict[str, Any]:
    return {"actor_id": e.actor_id, "actor_label": e.actor_label, "platform": e.platform,
            "action": e.action, "entity": e.entity, "entity_id": e.entity_id,
            "use_case_id": e.use_case_id, "data": e.data, "message_ref": e.message_ref}


_MOVE_HEAD = text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1")


def _head_query(name: str):
    # On Postgres the head row is locked until the writing transaction ends: concurrent writers queue here.
    return text("SELECT seq, hash FROM audit_head WHERE id = 1" + (" FOR UPDATE" if name == "postgresql" else ""))


async def _lock_head(session: AsyncSession) -> tuple[int, str]:
    """The chain's tip, locked for this transaction on Postgres."""
    seq, prev = (await core(session, prepared(session, ("audit_head",), _head_query))).one()
    return seq, prev


def _fields_for(*, action: str, actor_id: int | None = None, actor_label: str = "", platform: str = "",
               entity: str = "", entity_id: str | int = "", use_case_id: int | None = None, data: dict | None = None,
               message_ref: str = "") -> dict[str, Any]:
    return {"actor_id": actor_id, "actor_label": actor_label, "platform": platform, "action": action,
            "entity": entity, "entity_id": str(entity_id), "use_case_id": use_case_id,
            "data": json.loads(json.dumps(data or {}, default=str)), "message_ref": message_ref}


def _row(seq: int, prev: str, when: datetime, fields: dict[str, Any]) -> dict[str, Any]:
    return {"seq": seq, "at": when, "prev_hash": prev, "hash": entry_hash(seq, when, prev, fields), **fields}


def _insert_entries(_dialect: str):
    return AuditEntry.__table__.insert()


async def append(session: AsyncSession, *, action: str, actor_id: int | None = None, actor_label: str = "",
                 platform: str = "", entity: str = "", entity_id: str | int = "",
                 use_case_id: int | None = None, data: dict | None = None, message_ref: str = "",
                 at: datetime | None = None) -> AuditEntry:
    """Add one entry at the end of the chain, inside the caller's transaction: one statement on Postgres
    (storage/audit_pg.py says why), three prebuilt ones on SQLite, where writes are one at a time anyway."""
    when = (at or utcnow()).astimezone(timezone.utc)
    fields = _fields_for(action=action, actor_id=actor_id, actor_label=actor_label, platform=platform,
                         entity=entity, entity_id=entity_id, use_case_id=use_case_id, data=data,
                         message_ref=message_ref)
    pieces = canonical_around(when, fields) if dialect(session) == "postgresql" else None
    if pieces is not None:
        data_json = json.dumps(fields["data"], ensure_ascii=False)
        seq, prev, digest = await audit_pg.append(session, at=when, fields={k: v for k, v in fields.items()
                                                                           if k != "data"},
                                                  data_json=data_json, pieces=pieces)
        return AuditEntry(seq=seq, at=when, prev_hash=prev, hash=digest, **fields)
    seq, prev = await _lock_head(session)
    row = _row(seq + 1, prev, when, fields)
    await core(session, prepared(session, ("audit_insert",), _insert_entries), row)
    await core(session, _MOVE_HEAD, {"s": row["seq"], "h": row["hash"]})
    return AuditEntry(**row)


async def append_many(session: AsyncSession, items: list[dict[str, Any]], *, at: datetime | None = None) -> int:
    """Add several entries at the end of the chain in one go (timed sweeps writing one entry per reminder).

    Each item takes `append`'s keyword arguments. The head is locked and read once, the entries are hashed in
    order, inserted with one statement and the head moved once: the same chain `append` builds, in three round
    trips instead of three per entry. Returns the last sequence number written.
    """
    if not items:
        return 0
    seq, prev = await _lock_head(session)
    rows = []
    for item in items:
        seq += 1
        fields = _fields_for(**{k: v for k, v in item.items() if k != "at"})
        row = _row(seq, prev, (item.get("at") or at or utcnow()).astimezone(timezone.utc), fields)
        rows.append(row)
        prev = row["hash"]
    await core(session, prepared(session, ("audit_insert",), _insert_entries), rows)
    await core(session, _MOVE_HEAD, {"s": seq, "h": prev})
    return seq


async def entries(session: AsyncSession, *, use_case_id: int | None = None, upto: int | None = None,
                  batch: int = 2000) -> AsyncIterator[AuditEntry]:
    """Entries in chain order (up to sequence number `upto`), read in batches (bounded memory on a long log)."""
    last = 0
    while True:
        q = select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        if use_case_id is not None:
            q = q.where(AuditEntry.use_case_id == use_case_id)
        if upto is not None:
            q = q.where(AuditEntry.seq <= upto)
        rows = (await session.execute(q)).scalars().all()
        if not rows:
            return
        for r in rows:
            yield r
        last = rows[-1].seq


@dataclass
class ChainProblem:
    seq: int
    message: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.message}"


# How far from its place a moved entry is looked for (it is recognised by its own hash), and how many are.
MOVED_WINDOW = 1000
MOVED_SEARCHES = 50
RECENT = 1000


def _written_as(e: AuditEntry, head: int) -> int | None:
    """The sequence number this entry's hash was made for, when it is near its current place."""
    fields = _fields(e)
    for seq in range(max(1, e.seq - MOVED_WINDOW), min(head, e.seq + MOVED_WINDOW) + 1):
        if entry_hash(seq, e.at, e.prev_hash, fields) == e.hash:
            return seq
    return None


async def _head(session: AsyncSession) -> tuple[int, str]:
    row = (await session.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1"))).one()
    return row[0], row[1]


async def verify(session: AsyncSession) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain; return (entries checked, problems).

    The chain's tip is read first and the walk stops there: on Postgres (READ COMMITTED) an entry appended while
    the walk runs is simply not part of this check, never mistaken for tampering. Entries beyond the tip that no
    writer recorded are reported at the end.
    """
    head_seq, head_hash = await _head(session)
    problems: list[ChainProblem] = []
    expected_seq, prev = 1, GENESIS_HASH
    count, searches = 0, 0
    recent: dict[str, int] = {}  # hashes of the entries walked lately: a link to one of them is not broken
    async for e in entries(session, upto=head_seq):
        count += 1
        if e.seq != expected_seq:
            missing = f"{expected_seq}" if e.seq == expected_seq + 1 else f"{expected_seq}–{e.seq - 1}"
            problems.append(ChainProblem(expected_seq, f"missing (deleted?): entries {missing} are not in the log"))
        intact = entry_hash(e.seq, e.at, e.prev_hash, _fields(e)) == e.hash
        moved = None
        if not intact and searches < MOVED_SEARCHES:
            searches += 1
            moved = _written_as(e, head_seq)
        if moved is not None:
            problems.append(ChainProblem(e.seq, f"is out of order: it was written as entry {moved} "
                                                "(reordered entries)"))
        else:
            if e.prev_hash != prev and not (intact and e.prev_hash in recent):
                problems.append(ChainProblem(e.seq, "does not follow the entry before it (deleted or reordered "
                                                    "entries)"))
            if not intact:
                problems.append(ChainProblem(e.seq, "was edited: its content no longer matches its hash"))
        recent[e.hash] = e.seq
        if len(recent) > RECENT:
            recent.pop(next(iter(recent)))
        prev, expected_seq = e.hash, e.seq + 1
    if expected_seq - 1 != head_seq or prev != head_hash:
        problems.append(ChainProblem(head_seq, "the chain's recorded tip does not match the last entry "
                                               "(entries removed from the end?)"))
    # Rows past the tip: read the highest entry, then the tip again (an append commits both at once, so a
    # concurrent writer always leaves the tip at or past its entry).
    tail = (await session.execute(select(func.max(AuditEntry.seq)))).scalar_one_or_none() or 0
    now_seq, _ = await _head(session)
    if tail > now_seq:
        problems.append(ChainProblem(now_seq + 1, f"entries {now_seq + 1}–{tail} lie beyond the chain's recorded "
                                                  "tip (added outside aiom?)"))
    return count, problems
