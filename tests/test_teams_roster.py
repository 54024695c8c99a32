"""Who a Teams user is, over time: the roster is asked again after an hour (a changed email or guest role is
picked up), someone the roster does not know costs one look-up every few minutes, not one per message; and the
home tenant - whose members may decide reviews - is the configured one, never whoever wrote first."""
from __future__ import annotations

import logging

from bot.config import load_settings
from bot.teams.identity import NO_HOME_WARNING, Directory, home_rule
from storage.repo import use_cases
from tests.support.teams_activities import (  # noqa: F401,F811 (the teams fixture)
    OTHER_TENANT, TENANT, TeamsAiom, channel, runtime, teams, user,
)
from tests.test_teams_auth import APP_ID, AUTH_ENV
from tests.test_teams_reviews import PRODUCT, _click_on_card, _review_card

PIA = user("Pia Product", "pia.product@example.com")
GUESTS_REFUSED = "People from another workspace or organisation can see this review but cannot decide it"


def _lookups(t: TeamsAiom, u) -> int:
    return sum(1 for _, uid in t.fake.member_lookups if uid == u.user_id)


async def test_the_roster_is_asked_once_an_hour_per_person(teams: TeamsAiom, clock):
    amy = teams.chat(user("Amy", "amy@example.com"))
    for text in ("hello", "help", "my"):
        assert (await amy.say(text)).status == 200
    assert _lookups(teams, amy.user) == 1
    clock.advance(minutes=59)
    await amy.say("help")
    assert _lookups(teams, amy.user) == 1
    clock.advance(minutes=2)
    await amy.say("help")
    assert _lookups(teams, amy.user) == 2


async def test_someone_missing_from_the_roster_is_not_looked_up_on_every_message(teams: TeamsAiom, clock):
    ghost = teams.chat(user("Ghost", "ghost@example.com"), in_roster=False)
    for text in ("hello", "help", "my"):
        r = await ghost.say(text)
        assert r.status == 200 and r.sent  # still answered, just without an email
    assert _lookups(teams, ghost.user) == 1
    clock.advance(minutes=11)  # joined the team since? asked again after a few minutes
    teams.fake.add_member(ghost.user.user_id, name="Ghost", aad=ghost.user.aad, email="ghost@example.com",
                          tenant=TENANT)
    await ghost.say("help")
    assert _lookups(teams, ghost.user) == 2
    await ghost.say("help")
    assert _lookups(teams, ghost.user) == 2


async def test_a_changed_email_or_guest_role_is_picked_up_within_the_hour(teams: TeamsAiom, clock):
    uc_id, card_id = await _review_card(teams, clock)
    teams.fake.add_member(PIA.user_id, name=PIA.name, aad=PIA.aad, email="pia.old@example.com", tenant=TENANT)
    r = await teams.post(_click_on_card(teams, PIA, card_id, "Approve"))
    assert "not listed in that group" in r.body["value"]  # the roster still has her old address

    teams.fake.add_member(PIA.user_id, name=PIA.name, aad=PIA.aad, email=PIA.email, tenant=TENANT)  # fixed in Entra
    clock.advance(minutes=30)
    r = await teams.post(_click_on_card(teams, PIA, card_id, "Approve"))
    assert "not listed in that group" in r.body["value"]  # within the hour the cached roster answer stands
    clock.advance(minutes=31)
    r = await teams.post(_click_on_card(teams, PIA, card_id, "Details"))  # any turn refreshes her roster entry
    teams.fake.add_member(PIA.user_id, name=PIA.name, aad=PIA.aad, email=PIA.email, tenant=TENANT, role="guest")
    r = await teams.post(_click_on_card(teams, PIA, card_id, "Approve"))
    assert "Recorded" in r.body["value"], r.body  # the new address counts (her guest role is not seen yet)
    async with teams.app.db.read() as s:
        assert (await use_cases.get(s, uc_id)).stage == "pilot"

    # made a guest in Entra: after the hour she is one in aiom too
    clock.advance(minutes=61)
    amy_card = await _second_review(teams, clock)
    r = await teams.post(_click_on_card(teams, PIA, amy_card, "Approve"))
    assert GUESTS_REFUSED in r.body["value"]


