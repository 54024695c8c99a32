"""Appending to the audit chain on Postgres in one round trip.

Every writing transaction locks the chain's head row (that is what keeps concurrent writers from forking the
chain) and holds the lock until it commits. Locking, reading, inserting and moving the head as separate
statements kept the lock through several client round trips, each waiting for aiom's busy event loop to send
the next statement; under a burst of clicks almost every transaction sat queued on that row. Here the whole
append is one statement: Postgres locks the head, numbers the entry, finishes its hash and moves the head.

The hash is the one `storage.audit.entry_hash` computes (so `aiom audit verify` is unchanged): aiom renders the
entry's canonical JSON around the two values only the locked head knows - the previous hash and the new
sequence number - and Postgres joins the pieces and hashes them with its built-in sha256 (PostgreSQL 11+).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import core

APPEND = text("""
WITH head AS (SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE),
entry AS (
    SELECT head.seq + 1 AS seq, head.hash AS prev,
           encode(sha256(convert_to(CAST(:before_prev AS TEXT) || head.hash || CAST(:before_seq AS TEXT)
                                    || (head.seq + 1)::text || CAST(:after_seq AS TEXT), 'UTF8')), 'hex') AS hash
    FROM head),
added AS (
    INSERT INTO audit_log (seq, at, actor_id, actor_label, platform, action, entity, entity_id, use_case_id,
                           data, message_ref, prev_hash, hash)
    SELECT entry.seq, CAST(:at AS TIMESTAMPTZ), CAST(:actor_id AS INTEGER), :actor_label, :platform, :action,
           :entity, :entity_id, CAST(:use_case_id AS INTEGER), CAST(:data AS JSONB), :message_ref,
           entry.prev, entry.hash
    FROM entry
    RETURNING seq, prev_hash, hash)
UPDATE audit_head SET seq = added.seq, hash = added.hash FROM added WHERE audit_head.id = 1
RETURNING added.seq, added.prev_hash, added.hash
""")


async def append(session: AsyncSession, *, at: datetime, fields: dict[str, Any], data_json: str,
                 pieces: tuple[str, str, str]) -> tuple[int, str, str]:
    """Append one entry; returns its (seq, prev_hash, hash). `pieces` is the canonical JSON cut around the
    previous hash and the sequence number (`storage.audit.canonical_around`)."""
    before_prev, before_seq, after_seq = pieces
    row = (await core(session, APPEND, {**fields, "at": at, "data": data_json, "before_prev": before_prev,
                                        "before_seq": before_seq, "after_seq": after_seq})).one()
    return int(row[0]), row[1], row[2]
