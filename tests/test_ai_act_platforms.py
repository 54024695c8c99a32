"""The EU AI Act questions on the real platforms: a high-risk deployer through Slack (the intake modal, then the
AI Act questions in the DM, all as signed requests through the bolt app) and a transparency use case through
Teams (activities through the real botbuilder adapter); a prohibited one in Slack reaches the legal channel."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.tables import AiActObligation, UseCase
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.support.teams_activities import TeamsAiom, channel, teams, user  # noqa: F401,F811 (fixture)
from tests.test_slack_intake import ANNA, ANSWERS, BOB, ZOE
from tests.test_teams_intake import TYPED


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    w.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    w.fake.add_user(BOB, "bob.delivery@example.com", "Bob Delivery")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def slack_form(world: SlackWorld, risk: dict[str, str]) -> None:
    status, _ = await world.shortcut(ZOE)
    assert status == 200
    view = world.last_view()
    values = {"title": ANSWERS[0], "problem": ANSWERS[1], "outcome": ANSWERS[2], "value_stream": "Claims handling",
              "theme": "operational_excellence", "affected_users": "Motor claims handlers",
              "data_used": "Claim forms", "timeline": "within_3_months", "business_owner": ANNA,
              "delivery_owner": BOB}
    values.update({f"risk:{k}": v for k, v in risk.items()})
    assert not any(b["block_id"].startswith("f:euai:") for b in view["blocks"] if "block_id" in b)
    status, body = await world.submit(ZOE, view, values)
    assert status == 200 and body == {}


PERSONAL = {"data_sensitivity": "personal", "audience": "internal", "decision_impact": "recommends",
            "vendor": "none", "regulated": "no", "scale": "department"}


async def test_slack_high_risk_deployer_through_the_modal_then_the_dm(world: SlackWorld):
    await slack_form(world, PERSONAL)
    dm = dm_channel(ZOE)
    assert "These uses are banned in the EU" in world.last(dm).all_text  # asked in the DM after the form
    await world.click(ZOE, "None of these")
    assert "Is it used in any of these areas?" in world.last(dm).all_text
    await world.click(ZOE, "Employment")
    assert "Does it do any of these?" in world.last(dm).all_text
    await world.click(ZOE, "None of these")
    await world.click(ZOE, "We use a system someone else provides")
    await world.click(ZOE, "That tier is right")
    summary = world.last(dm, with_button="Submit the idea")
    assert "EU AI Act: High-risk · deployer" in summary.all_text
    await world.click(ZOE, "Submit the idea", summary)
    assert "High-risk · deployer" in world.last(dm).all_text
    async with world.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
        assert (uc.ai_act_class, uc.ai_act_role) == ("high_risk", "deployer")
        n = len((await s.execute(select(AiActObligation))).all())
    assert n == 8
    assert "Name the people who oversee it" in world.seen_in(dm_channel(ANNA))
    # the evidence per control, in Slack's blocks (the fake checks every block against Slack's limits)
    assert await world.dm(ANNA, "status UC-1 frameworks eu-ai-act") == 200
    shown = world.last(dm_channel(ANNA)).all_text
    assert "Art. 26(2) Competent people oversee it: missing" in shown and "does not replace legal advice" in shown
    # Anna closes hers from Slack; the listing of eight fits Slack's blocks
    assert await world.dm(ANNA, "obligation UC-1 2 done overseers named in the oversight plan v2") == 200
    listing = world.last(dm_channel(ANNA)).all_text
    assert "1 of 8 obligations closed" in listing and "overseers named in the oversight plan v2" in listing


async def test_slack_prohibited_reaches_the_legal_channel(world: SlackWorld):
    await slack_form(world, PERSONAL)
    await world.click(ZOE, "Scores people on their social")
    await world.click(ZOE, "None of these")
    await world.click(ZOE, "That tier is right")
    await world.click(ZOE, "Submit the idea", world.last(dm_channel(ZOE), with_button="Submit the idea"))
    assert "Prohibited AI practice: UC-1" in world.seen_in("CLEGAL")
    async with world.app.db.read() as s:
        assert (await s.execute(select(UseCase.ai_act_class))).scalar_one() == "prohibited"


async def test_teams_transparency_deployer_in_personal_chat(teams: TeamsAiom):
    chat = teams.chat(user("Zoe Proposer", "zoe@example.com"))
    await chat.say("propose")
    for key in ("title", "problem", "outcome", "value_stream"):
        await chat.say(TYPED[key])
    await chat.click("Operational excellence")
    await chat.say(TYPED["affected_users"])
    await chat.say(TYPED["data_used"])
    await chat.click("Within 3 months")
    await chat.say("anna.owner@example.com")
    await chat.say("bob.delivery@example.com")
    await chat.click("Skip")
    for label in ("Public information", "Customers or the public", "It helps a person who then decides",
                  "No third party is involved", "No", "The whole organisation or people"):
        r = await chat.click(label)
    assert "Does it do any of these?" in r.text
    r = await chat.click("People talk or write to it directly")
    assert "Who is it from?" in r.text
    r = await chat.click("We use a system someone else provides")
    r = await chat.click("That tier is right")
    assert "EU AI Act: Transparency obligations · deployer (Art. 50(1))" in " ".join(r.text.split())
    r = await chat.click("Submit the idea")
    assert "UC-1 submitted" in r.text and "Transparency obligations · deployer" in r.text
    async with teams.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
        rows = (await s.execute(select(AiActObligation.key))).scalars().all()
    assert (uc.ai_act_class, uc.ai_act_role) == ("transparency", "deployer") and rows == ["tell_people_ai"]


# -- every classification path on both platforms ---------------------------------------------------------------
LEGAL = "19:legal@thread.tacv2"
PERSONAL_LABELS = ["Personal data about people", "Only our own staff", "It recommends decisions about people",
                   "No third party is involved", "No", "A department"]
PUBLIC_LABELS = ["Public information", "Customers or the public", "It helps a person who then decides",
                 "No third party is involved", "No", "The whole organisation or people"]
DEPLOYER = "We use a system someone else provides"
LABEL_PATHS = {
    "minimal": (PERSONAL_LABELS, ["None of these", "None of these"], ""),
    "transparency": (PUBLIC_LABELS, ["People talk or write to it directly", DEPLOYER], "deployer"),
    "high_risk": (PERSONAL_LABELS, ["None of these", "Employment", "None of these", DEPLOYER], "deployer"),
    "prohibited": (PERSONAL_LABELS, ["Scores people on their social", "None of these"], ""),
}
EXPECT_TEXT = {"minimal": "Minimal risk", "transparency": "Transparency obligations · deployer",
               "high_risk": "High-risk · deployer", "prohibited": "Prohibited practice"}


@pytest.mark.parametrize("cls", list(LABEL_PATHS))
async def test_every_classification_by_slack_dm(world: SlackWorld, cls):
    risk, act, role = LABEL_PATHS[cls]
    dm = dm_channel(ZOE)
    assert await world.dm(ZOE, "propose") == 200
    for answer in ANSWERS:
        assert await world.dm(ZOE, answer) == 200
    for label in [*risk, *act]:
        status, _ = await world.click(ZOE, label, world.last(dm))
        assert status == 200
    await world.click(ZOE, "That tier is right", world.last(dm))
    summary = world.last(dm, with_button="Submit the idea")
    assert f"EU AI Act: {EXPECT_TEXT[cls]}" in summary.all_text
    await world.click(ZOE, "Submit the idea", summary)
    assert "UC-1 submitted" in world.last(dm).all_text
    async with world.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
    assert (uc.ai_act_class, uc.ai_act_role) == (cls, role)
    assert ("Prohibited AI practice: UC-1" in world.seen_in("CLEGAL")) == (cls == "prohibited")


@pytest.mark.parametrize("cls", list(LABEL_PATHS))
async def test_every_classification_in_teams(teams: TeamsAiom, cls):
    risk, act, role = LABEL_PATHS[cls]
    lee = teams.chat(user("Lee Legal", "lee.legal@example.com"), conversation=channel(LEGAL, root="600"))
    await lee.say("hello", mention_bot=True)  # aiom learns the legal group's channel (as on install)
    chat = teams.chat(user("Zoe Proposer", "zoe@example.com"))
    await chat.say("propose")
    for key in ("title", "problem", "outcome", "value_stream"):
        await chat.say(TYPED[key])
    await chat.click("Operational excellence")
    await chat.say(TYPED["affected_users"])
    await chat.say(TYPED["data_used"])
    await chat.click("Within 3 months")
    await chat.say("anna.owner@example.com")
    await chat.say("bob.delivery@example.com")
    await chat.click("Skip")
    for label in [*risk, *act]:
        r = await chat.click(label)
        assert r.status == 200
    r = await chat.click("That tier is right")
    assert f"EU AI Act: {EXPECT_TEXT[cls]}" in " ".join(r.text.split())
    r = await chat.click("Submit the idea")
    assert "UC-1 submitted" in r.text
    async with teams.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
    assert (uc.ai_act_class, uc.ai_act_role) == (cls, role)
    await teams.drain()
    to_legal = [m for m in teams.fake.sent_to(LEGAL) if "Prohibited AI practice: UC-1" in m.text]
    assert bool(to_legal) == (cls == "prohibited")
    r = await chat.say("status UC-1 frameworks nist-ai-rmf")
    assert r.status == 200 and "MAP 2 The system is categorised: met" in " ".join(r.text.split())
