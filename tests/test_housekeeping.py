"""The housekeeping sweep deletes processed inbound entries, expired Slack forms and old button stashes after
their retention - in batches, counted on /metrics - and keeps everything still needed."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from vocabulary.messages import Form
from notifications import housekeeping, sweeps
from storage.repo import events, message_refs
from storage.tables import InboundEntry, MessageRef
from tests.support.slack_driver import SlackWorld


async def _count(app, table, *where) -> int:
    async with app.db.read() as s:
        return (await s.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


async def test_the_sweep_prunes_what_served_its_purpose_and_keeps_the_rest(db_url, policy, clock, monkeypatch):
    world = await SlackWorld.start(db_url, policy=policy, clock=clock)
    try:
        app = world.app
        monkeypatch.setattr(housekeeping, "BATCH", 7)  # several batches
        old = clock() - timedelta(days=policy.reminders.inbound_retention_days + 1)
        lease = timedelta(seconds=30)
        async with app.db.write() as s:
            for n in range(20):  # processed long ago
                await events.record(s, "slack", f"old-{n}", body="{}", content_type="application/json",
                                    lease=lease, now=old)
                await events.finish(s, "slack", f"old-{n}", "done")
            await s.execute(InboundEntry.__table__.update().values(done_at=old))
            await events.record(s, "slack", "old-unfinished", body="{}", content_type="", lease=lease, now=old)
            await events.record(s, "slack", "old-reply-owed", body="{}", content_type="", lease=lease, now=old)
            await events.mark_processed(s, "slack", "old-reply-owed")
            await events.store_reply(s, "slack", "old-reply-owed", [{"op": "whisper", "m": {}}], None, lease)
            await s.execute(InboundEntry.__table__.update().where(InboundEntry.event_id == "old-reply-owed")
                            .values(done_at=old))
            await events.record(s, "slack", "recent", body="{}", content_type="", lease=lease, now=clock())
            await events.mark_processed(s, "slack", "recent")
        token = await world.rt.forms.put("U111", Form(form_id="f", title="T", fields=[], submit_label="Go"))
        async with app.db.write() as s:
            await message_refs.remember(s, platform="slack", purpose="button:oldkey", channel="", message_id="oldkey",
                                        extra={"a": "x", "p": {}})
            await message_refs.remember(s, platform="slack", purpose="button:newkey", channel="", message_id="newkey",
                                        extra={"a": "x", "p": {}})
            await s.execute(MessageRef.__table__.update().where(MessageRef.purpose == "button:oldkey")
                            .values(updated_at=clock() - timedelta(days=policy.reminders.stash_retention_days + 1)))
        assert await world.rt.forms.get(token, "U111") is not None
        clock.advance(days=1, minutes=1)  # the form expires
        result = await sweeps.run_all(app.notifications, clock())
        assert result["housekeeping"] == 20 + 1 + 1
        remaining = {e for (e,) in (await _rows(app))}
        assert remaining == {"old-unfinished", "old-reply-owed", "recent"}
        assert await _count(app, MessageRef, MessageRef.purpose.startswith("form:")) == 0
        assert {p for (p,) in await _refs(app)} >= {"button:newkey"} and "button:oldkey" not in \
            {p for (p,) in await _refs(app)}
        metrics = await (await world.client.get("/metrics")).text()
        assert 'aiom_housekeeping_deleted_total{what="inbound"} 20.0' in metrics
        assert 'aiom_housekeeping_deleted_total{what="forms"} 1.0' in metrics
        assert 'aiom_housekeeping_deleted_total{what="stashes"} 1.0' in metrics
        assert (await sweeps.run_all(app.notifications, clock()))["housekeeping"] == 0  # nothing left to do
    finally:
        await world.stop()


async def _rows(app):
    async with app.db.read() as s:
        return (await s.execute(select(InboundEntry.event_id))).all()


async def _refs(app):
    async with app.db.read() as s:
        return (await s.execute(select(MessageRef.purpose))).all()
