"""Storage: migrations from empty, every table round-trips, the audit log is append-only and tamper-evident."""
from __future__ import annotations

import asyncio
import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage import audit
from storage.db import Database
from storage.migrate import current_revision, head_revision, upgrade
from storage.repo import events, outbox
from storage.tables import (
    AuditEntry, Condition, ConversationRef, ConversationState, DigestRun, GateRequest, Incident, InfoRequest, Kpi,
    KpiValue, MessageRef, Outbox, Person, PlatformIdentity, ProcessedEvent, ReviewDecision, ReviewGroupChannel,
    ReviewGroupMember, ReviewGroupRow, ReviewRequest, RiskEntry, Scorecard, ScorecardAnswer, Snooze, StageChange,
    UseCase, UseCaseContributor,
)
from tests.support import factories
from tests.support.databases import is_postgres
from tests.support.proc import AIOM, ROOT, clean_env

T0 = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=timezone.utc)


async def test_migrations_from_empty_to_head(db_url):
    db = Database(db_url)
    try:
        assert await current_revision(db) == head_revision()
        await upgrade(db)  # a second run changes nothing
        assert await current_revision(db) == head_revision()
    finally:
        await db.dispose()


def test_processes_starting_together_do_not_race(tmp_path):
    """Three `aiom db upgrade` processes on one fresh database: one migrates, the others wait and agree."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    if is_postgres():
        url = _fresh_postgres_database()
    env = clean_env(DATABASE_URL=url)
    procs = [subprocess.Popen([*AIOM, "db", "upgrade"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    try:
        results = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], results
        assert all(f"revision {head_revision()}" in out for out, _ in results)
    finally:
        if is_postgres():
            _drop_postgres_database(url)


def _fresh_postgres_database() -> str:
    import uuid

    from sqlalchemy.engine import make_url

    from storage.db import normalise_url
    from tests.support.databases import test_database_url

    base = make_url(normalise_url(test_database_url()))
    name = f"aiom_race_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(base.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"'))
    return "postgresql://" + base.set(database=name).render_as_string(hide_password=False).split("://", 1)[1]


def _drop_postgres_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    from storage.db import normalise_url
    from tests.support.databases import test_database_url

    name = make_url(normalise_url(url)).database
    admin = make_url(normalise_url(test_database_url())).render_as_string(hide_password=False)
    asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(url: str, sql: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as c:
            await c.execute(text(sql))
    finally:
        await engine.dispose()


def _rows(person_id: int, uc_id: int) -> list:
    """One row of every other table, referencing the person and use case."""
    return [
        PlatformIdentity(person_id=person_id, platform="slack", tenant="T1", external_id="U1",
                         extra={"tz": "Europe/Paris"}, email_verified=True, updated_at=T0),
        UseCaseContributor(use_case_id=uc_id, person_id=person_id, created_at=T0),
        StageChange(use_case_id=uc_id, from_stage="exploration", to_stage="pilot", kind="advance", reason="ok",
                    by_person_id=person_id, at=T0),
        Scorecard(use_case_id=uc_id, instrument="readiness", attempt=2, status="complete", answered=18,
                  started_by_id=person_id, started_at=T0, last_answer_at=T0, completed_at=T0),
        RiskEntry(use_case_id=uc_id, area_key="data_privacy", description="PII in prompts", likelihood="high",
                  impact="medium", owner_id=person_id, control="redaction", status="open", created_at=T0,
                  updated_at=T0),
        ReviewGroupRow(key="security", name="Security", quorum=2, escalates_to="leadership", updated_at=T0),
        GateRequest(use_case_id=uc_id, from_stage="exploration", to_stage="pilot", requested_by_id=person_id,
                    requested_at=T0),
        Kpi(use_case_id=uc_id, layer="business_outcome", name="Cycle time", unit="h", baseline=4.0, target=2.5,
            direction="lower", owner_id=person_id, cadence="monthly", next_due_at=T0, created_at=T0),
        Incident(use_case_id=uc_id, description="Wrong answers", severity="sev2", affected="claims team",
                 reported_by_id=person_id, reported_at=T0),
        ConversationState(platform="slack", conversation_id="D1", thread_id="", user_key="T1:U1",
                          person_id=person_id, flow="intake", step="title", data={"a": [1, "é"]}, history=["x"],
                          created_at=T0, updated_at=T0),
        ConversationRef(platform="teams", conversation_id="a:1", kind="personal", tenant="tid", person_id=person_id,
                        service_url="https://smba.example/", reference={"bot": {"id": "28:x"}}, updated_at=T0),
        MessageRef(platform="slack", purpose="use_case:1", channel="C1", message_id="1712.0001", updated_at=T0),
        ProcessedEvent(platform="slack", event_id="Ev1", at=T0),
        Outbox(dedupe_key="k1", platform="slack", kind="post", target="C1", message={"blocks": []},
               not_before=T0, created_at=T0),
        Snooze(person_id=person_id, subject="review:1", until=T0 + timedelta(days=1), created_at=T0),
        DigestRun(digest_key="weekly", platform="slack", channel="C1", period="2026-W48", snapshot={"n": 3},
                  created_at=T0),
    ]


async def test_every_table_round_trips(db_url):
    db = Database(db_url)
    try:
        async with db.write() as s:
            p = Person(email="zoe@example.com", display_name="Zoë", timezone="Europe/Paris", created_at=T0,
                       updated_at=T0)
            s.add(p)
            await s.flush()
            uc = await factories.use_case(s, now=T0, pilot_exit_date=date(2027, 3, 31), risk_answers={"x": "y"})
            rows = _rows(p.id, uc.id)
            s.add_all(rows)
            await s.flush()
            grp = rows[5]
            gate = rows[6]
            kpi = rows[7]
            s.add(ReviewGroupMember(group_id=grp.id, email="sam@example.com"))
            s.add(ReviewGroupChannel(group_id=grp.id, platform="slack", channel_id="C1"))
            s.add(KpiValue(kpi_id=kpi.id, value=3.2, at=T0, reported_by_id=p.id))
            rr = ReviewRequest(gate_request_id=gate.id, use_case_id=uc.id, group_key="security", due_at=T0,
                               next_reminder_at=T0, created_at=T0)
            s.add(rr)
            await s.flush()
            s.add(ReviewDecision(review_id=rr.id, person_id=p.id, decision="approve", reason="fine", at=T0))
            s.add(Condition(use_case_id=uc.id, review_id=rr.id, text="DPIA", owner_id=p.id,
                            due_date=date(2027, 1, 15), created_at=T0))
            s.add(InfoRequest(review_id=rr.id, question="Which data?", asked_by_id=p.id, asked_at=T0))
            await audit.append(s, action="test.entry", actor_id=p.id, data={"k": "v"}, at=T0)
            ids = {type(r).__name__: r.id for r in rows}
            uc_id, p_id = uc.id, p.id
        async with db.read() as s:
            got = await s.get(Person, p_id)
            assert got.display_name == "Zoë" and got.created_at == T0 and got.created_at.tzinfo is not None
            u = await s.get(UseCase, uc_id)
            assert u.pilot_exit_date == date(2027, 3, 31) and u.risk_answers == {"x": "y"}
            for model in (PlatformIdentity, Scorecard, RiskEntry, GateRequest, Kpi, Incident, ConversationState,
                          ConversationRef, MessageRef, Outbox, Snooze, DigestRun, UseCaseContributor, StageChange,
                          ReviewGroupRow):
                assert await s.get(model, ids[model.__name__]) is not None, model
            st = await s.get(ConversationState, ids["ConversationState"])
            assert st.data == {"a": [1, "é"]} and st.updated_at == T0
            for model in (ReviewGroupMember, ReviewGroupChannel, KpiValue, ReviewRequest, ReviewDecision, Condition,
                          InfoRequest, ProcessedEvent, ScorecardAnswer):
                rows = (await s.execute(select(model))).scalars().all()
                assert len(rows) == (0 if model is ScorecardAnswer else 1), model
            cond = (await s.execute(select(Condition))).scalar_one()
            assert cond.due_date == date(2027, 1, 15)
            entry = (await s.execute(select(AuditEntry).where(AuditEntry.action == "test.entry"))).scalar_one()
            assert entry.at == T0 and entry.data == {"k": "v"}
    finally:
        await db.dispose()


async def test_naive_datetimes_are_refused(db_url):
    db = Database(db_url)
    try:
        with pytest.raises(Exception, match="naive datetime"):
            async with db.write() as s:
                s.add(Person(email="n@example.com", created_at=datetime(2026, 1, 1)))
                await s.flush()
    finally:
        await db.dispose()


async def test_audit_log_rejects_update_and_delete_in_the_database(db_url):
    db = Database(db_url)
    try:
        async with db.write() as s:
            await audit.append(s, action="a")
        for sql in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
            with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
                async with db.write() as s:
                    await s.execute(text(sql))
        async with db.read() as s:
            assert (await audit.verify(s)) == (1, [])
    finally:
        await db.dispose()


def test_the_data_access_layer_offers_no_way_to_change_an_audit_entry():
    public = {n for n in dir(audit) if not n.startswith("_") and callable(getattr(audit, n))}
    writers = {n for n in public if any(w in n.lower() for w in ("update", "delete", "remove", "edit", "set"))}
    assert writers == set()
    assert "append" in public


async def _tamper(db: Database, sql: str, params: dict) -> None:
    """What an attacker with database access does: drop the guard, edit, put the guard back."""
    async with db.write() as s:
        if db.is_sqlite:
            await s.execute(text("DROP TRIGGER audit_log_no_update"))
            await s.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            await s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        await s.execute(text(sql), params)


@pytest.mark.parametrize("attack,expected", [
    ("UPDATE audit_log SET data = :d WHERE seq = 2", "entry 2: was edited"),
    ("DELETE FROM audit_log WHERE seq = 2", "entry 2: missing"),
    ("UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 1002 WHEN 3 THEN 2 END WHERE seq IN (2, 3)", "entry 2"),
])
async def test_tampering_is_detected(db_url, attack, expected):
    db = Database(db_url)
    try:
        async with db.write() as s:
            for i in range(4):
                await audit.append(s, action=f"step{i}", data={"i": i})
        await _tamper(db, attack, {"d": '{"i": 99}'})
        async with db.read() as s:
            _, problems = await audit.verify(s)
        assert problems, "tampering went unnoticed"
        assert any(str(p).startswith(expected) for p in problems), [str(p) for p in problems]
    finally:
        await db.dispose()


async def test_concurrent_audit_writers_keep_one_chain(db_url):
    db = Database(db_url)
    try:
        async def writer(n: int) -> None:
            for i in range(10):
                async with db.write() as s:
                    await audit.append(s, action="w", data={"writer": n, "i": i})

        await asyncio.gather(*(writer(n) for n in range(8)))
        async with db.read() as s:
            count, problems = await audit.verify(s)
        assert (count, problems) == (80, [])
    finally:
        await db.dispose()


async def test_processed_event_is_recognised_once(db_url):
    db = Database(db_url)
    try:
        async with db.write() as s:
            assert await events.mark_processed(s, "slack", "Ev1") is True
        async with db.write() as s:
            assert await events.mark_processed(s, "slack", "Ev1") is False
            assert await events.mark_processed(s, "teams", "Ev1") is True
    finally:
        await db.dispose()


async def test_outbox_dedupe_and_claim(db_url):
    db = Database(db_url)
    try:
        now = datetime.now(timezone.utc)
        async with db.write() as s:
            first = await outbox.enqueue(s, dedupe_key="d1", platform="slack", target="C1", message={}, now=now)
            again = await outbox.enqueue(s, dedupe_key="d1", platform="slack", target="C1", message={}, now=now)
        assert first and again is None
        async with db.write() as s:
            a = await outbox.claim(s, worker="a", now=now, lease=timedelta(seconds=60))
        async with db.write() as s:
            b = await outbox.claim(s, worker="b", now=now, lease=timedelta(seconds=60))
        assert [r.id for r in a] == [first] and b == []
        # the lease expires: another worker may take it over
        async with db.write() as s:
            c = await outbox.claim(s, worker="c", now=now + timedelta(seconds=61), lease=timedelta(seconds=60))
        assert [r.id for r in c] == [first]
    finally:
        await db.dispose()
