"""Review groups in Teams through the real botbuilder adapter and the fake connector: an admin binds a group to
the team they type in (the roster read page by page); a member removed from the team (conversationUpdate) is
refused at their next click; a team aiom cannot read is named and nothing changes."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import with_admins
from storage.tables import ReviewRequest
from tests.support import factories
from tests.support.fake_connector import card_actions
from tests.support.reviewing import make_ready
from tests.support.teams_activities import TeamsAiom, _base, channel, execute, user

ADMIN = "ada.admin@example.com"
TEAM, SECURITY = "19:team@thread.tacv2", "19:security@thread.tacv2"
ADA = user("Ada Admin", ADMIN)
SAM = user("Sam Security", "sam.security@example.com")
SUE = user("Sue New", "sue.new@example.com")
GUS = user("Gus Guest", "gus@partner.example", role="guest")


@pytest.fixture
async def teams(db_url, policy, clock):
    t = await TeamsAiom.start(db_url, policy=with_admins(policy, [ADMIN]), clock=clock)
    for u in (SAM, SUE, GUS):
        t.fake.add_member(u.user_id, name=u.name, aad=u.aad, email=u.email, tenant=u.tenant, role=u.role)
    yield t
    await t.stop()


async def statuses(t) -> dict[str, str]:
    async with t.app.db.read() as s:
        return {r.group_key: r.status for r in (await s.execute(select(ReviewRequest))).scalars()}


def members_removed(u, *, service_url: str, conversation: dict) -> dict:
    return _base("conversationUpdate", u, conversation, service_url, membersRemoved=[u.account()],
                 channelData={"tenant": {"id": u.tenant}, "team": {"id": TEAM}, "eventType": "teamMemberRemoved"})


async def test_bind_this_team_then_a_member_who_leaves_it_is_refused(teams: TeamsAiom, clock):
    teams.fake.teams[TEAM] = [SAM.user_id, SUE.user_id, GUS.user_id]
    ada = teams.chat(ADA, conversation=channel(SECURITY, root="700"))
    r = await ada.say("group security bind this team", mention_bot=True)
    assert r.status == 200
    said = " ".join(teams.fake.texts())
    assert f"Security now follows the Teams team {TEAM}: 2 members" in said, said
    assert "sam.security@example.com, sue.new@example.com" in said
    assert "1 of its members show no email address" in said  # the guest never decides
    assert any("pagedmembers" in path for _m, path, _s in teams.fake.calls)

    async with teams.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), business_owner="anna.owner@example.com", tier="high")
        await make_ready(s, teams.app.policy, uc, clock())
    anna = teams.chat(user("Anna Owner", "anna.owner@example.com"))
    await anna.say(f"move UC-{uc.id}")
    await teams.drain()
    card_id = teams.fake.sent_to(SECURITY)[-1].id

    teams.fake.teams[TEAM] = [SAM.user_id, GUS.user_id]  # Sue leaves the team
    r = await teams.post(members_removed(SUE, service_url=teams.service_url, conversation=channel(TEAM)))
    assert r.status in (200, 201)

    def click(who):
        action = next(a for a in card_actions(teams.current_card(card_id)) if a["title"] == "Approve")
        return execute(who, dict(action["data"]), reply_to=card_id, service_url=teams.service_url,
                       conversation=channel(SECURITY, root=card_id))

    r = await teams.post(click(SUE))
    assert "not listed in that group" in r.body["value"]
    assert (await statuses(teams))["security"] == "pending"
    r = await teams.post(click(SAM))
    assert "Recorded" in r.body["value"]
    assert (await statuses(teams))["security"] == "approved"


async def test_binding_outside_a_team_or_a_team_without_aiom_says_what_is_missing(teams: TeamsAiom):
    ada = teams.chat(ADA)
    await ada.say("group security bind this team")
    assert "I can only read a team's members from inside the team" in " ".join(teams.fake.texts())
    in_team = teams.chat(ADA, conversation=channel(SECURITY, root="701"))
    await in_team.say("group security bind this team", mention_bot=True)  # the fake has no roster for it: 403
    assert "I cannot read the members of the team" in " ".join(teams.fake.texts())
    await ada.say("groups")
    assert "Members come from: the policy file" in " ".join(teams.fake.texts())


async def test_channel_here_in_teams_sends_the_next_cards_to_that_channel(teams: TeamsAiom, clock):
    room = "19:secnew@thread.tacv2"
    ada = teams.chat(ADA, conversation=channel(room, root="800"))
    await ada.say("group security channel here", mention_bot=True)
    assert "Security gets its review cards in this channel from now on" in " ".join(teams.fake.texts())
    async with teams.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), business_owner="anna.owner@example.com", tier="high")
        await make_ready(s, teams.app.policy, uc, clock())
    await teams.chat(user("Anna Owner", "anna.owner@example.com")).say(f"move UC-{uc.id}")
    await teams.drain()
    assert any(f"UC-{uc.id}" in c.text for c in teams.fake.sent_to(room))
    assert not teams.fake.sent_to(SECURITY)


async def test_the_periodic_roster_read_follows_a_team_page_by_page(teams: TeamsAiom):
    from bot.teams import roster
    from notifications.group_sync import sweep

    others = [user(f"Member {i}", f"member{i}@example.com") for i in range(7)]
    for u in others:
        teams.fake.add_member(u.user_id, name=u.name, aad=u.aad, email=u.email, tenant=u.tenant)
    teams.fake.teams[TEAM] = [SAM.user_id]
    await teams.chat(ADA, conversation=channel(SECURITY, root="900")).say("group security bind this team",
                                                                        mention_bot=True)
    teams.fake.teams[TEAM] = [SAM.user_id] + [u.user_id for u in others]  # joined while no event reached aiom
    page, roster.PAGE = roster.PAGE, 3
    try:
        assert await sweep(teams.app.notifications) == 1
    finally:
        roster.PAGE = page
    assert sum(1 for _m, path, _s in teams.fake.calls if "pagedmembers" in path) >= 1 + 3  # bind + three pages
    await teams.chat(ADA).say("group security")
    said = " ".join(teams.fake.texts())
    assert "member6@example.com" in said and "sam.security@example.com" in said
