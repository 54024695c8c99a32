"""The digest's charts reach the channel without a public URL: Slack by file upload (files.uploadV2 through the
fake Web API), Teams inline in a card that validates against the Adaptive Card schema and fits in 28 KB; each
picture is an outbox row like any other message."""
from __future__ import annotations

import base64
import io
import json

from PIL import Image as PILImage
from sqlalchemy import select

from bot.teams.render.cards import size_of
from notifications.digest import runs as digests
from storage.tables import DigestRun, Outbox
from tests.support import portfolio
from tests.support.slack_driver import SlackWorld
from tests.support.teams_activities import TeamsAiom, card_problems, channel, schema, user  # noqa: F401

LEADERSHIP_TEAMS = "19:leadership@thread.tacv2"


def is_png(data: bytes) -> bool:
    img = PILImage.open(io.BytesIO(data))
    img.load()
    return img.format == "PNG" and img.width >= 560


async def test_slack_gets_the_charts_as_files_in_the_digest_channel_without_a_public_url(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    try:
        async with w.app.db.write() as s:
            await portfolio.seed(s, w.app.policy)  # with last week's digest: enough history for a trend
        clock.set(portfolio.NOW)
        assert await digests.run_due(w.app.notifications, clock.now) == 1
        await w.app.dispatcher.drain()
        done = w.fake.calls_to("files.completeUploadExternal")
        assert done and {c.args["channel_id"] for c in done} == {"CLEADERSHIP"}
        files = [f for c in done for f in (json.loads(c.args["files"]) if isinstance(c.args["files"], str)
                                           else c.args["files"])]
        titles = [f["title"] for f in files]
        assert titles == ["Live use cases by stage", "Live use cases by stage, last digests", "Operating-model health"]
        asked = w.fake.calls_to("files.getUploadURLExternal")
        assert all(c.args.get("alt_txt") for c in asked)  # each picture says its numbers to screen readers
        stages_alt = next(c.args["alt_txt"] for c in asked if c.args["filename"] == "aiom-live-use-cases-by-stage.png")
        # the leadership channel: every live use case, restricted ones too, and the change since last week
        assert "Exploration 2 (−1)" in stages_alt and "Pilot 2 (+1)" in stages_alt
        uploaded = [w.fake.uploads[f["id"]] for f in files]
        assert len(uploaded) == 3 and all(is_png(b) for b in uploaded)
        # the text digest went out as before, and no image block points anywhere
        text_posts = [c for c in w.fake.calls_to("chat.postMessage") if c.args.get("channel") == "CLEADERSHIP"]
        assert len(text_posts) == 1 and "Weekly portfolio digest" in w.fake.seen_text(text_posts)
        assert w.fake.violations == []
        async with w.app.db.read() as s:
            rows = (await s.execute(select(Outbox).where(Outbox.platform == "slack"))).scalars().all()
            run = (await s.execute(select(DigestRun).where(DigestRun.platform == "slack"))).scalar_one()
        subjects = sorted(r.subject for r in rows)
        assert subjects == ["digest:weekly:2026-11-30T08:00Z", "digest:weekly:2026-11-30T08:00Z:health",
                            "digest:weekly:2026-11-30T08:00Z:stages", "digest:weekly:2026-11-30T08:00Z:trend"]
        assert all(r.status == "sent" and r.platform_message_id for r in rows)
        # the period's figures are kept for next time's trend, with the stage labels of the day
        assert run.snapshot["stages"]["pilot"] == 2 and run.snapshot["labels"]["pilot"] == "Pilot"
        assert run.snapshot["restricted"] and "health" in run.snapshot
        # a second sweep sends nothing again
        assert await digests.run_due(w.app.notifications, clock.now) == 0
        await w.app.dispatcher.drain()
        assert len(w.fake.calls_to("files.completeUploadExternal")) == len(done)
    finally:
        await w.stop()


async def test_a_fresh_install_says_not_enough_history_yet_instead_of_an_empty_trend(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    try:
        clock.set(portfolio.NOW)
        assert await digests.run_due(w.app.notifications, clock.now) == 1
        await w.app.dispatcher.drain()
        done = w.fake.calls_to("files.completeUploadExternal")
        # the portfolio by stage, and this quarter's health figures; no trend chart of one period
        assert [json.loads(c.args["files"])[0]["title"] if isinstance(c.args["files"], str)
                else c.args["files"][0]["title"] for c in done] == ["Live use cases by stage", "Operating-model health"]
        assert done[0].args["initial_comment"] == ("Live use cases by stage, last digests: not enough history yet. "
                                                   "It appears once there are two digests to compare.")
    finally:
        await w.stop()


async def test_teams_shows_the_charts_inline_in_cards_that_validate_and_fit(db_url, policy, clock):
    validator = schema("adaptive-card-1.5.schema.json")
    t = await TeamsAiom.start(db_url, policy=policy, clock=clock)
    try:
        async with t.app.db.write() as s:
            await portfolio.seed(s, t.app.policy)
        clock.set(portfolio.NOW)
        lead = t.chat(user("Leo Lead", "leo.lead@example.com"), conversation=channel(LEADERSHIP_TEAMS, root="600"))
        await lead.say("hello", mention_bot=True)
        assert await digests.run_due(t.app.notifications, clock.now) == 1
        await t.drain()
        sent = t.fake.sent_to(LEADERSHIP_TEAMS)
        cards = [s.card for s in sent if s.card]
        images = [el for c in cards for el in c["body"] if el.get("type") == "Image"]
        assert len(images) == 3
        for card in cards:
            assert card_problems(validator, card) == []
            assert size_of(card) <= 26 * 1024
        for activity in (s.activity for s in sent):  # Teams' limit is on the whole message
            assert len(json.dumps(activity, ensure_ascii=False).encode("utf-8")) < 28 * 1024
        for img in images:
            assert img["url"].startswith("data:image/png;base64,")
            assert is_png(base64.b64decode(img["url"].split(",", 1)[1]))
            assert img["altText"] and any(ch.isdigit() for ch in img["altText"])
        assert any("Weekly portfolio digest" in s.text for s in sent)
    finally:
        await t.stop()


async def test_with_a_public_url_the_charts_are_served_by_aiom_and_shown_from_there(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock,
                               extra_env={"AIOM_PUBLIC_URL": "https://aiom.example.com"})
    try:
        async with w.app.db.write() as s:
            await portfolio.seed(s, w.app.policy)
        clock.set(portfolio.NOW)
        assert await digests.run_due(w.app.notifications, clock.now) == 1
        await w.app.dispatcher.drain()
        assert w.fake.calls_to("files.completeUploadExternal") == []  # nothing uploaded
        posts = [c for c in w.fake.calls_to("chat.postMessage") if c.args.get("channel") == "CLEADERSHIP"]
        urls = [b["image_url"] for c in posts for b in c.args["blocks"] if b.get("type") == "image"]
        names = [u.split("/")[-1].split(".png")[0] for u in urls]
        assert names == ["stages", "trend", "health"]  # the first inside the text digest, as before
        for url in urls:
            r = await w.client.get(url.removeprefix("https://aiom.example.com"))
            assert r.status == 200 and r.content_type == "image/png" and is_png(await r.read())
        good = urls[1].removeprefix("https://aiom.example.com")
        assert (await w.client.get(good.replace("/trend.png", "/secrets.png"))).status == 404
        assert (await w.client.get(good.split("?")[0] + "?t=guess")).status == 404
        assert w.fake.violations == []
    finally:
        await w.stop()
