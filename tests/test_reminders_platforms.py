"""Reminders and the digest through the real Slack and Teams adapters, against each platform's fake:
channels and people reached once each, at each person's nine o'clock (timezones learnt from the platform),
a 429 retried with one delivery in the outbox, snoozing from a Slack button, the funnel picture served."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from notifications import sweeps
from notifications.digest import runs as digests
from storage.tables import Outbox
from tests.support import factories, portfolio
from tests.support.fake_slack import FakeSlack
from tests.support.slack_driver import SlackWorld
from tests.support.teams_activities import TeamsAiom, channel, personal, user

UTC = timezone.utc
PAT, PIA = "pat.product@example.com", "pia.product@example.com"
REMINDER = "still waits for a decision"


async def overdue_product_review(app, now: datetime) -> int:
    """A low-tier use case whose product review fell due on Thursday 26 Nov 2026 09:00 UTC."""
    async with app.db.write() as s:
        uc = await factories.use_case(s, now=now, tier="low")
        rr = await portfolio.review(s, uc, "product", datetime(2026, 11, 26, 9, tzinfo=UTC), frm="exploration",
                                    to="pilot")
        return rr.id


async def sweep(app, clock, at: datetime) -> None:
    clock.set(at)
    await sweeps.run_all(app.notifications, clock.now)
    await app.dispatcher.drain()


async def deliver_at(app, clock, at: datetime) -> None:
    clock.set(at)
    await app.dispatcher.drain()


# -- Slack -----------------------------------------------------------------------------------------------
def slack_reminders(w: SlackWorld, channel: str) -> list:
    return [c for c in w.fake.calls_to("chat.postMessage") if c.args.get("channel") == channel
            and REMINDER in w.fake.seen_text([c])]


async def test_slack_reminders_reach_the_channel_and_each_member_at_their_local_nine(db_url, policy, clock):
    fake = FakeSlack()
    fake.add_user("UPAT", PAT, "Pat", tz="America/New_York")
    fake.add_user("UPIA", PIA, "Pia", tz="Asia/Tokyo")
    w = await SlackWorld.start(db_url, policy=policy, clock=clock, fake=fake)
    try:
        for uid in ("UPAT", "UPIA"):  # they have talked to aiom: Slack told it their timezones
            await w.dm(uid, "hello")
        await w.settle()
        await overdue_product_review(w.app, clock.now)

        await sweep(w.app, clock, datetime(2026, 11, 26, 22, tzinfo=UTC))  # Thu 17:00 New York, Fri 07:00 Tokyo
        assert slack_reminders(w, "CPRODUCT") == [] and slack_reminders(w, "DPIA") == []
        await deliver_at(w.app, clock, datetime(2026, 11, 27, 0, tzinfo=UTC))  # 09:00 in Tokyo
        assert len(slack_reminders(w, "DPIA")) == 1 and slack_reminders(w, "DPAT") == []
        fake.fail_next("chat.postMessage", 1, status=429, retry_after=1)  # Slack is busy: retried
        await deliver_at(w.app, clock, datetime(2026, 11, 27, 9, tzinfo=UTC))
        assert len(slack_reminders(w, "CPRODUCT")) == 1 and slack_reminders(w, "DPAT") == []
        assert [c.status for c in fake.attempts("chat.postMessage")][-2:] == [429, 200]
        await deliver_at(w.app, clock, datetime(2026, 11, 27, 14, tzinfo=UTC))  # 09:00 in New York
        assert len(slack_reminders(w, "DPAT")) == 1
        assert fake.violations == []
        async with w.app.db.read() as s:
            rows = (await s.execute(select(Outbox).where(Outbox.purpose == "reminder"))).scalars().all()
        assert sorted((r.kind, r.status, r.attempts) for r in rows) == [("dm", "sent", 1)] * 2 + [("post", "sent", 1)]

        # Pia snoozes from the Slack button; the next reminder skips her, reaches Pat and the channel.
        await w.settle()
        dm = w.last("DPIA", with_button="Snooze 1 week")
        status, _ = await w.click("UPIA", "Snooze 1 week", dm)
        assert status == 200
        await w.settle()
        assert "Snoozed for 1 week" in w.fake.seen_text(w.fake.calls[-3:])
        await sweep(w.app, clock, datetime(2026, 11, 30, 15, tzinfo=UTC))  # Monday: the next reminder
        assert len(slack_reminders(w, "DPIA")) == 1 and len(slack_reminders(w, "DPAT")) == 2
        assert len(slack_reminders(w, "CPRODUCT")) == 2
    finally:
        await w.stop()


async def test_the_digest_reaches_the_leadership_slack_channel_once_with_its_picture(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock,
                               extra_env={"AIOM_PUBLIC_URL": "https://aiom.example.com"})
    try:
        async with w.app.db.write() as s:
            await portfolio.seed(s, w.app.policy)
        clock.set(portfolio.NOW)
        assert await digests.run_due(w.app.notifications, clock.now) == 1
        assert await digests.run_due(w.app.notifications, clock.now) == 0
        await w.app.dispatcher.drain()
        posts = [c for c in w.fake.calls_to("chat.postMessage") if c.args.get("channel") == "CLEADERSHIP"
                 and "Weekly portfolio digest" in w.fake.seen_text([c])]
        assert len(posts) == 1 and w.fake.violations == []
        text = w.fake.seen_text(posts)
        assert "Weekly portfolio digest" in text and "Secret HR screening" in text
        images = [b for b in posts[0].args["blocks"] if b.get("type") == "image"]
        assert len(images) == 1 and images[0]["image_url"].startswith("https://aiom.example.com/digest/chart/")
        path = images[0]["image_url"].removeprefix("https://aiom.example.com")
        r = await w.client.get(path)
        assert r.status == 200 and r.content_type == "image/png" and (await r.read())[:4] == b"\x89PNG"
        r = await w.client.get(path.split("?")[0] + "?t=guess")
        assert r.status == 404
    finally:
        await w.stop()


# -- Teams -------------------------------------------------------------------------------------------------
PRODUCT, LEADERSHIP = "19:product@thread.tacv2", "19:leadership@thread.tacv2"


async def test_teams_reminders_and_digest_reach_channels_and_people_once_at_their_local_nine(db_url, policy, clock):
    t = await TeamsAiom.start(db_url, policy=policy, clock=clock)
    try:
        pat, pia = user("Pat Product", PAT), user("Pia Product", PIA)
        await t.chat(pat).say("hello", timezone="America/New_York")  # Teams tells aiom each person's zone
        await t.chat(pia).say("hello", timezone="Asia/Tokyo")
        for conv in (channel(PRODUCT, root="900"), channel(LEADERSHIP, root="901")):  # aiom is in both teams
            await t.chat(pat, conversation=conv).say("hello", mention_bot=True)
        t.fake.reset()
        await overdue_product_review(t.app, clock.now)

        def reminders(conversation: str) -> list[str]:
            return [x for x in t.fake.texts(conversation) if REMINDER in x]

        await sweep(t.app, clock, datetime(2026, 11, 26, 22, tzinfo=UTC))
        assert t.fake.sent == []
        await deliver_at(t.app, clock, datetime(2026, 11, 27, 0, tzinfo=UTC))
        assert len(reminders(personal(pia)["id"])) == 1 and reminders(personal(pat)["id"]) == []
        t.fake.fail_next(1, status=429, retry_after=0.01)  # throttled once: retried
        await deliver_at(t.app, clock, datetime(2026, 11, 27, 9, tzinfo=UTC))
        assert len(reminders(PRODUCT)) == 1
        assert 429 in [c[2] for c in t.fake.calls]
        await deliver_at(t.app, clock, datetime(2026, 11, 27, 14, tzinfo=UTC))
        assert len(reminders(personal(pat)["id"])) == 1
        card = next(s.card for s in t.fake.sent_to(personal(pat)["id"]) if REMINDER in s.text)
        assert "[Snooze 1 day]" in t.fake.texts(personal(pat)["id"])[-1] and card is not None
        async with t.app.db.read() as s:
            rows = (await s.execute(select(Outbox).where(Outbox.purpose == "reminder"))).scalars().all()
        assert sorted((r.platform, r.kind, r.status) for r in rows) == [("teams", "dm", "sent")] * 2 + [
            ("teams", "post", "sent")]

        # The weekly digest, Monday 08:00 UTC, to leadership's Teams channel, once.
        await deliver_at(t.app, clock, datetime(2026, 11, 30, 8, 1, tzinfo=UTC))
        assert await digests.run_due(t.app.notifications, clock.now) == 1
        assert await digests.run_due(t.app.notifications, clock.now) == 0
        await t.app.dispatcher.drain()
        digest = [x for x in t.fake.texts(LEADERSHIP) if "Weekly portfolio digest" in x]
        assert len(digest) == 1 and "Operating-model health" in digest[0]
    finally:
        await t.stop()
