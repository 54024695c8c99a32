"""One aiom serving Slack and Teams together: a use case proposed in Slack is the same record seen from Teams,
and the proposer is the same person on both when the verified email matches; another email is another person."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.repo import people
from storage.tables import Person, PlatformIdentity, UseCase
from tests.support.fake_connector import FakeConnector
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.support.teams_activities import TeamsAiom, user
from tests.test_slack_intake import ANSWERS

ZOE, ANNA, BOB = "U111", "U222", "U333"


@pytest.fixture
async def both(db_url, policy, clock):
    world = await SlackWorld.start(db_url, policy=policy, clock=clock, extra_env={"AIOM_TEAMS_ANONYMOUS": "1"})
    world.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    world.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    world.fake.add_user(BOB, "bob.delivery@example.com", "Bob Delivery")
    connector = await FakeConnector().start()
    teams = TeamsAiom(world.app, world.client, connector, own_fake=True)  # the same aiom, its Teams endpoint
    yield world, teams
    assert world.fake.violations == []
    await connector.stop()
    await world.stop()


async def propose_in_slack(world: SlackWorld) -> None:
    await world.shortcut(ZOE)
    view = world.last_view()
    values = {"title": ANSWERS[0], "problem": ANSWERS[1], "outcome": ANSWERS[2], "value_stream": "Claims handling",
              "theme": "operational_excellence", "affected_users": "Motor claims handlers",
              "data_used": "Claim forms", "vendor": "no", "timeline": "within_3_months", "business_owner": ANNA,
              "delivery_owner": BOB}
    values.update({b["block_id"][2:]: b["element"]["options"][0]["value"] for b in view["blocks"]
                   if b["type"] == "input" and b["block_id"].startswith("f:risk:")})
    await world.submit(ZOE, view, values)
    await world.click(ZOE, "That tier is right")
    await world.click(ZOE, "Submit the idea")
    assert "UC-1 submitted" in world.last(dm_channel(ZOE)).all_text


async def test_a_use_case_from_slack_is_the_same_record_and_person_in_teams(both):
    world, teams = both
    await propose_in_slack(world)
    await world.dm(ZOE, "status UC-1")
    in_slack = world.last(dm_channel(ZOE)).all_text

    zoe = teams.chat(user("Zoe Proposer", "zoe@example.com"))
    r = await zoe.say("status UC-1")
    assert r.status == 200
    for shown in ("UC-1 · Claims triage assistant", "Exploration", "Low risk"):
        assert shown in in_slack and shown in r.text, shown

    async with world.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
        person = await people.by_email(s, "zoe@example.com")
        idents = (await s.execute(select(PlatformIdentity).where(PlatformIdentity.person_id == person.id)))
        assert sorted(i.platform for i in idents.scalars()) == ["slack", "teams"]
        assert uc.proposer_id == person.id and (uc.title, uc.stage, uc.risk_tier) == (ANSWERS[0], "exploration", "low")
        assert len((await s.execute(select(Person).where(Person.email == "zoe@example.com"))).all()) == 1

    # someone else in Teams, with another email, is someone else
    zed = teams.chat(user("Zoe Proposer", "zed@example.com"))
    await zed.say("hello")
    async with world.app.db.read() as s:
        zed_person = await people.by_email(s, "zed@example.com")
        assert zed_person is not None and zed_person.id != person.id
        zed_idents = await people.identities_of(s, zed_person.id)
        assert [i.platform for i in zed_idents] == ["teams"]