async def _second_review(t: TeamsAiom, clock) -> str:
    from tests.support import factories
    from tests.support.reviewing import make_ready

    async with t.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), title="Second idea", business_owner="anna.owner@example.com",
                                      tier="low")
        await make_ready(s, t.app.policy, uc, clock())
    anna = t.chat(user("Anna Owner", "anna.owner@example.com"))
    assert "review requested" in (await anna.say(f"move UC-{uc.id}")).text.lower()
    await t.drain()
    return t.fake.sent_to(PRODUCT)[-1].id


# -- the home tenant ------------------------------------------------------------------------------------------
def test_with_an_app_id_the_home_tenant_is_the_configured_one():
    with_tenant = home_rule(load_settings({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "x",
                                           "MICROSOFT_APP_TENANT_ID": TENANT}, env_file=None))
    assert (with_tenant.configured, with_tenant.learn_first, with_tenant.warning) == (TENANT, False, None)
    without = home_rule(load_settings({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "x"}, env_file=None))
    assert (without.configured, without.learn_first, without.warning) == (None, False, NO_HOME_WARNING)
    dev = home_rule(load_settings({"AIOM_TEAMS_ANONYMOUS": "1"}, env_file=None))
    assert (dev.configured, dev.learn_first) == (None, True)  # development: the first tenant seen (documented)


async def test_without_a_tenant_id_aiom_says_at_start_that_nobody_can_decide_yet(db_url, policy, caplog):
    caplog.set_level(logging.WARNING, logger="bot.teams")
    t = await TeamsAiom.start(db_url, policy=policy, env=AUTH_ENV)
    try:
        assert any(r.getMessage() == NO_HOME_WARNING for r in caplog.records)
        assert "MICROSOFT_APP_TENANT_ID" in NO_HOME_WARNING and "cannot decide reviews" in NO_HOME_WARNING
    finally:
        await t.stop()
    caplog.clear()
    t = await TeamsAiom.start(db_url, policy=policy, env={**AUTH_ENV, "MICROSOFT_APP_TENANT_ID": TENANT})
    try:
        assert not any(r.getMessage() == NO_HOME_WARNING for r in caplog.records)
    finally:
        await t.stop()


def _directory_as_configured(t: TeamsAiom, env: dict) -> None:
    """Teams' directory as `attach` builds it for these settings (this aiom runs anonymous: no token needed)."""
    rt = runtime(t)
    rt.directory = Directory(t.app.db, home_rule(load_settings(env, env_file=None)), clock=t.app.clock)


async def test_a_partner_tenant_writing_first_does_not_become_home(teams: TeamsAiom, clock):
    _directory_as_configured(teams, {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "x",
                                     "MICROSOFT_APP_TENANT_ID": TENANT})
    partner = user("Pat Elsewhere", "pat.product@example.com", tenant=OTHER_TENANT)
    shared = teams.chat(partner, conversation=channel("19:shared@thread.tacv2", tenant=OTHER_TENANT))
    assert (await shared.say("hello", mention_bot=True)).status == 200  # the very first message aiom gets
    uc_id, card_id = await _review_card(teams, clock)
    r = await teams.post(_click_on_card(teams, partner, card_id, "Approve"))
    assert GUESTS_REFUSED in r.body["value"]
    teams.fake.add_member(PIA.user_id, name=PIA.name, aad=PIA.aad, email=PIA.email, tenant=TENANT)
    r = await teams.post(_click_on_card(teams, PIA, card_id, "Approve"))
    assert "Recorded" in r.body["value"], r.body  # the organisation's own staff decide
    async with teams.app.db.read() as s:
        assert (await use_cases.get(s, uc_id)).stage == "pilot"


async def test_with_authentication_and_no_tenant_id_nobody_in_teams_may_decide(teams: TeamsAiom, clock):
    uc_id, card_id = await _review_card(teams, clock)  # everyone here writes from the organisation's tenant
    _directory_as_configured(teams, {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "x"})
    teams.fake.add_member(PIA.user_id, name=PIA.name, aad=PIA.aad, email=PIA.email, tenant=TENANT)
    r = await teams.post(_click_on_card(teams, PIA, card_id, "Approve"))
    assert GUESTS_REFUSED in r.body["value"]
    async with teams.app.db.read() as s:
        assert (await use_cases.get(s, uc_id)).stage == "exploration"
