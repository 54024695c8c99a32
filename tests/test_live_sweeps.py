"""Live operation on the scheduler: KPI cadence prompts and incident escalation run with every other sweep
(`sweeps.run_all`, which `aiom serve`, `aiom worker` and the local chat all call), the period of a KPI with
nobody to ask is never counted as asked, and a typed reply records a value wherever the adapter stored a
personal conversation reference (the Slack case, driven through the neutral engine)."""
from __future__ import annotations

import asyncio
import subprocess
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from vocabulary.interaction import Actor, Inbound, Where
from vocabulary.messages import Message
from notifications import kpi_prompts, sweeps
from storage.db import Database
from storage.repo import conversation_refs, people
from storage.tables import Incident, Kpi, Outbox, PlatformIdentity, UseCase
from tests.conftest import TEST_POLICY
from tests.support import factories
from tests.support.harness import Harness, as_text
from tests.support.proc import AIOM, ROOT, clean_env

UTC = timezone.utc
T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)  # a Monday
BOB = "bob.delivery@example.com"


async def seed_live(s, *, kpi_owner: str | None = BOB, owners: bool = True, incident_at: datetime | None = None):
    """A use case in controlled rollout with a weekly KPI first due a week after T0 (and a critical incident)."""
    uc = await factories.use_case(s, stage="controlled_rollout", now=T0)
    if not owners:
        uc.business_owner_id = uc.delivery_owner_id = None
        s.add(uc)
    owner = (await factories.person(s, kpi_owner)).id if kpi_owner else None
    kpi = Kpi(use_case_id=uc.id, layer="business_outcome", name="Claims cycle time", unit="min", baseline=30,
              target=20, direction="lower", owner_id=owner, cadence="weekly", next_due_at=T0 + timedelta(days=7),
              created_at=T0)
    s.add(kpi)
    if incident_at is not None:
        s.add(Incident(use_case_id=uc.id, description="Every motor claim marked low urgency", severity="sev1",
                       status="open", reported_at=incident_at))
    await s.flush()
    return uc, kpi


async def test_run_all_asks_for_kpi_values_on_cadence_and_escalates_unacknowledged_incidents(harness: Harness,
                                                                                              clock):
    async with harness.app.db.write() as s:
        await seed_live(s, incident_at=T0 + timedelta(days=7) - timedelta(minutes=30))
    clock.set(T0 + timedelta(days=7) - timedelta(minutes=1))
    result = await sweeps.run_all(harness.app.notifications, clock.now)
    assert (result["kpi_prompts"], result["incident_escalations"]) == (0, 0)  # not due, not late yet

    clock.set(T0 + timedelta(days=7, minutes=30))
    result = await sweeps.run_all(harness.app.notifications, clock.now)
    await harness.app.dispatcher.drain()
    assert (result["kpi_prompts"], result["incident_escalations"]) == (1, 1)
    prompt = harness.out.dms_to(BOB)
    assert any("Time for a KPI update" in t and "target 20 min" in t for t in prompt)
    assert any("Escalated: incident #1" in t for t in harness.out.posts_in("#leadership"))
    again = await sweeps.run_all(harness.app.notifications, clock.now)
    assert (again["kpi_prompts"], again["incident_escalations"]) == (0, 0)  # once per period, escalated once


def _worker(db_url: str, now: str) -> subprocess.CompletedProcess:
    env = clean_env(DATABASE_URL=db_url, AIOM_POLICY=str(TEST_POLICY))
    return subprocess.run([*AIOM, "worker", "--once", "--console", "--now", now], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=180)


async def test_aiom_worker_once_sends_the_kpi_prompt_and_the_escalation(db_url):
    db = Database(db_url)
    try:
        async with db.write() as s:
            await seed_live(s, incident_at=T0 + timedelta(days=7))
    finally:
        await db.dispose()
    first = await asyncio.to_thread(_worker, db_url, "2026-11-30T10:30:00Z")
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert f"message for {BOB}" in out and "Time for a KPI update" in out
    assert "posted in #leadership" in out and "Escalated: incident #1" in out
    second = await asyncio.to_thread(_worker, db_url, "2026-11-30T10:45:00Z")
    assert second.returncode == 0, second.stderr
    assert "Time for a KPI update" not in second.stdout and "Escalated" not in second.stdout


async def test_a_kpi_with_nobody_to_ask_is_not_counted_as_asked(harness: Harness, clock):
    async with harness.app.db.write() as s:
        uc, kpi = await seed_live(s, kpi_owner=None, owners=False)
        kpi_id, uc_id = kpi.id, uc.id
    clock.set(T0 + timedelta(days=7, hours=1))
    assert await kpi_prompts.sweep(harness.app.notifications, clock.now) == 0
    async with harness.app.db.read() as s:
        k = await s.get(Kpi, kpi_id)
        assert k.last_prompt_at is None and k.next_due_at == T0 + timedelta(days=7)

    # once the use case has a delivery owner again, the unanswered period is asked for, from them
    async with harness.app.db.write() as s:
        bob = await factories.person(s, BOB)
        uc = await s.get(UseCase, uc_id)
        uc.delivery_owner_id = bob.id
        s.add(uc)
    clock.advance(hours=1)
    assert await kpi_prompts.sweep(harness.app.notifications, clock.now) == 1
    await harness.app.dispatcher.drain()
    assert any("Time for a KPI update" in t for t in harness.out.dms_to(BOB))
    async with harness.app.db.read() as s:
        assert (await s.get(Kpi, kpi_id)).last_prompt_at == clock.now


async def test_a_typed_reply_records_the_value_in_a_slack_direct_conversation(harness: Harness, clock):
    """Neutral: a personal conversation reference on "slack" (as the Slack adapter stores it) is enough."""
    async with harness.app.db.write() as s:
        _, kpi = await seed_live(s)
        kpi_id = kpi.id
        bob = await people.by_email(s, BOB)
        # Bob also has an identity in another workspace, more recently seen than the one his DM is in.
        s.add_all([PlatformIdentity(person_id=bob.id, platform="slack", tenant="T1", external_id="UBOB",
                                    email_verified=True, updated_at=T0),
                   PlatformIdentity(person_id=bob.id, platform="slack", tenant="TOTHER", external_id="UOLD",
                                    email_verified=True, updated_at=T0 + timedelta(days=1))])
        await conversation_refs.save(s, platform="slack", conversation_id="DBOB", kind="personal", tenant="T1",
                                     person_id=bob.id)
    clock.set(T0 + timedelta(days=7, hours=1))
    async with harness.app.db.write() as s:
        assert await kpi_prompts.prompt_due(s, harness.app.policy, {"slack"}, clock.now) == 1
        row = (await s.execute(select(Outbox).where(Outbox.purpose == "reminder"))).scalar_one()
        assert row.platform == "slack" and row.message["expects"] == "text"
        assert "Just reply with the current value" in as_text(Message.from_dict(row.message))

    actor = Actor(platform="slack", external_id="UBOB", tenant="T1", email=BOB, email_verified=True, name="Bob")
    where = Where(platform="slack", conversation_id="DBOB", kind="personal", tenant="T1")
    outcome = await harness.app.engine.handle(Inbound(actor=actor, where=where, text="24 min", event_id="Ev1"))
    said = "\n".join(as_text(op.message) for op in outcome.ops)
    assert "Recorded 24 min for “Claims cycle time”" in said
    async with harness.app.db.read() as s:
        assert (await s.get(Kpi, kpi_id)).last_value == 24
