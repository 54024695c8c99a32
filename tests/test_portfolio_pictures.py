"""`portfolio` in chat shows the pictures too (restricted use cases only in leadership's view), and `report`
sends a leader the quarterly PDF in their private chat."""
from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from notifications.digest.report import SECTIONS
from tests.support import portfolio
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.support.teams_activities import TeamsAiom, user  # noqa: F401

ZOE, LENA = "U111", "U555"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    w.fake.add_user(LENA, "lena.lead@example.com", "Lena Lead")
    async with w.app.db.write() as s:
        await portfolio.seed(s, w.app.policy)
    clock.set(portfolio.NOW)
    yield w
    assert w.fake.violations == []
    await w.stop()


def uploads_to(world: SlackWorld, channel: str) -> list[dict]:
    """(getUploadURLExternal args + the bytes) of every file uploaded to `channel`, in order."""
    done = [c for c in world.fake.calls_to("files.completeUploadExternal") if c.args.get("channel_id") == channel]
    ids = [f["id"] for c in done for f in (json.loads(c.args["files"]) if isinstance(c.args["files"], str)
                                           else c.args["files"])]
    asked = world.fake.calls_to("files.getUploadURLExternal")
    got = [c.result.get("file_id") for c in asked]
    return [{**asked[got.index(i)].args, "bytes": world.fake.uploads[i]} for i in ids]


async def test_portfolio_in_a_leaders_dm_shows_the_pictures_with_restricted_use_cases(world: SlackWorld):
    await world.dm(LENA, "portfolio")
    await world.settle()
    files = uploads_to(world, dm_channel(LENA))
    assert [f["filename"] for f in files][:2] == ["aiom-live-use-cases-by-stage.png",
                                                  "aiom-live-use-cases-by-stage-last-digests.png"]
    assert all(f["bytes"][:8] == b"\x89PNG\r\n\x1a\n" for f in files)
    stages = files[0]["alt_txt"]
    assert "Pilot 2 (+1)" in stages and "6 in all" in stages  # Secret HR screening (restricted) is a pilot
    assert "AI portfolio" in world.seen_in(dm_channel(LENA))  # the text came first, as before


async def test_portfolio_outside_leadership_leaves_restricted_use_cases_out_of_the_pictures(world: SlackWorld):
    await world.dm(ZOE, "portfolio")  # Zoe proposed the restricted one and sees it by name, but not in pictures
    await world.settle()
    stages = uploads_to(world, dm_channel(ZOE))[0]["alt_txt"]
    assert "Pilot 1 (+0)" not in stages and "Pilot 1" in stages and "5 in all" in stages
    await world.mention(LENA, "CPRODUCT", "portfolio")  # a leader, in a channel that is not leadership's
    await world.settle()
    stages = uploads_to(world, "CPRODUCT")[0]["alt_txt"]
    assert "Pilot 1" in stages and "5 in all" in stages
    await world.mention(LENA, "CLEADERSHIP", "portfolio")
    await world.settle()
    assert "6 in all" in uploads_to(world, "CLEADERSHIP")[0]["alt_txt"]


async def test_a_leader_gets_the_quarterly_report_as_a_pdf_in_the_dm(world: SlackWorld):
    await world.dm(LENA, "report 2026-Q4")
    await world.settle()
    files = [c for c in world.fake.calls_to("files.getUploadURLExternal") if c.args["filename"].endswith(".pdf")]
    assert [c.args["filename"] for c in files] == ["aiom-report-2026-Q4.pdf"]
    pdf = world.fake.uploads[files[0].result["file_id"]]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert all(section in text for section in SECTIONS)
    assert "quarterly report for 2026-Q4" in world.seen_in(dm_channel(LENA))


