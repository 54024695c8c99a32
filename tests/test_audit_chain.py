"""The audit chain's one-statement append (Postgres) hashes exactly what `aiom audit verify` checks."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from storage import audit
from storage.db import Database
from storage.tables import AuditEntry

AT = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=timezone.utc)
AWKWARD = {"text": 'Quotes " and \\ backslashes, ünïcödé, emoji 🚀, a tab\tand a newline\n',
           "nested": {"list": [1, 2.5, None, True], "empty": {}}, "number": 10**20}


def fields(**kw):
    base = {"actor_id": 7, "actor_label": "anna.owner@example.com", "platform": "slack", "action": "scorecard.answered",
            "entity": "scorecard", "entity_id": "12", "use_case_id": 4, "data": AWKWARD,
            "message_ref": "slack:D123/1700000000.000100"}
    return {**base, **kw}


@pytest.mark.parametrize("f", [fields(), fields(actor_id=None, use_case_id=None, data={}, actor_label="Zoë «Z»")])
def test_the_pieces_around_the_chain_values_make_the_same_hash(f):
    a, b, c = audit.canonical_around(AT, f)
    for seq, prev in ((1, "0" * 64), (123456789, "ab" * 32)):
        assert hashlib.sha256((a + prev + b + str(seq) + c).encode()).hexdigest() == \
            audit.entry_hash(seq, AT, prev, f)


def test_text_that_contains_a_stand_in_takes_the_long_way():
    assert audit.canonical_around(AT, fields(data={"x": "\ue000prev\ue000"})) is None


async def test_entries_with_awkward_text_verify_on_this_database(db_url):
    db = Database(db_url)
    try:
        async with db.write() as s:
            one = await audit.append(s, **fields(), at=AT)
            two = await audit.append(s, **fields(data={"x": "\ue000prev\ue000 and \ue001seq\ue001"}), at=AT)
            three = await audit.append(s, **fields(action="risk.added", data={"area": "data_privacy"}), at=AT)
        assert (two.seq, three.seq) == (one.seq + 1, one.seq + 2)
        assert two.prev_hash == one.hash and three.prev_hash == two.hash
        async with db.read() as s:
            stored = (await s.execute(select(AuditEntry).where(AuditEntry.seq >= one.seq)
                                      .order_by(AuditEntry.seq))).scalars().all()
            checked, problems = await audit.verify(s)
        assert [e.hash for e in stored] == [one.hash, two.hash, three.hash]
        assert stored[0].data == AWKWARD
        assert problems == [] and checked >= 3
    finally:
        await db.dispose()
