"""More reminders due than one batch holds: one sweep works through them batch after batch, each reminded once,
with its outbox row and audit entry."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from notifications import sweeps
from notifications.reminders import conditions
from storage.tables import AuditEntry, Condition, Outbox
from tests.support import factories
from tests.support.reviewing import flat

BOB = "bob.delivery@example.com"


async def test_more_overdue_conditions_than_a_batch_are_all_chased_once_in_one_sweep(harness, clock):
    n = conditions.BATCH + 1
    async with harness.app.db.write() as s:
        bob = await factories.person(s, BOB, "Bob")
        for i in range(n):
            uc = await factories.use_case(s, now=clock.now, stage="pilot", title=f"Pilot {i}")
            s.add(Condition(use_case_id=uc.id, text=f"Evidence {i}", owner_id=bob.id, due_date=date(2026, 11, 20),
                            status="open", created_at=clock.now))

    assert (await sweeps.run_all(harness.app.notifications, clock.now))["condition_reminders"] == n
    assert (await sweeps.run_all(harness.app.notifications, clock.now))["condition_reminders"] == 0  # once
    await harness.app.dispatcher.drain()

    chased = [flat(t) for t in harness.out.dms_to(BOB) if "is still open" in flat(t)]
    assert len(chased) == n and len(set(chased)) == n  # one per condition, none twice
    async with harness.app.db.read() as s:
        rows = (await s.execute(select(func.count()).select_from(Outbox)
                                .where(Outbox.subject.like("condition:%")))).scalar_one()
        audited = (await s.execute(select(func.count()).select_from(AuditEntry)
                                   .where(AuditEntry.action == "condition.reminded"))).scalar_one()
    assert rows == n and audited == n