async def test_report_is_refused_politely_to_others_in_channels_and_for_a_wrong_period(world: SlackWorld):
    await world.dm(ZOE, "report")
    assert "the quarterly report is for members of" in world.seen_in(dm_channel(ZOE))
    await world.mention(LENA, "CLEADERSHIP", "report")
    await world.dm(LENA, "report last quarter")
    await world.settle()
    assert "is not a quarter: write it like 2026-Q4" in world.seen_in(dm_channel(LENA))
    assert not [c for c in world.fake.calls_to("files.getUploadURLExternal") if c.args["filename"].endswith(".pdf")]
    assert "private chat only" in world.fake.seen_text(world.fake.calls_to("chat.postEphemeral"))


async def test_portfolio_in_teams_shows_the_pictures_inline(db_url, policy, clock):
    t = await TeamsAiom.start(db_url, policy=policy, clock=clock)
    try:
        async with t.app.db.write() as s:
            await portfolio.seed(s, t.app.policy)
        clock.set(portfolio.NOW)
        lena = t.chat(user("Lena Lead", "lena.lead@example.com"))
        await lena.say("portfolio")
        await t.drain()
        images = [el for _, c in t.cards_in(lena.base) for el in c["body"] if el.get("type") == "Image"]
        assert len(images) >= 2 and all(i["url"].startswith("data:image/png;base64,") for i in images)
        assert "6 in all" in images[0]["altText"]
    finally:
        await t.stop()


# -- the Slack App Home ----------------------------------------------------------------------------------------
def home_click(world: SlackWorld, user: str, view: dict, label: str) -> dict:
    button = next(e for b in view["blocks"] if b.get("type") == "actions" for e in b["elements"]
                  if e["text"]["text"] == label)
    return {"type": "block_actions", "user": world.user_json(user), "api_app_id": "AAIOM", "token": "legacy",
            "container": {"type": "view", "view_id": "VHOME"}, "trigger_id": "trig.home", "team": {"id": "T0AIOM"},
            "view": {**view, "id": "VHOME"},
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b",
                         "text": button["text"], "value": button.get("value", ""), "action_ts": "1.0"}]}


async def test_app_home_without_a_public_url_offers_the_pictures_in_the_dm(world: SlackWorld):
    view = await world.open_home(LENA)
    assert not [b for b in view["blocks"] if b.get("type") == "image"]
    payload = home_click(world, LENA, view, "Portfolio and its pictures")
    payload["team"] = {"id": world.fake.users[LENA].team_id}
    status, _ = await world.interact(payload)
    assert status == 200
    await world.settle()
    files = uploads_to(world, dm_channel(LENA))
    assert len(files) >= 2 and "6 in all" in files[0]["alt_txt"]


async def test_app_home_with_a_public_url_shows_the_latest_digests_charts(db_url, policy, clock):
    from notifications.digest import runs as digests

    w = await SlackWorld.start(db_url, policy=policy, clock=clock,
                               extra_env={"AIOM_PUBLIC_URL": "https://aiom.example.com"})
    try:
        w.fake.add_user(LENA, "lena.lead@example.com", "Lena Lead")
        w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
        async with w.app.db.write() as s:
            await portfolio.seed(s, w.app.policy)
        clock.set(portfolio.NOW)
        assert await digests.run_due(w.app.notifications, clock.now) == 1
        await w.app.dispatcher.drain()
        view = await w.open_home(LENA)
        images = [b for b in view["blocks"] if b.get("type") == "image"]
        assert len(images) == 3 and "6 in all" in images[0]["alt_text"]
        for img in images:
            r = await w.client.get(img["image_url"].removeprefix("https://aiom.example.com"))
            assert r.status == 200 and (await r.read())[:8] == b"\x89PNG\r\n\x1a\n"
        # Zoe is no leader and the only digest went to leadership's channel: a button, no leadership figures
        view = await w.open_home(ZOE)
        assert not [b for b in view["blocks"] if b.get("type") == "image"]
        assert "Portfolio and its pictures" in w.fake.seen_text([w.calls("views.publish")[-1]])
        assert w.fake.violations == []
    finally:
        await w.stop()
