"""`away` and `back` on the platforms: Slack's /aiom command and App Home (with its "I'm back" button, a signed
click on the home view) through the real bolt app, and the Teams personal chat through the real adapter."""
from __future__ import annotations

import itertools
import time

import pytest
from sqlalchemy import select

from storage.tables import Absence
from tests.support.fake_slack import HOME_TEAM
from tests.support.reviewing import flat
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.support.teams_activities import TeamsAiom, user

PAT_U, DAN_U = "U444", "U778"
PAT, DAN = "pat.product@example.com", "dan.deputy@example.com"
_n = itertools.count(1)


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(PAT_U, PAT, "Pat Product", tz="UTC")
    w.fake.add_user(DAN_U, DAN, "Dan Deputy", tz="UTC")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def absences(app) -> list[tuple]:
    async with app.db.read() as s:
        return [(a.until.isoformat(), a.delegate_id is not None) for a in (await s.execute(select(Absence))).scalars()]


def home_click(world: SlackWorld, user: str, view: dict, label: str) -> dict:
    button = next(e for b in view["blocks"] if b.get("type") == "actions" for e in b["elements"]
                  if e["text"]["text"] == label)
    action = {"type": "button", "action_id": button["action_id"], "block_id": "b", "text": button["text"],
              "action_ts": f"{time.time():.6f}", **({"value": button["value"]} if "value" in button else {})}
    return {"type": "block_actions", "user": world.user_json(user), "api_app_id": "AAIOM", "token": "legacy",
            "container": {"type": "view", "view_id": "VHOME"}, "trigger_id": f"trig.h{next(_n)}",
            "team": {"id": HOME_TEAM}, "enterprise": None, "is_enterprise_install": False,
            "view": {**view, "id": "VHOME"}, "actions": [action]}


async def test_away_by_slash_command_shown_in_app_home_and_ended_by_its_button(world: SlackWorld):
    status, _ = await world.command(PAT_U, f"away until 2026-12-24 delegate {DAN}")
    assert status == 200
    await world.settle()
    assert await absences(world.app) == [("2026-12-24", True)]
    assert "named you as their delegate" in flat(world.seen_in(dm_channel(DAN_U)))
    view = await world.open_home(PAT_U)
    text = flat(world.fake.seen_text([world.calls("views.publish")[-1]]))
    assert "You are away until 24 Dec 2026: your reminders are held and dan.deputy@example.com stands in for you." in text
    status, _ = await world.interact(home_click(world, PAT_U, view, "I'm back"))
    assert status == 200
    await world.settle()
    assert await absences(world.app) == []
    assert "Welcome back" in flat(world.seen_in(dm_channel(PAT_U)))
    await world.open_home(PAT_U)
    assert "Going away?" in flat(world.fake.seen_text([world.calls("views.publish")[-1]]))


async def test_away_and_back_in_a_slack_dm_with_wrong_input_first(world: SlackWorld):
    await world.dm(PAT_U, "away until someday")
    assert "I could not read that as a date" in flat(world.seen_in(dm_channel(PAT_U)))
    assert await absences(world.app) == []
    await world.dm(PAT_U, "away until 24 Dec 2026")
    assert "you are away until 24 Dec 2026" in flat(world.seen_in(dm_channel(PAT_U)))
    assert await absences(world.app) == [("2026-12-24", False)]


async def test_away_and_back_in_the_teams_personal_chat(db_url, policy, clock):
    t = await TeamsAiom.start(db_url, policy=policy, clock=clock)
    try:
        pat = t.chat(user("Pat Product", PAT))
        t.chat(user("Dan Deputy", DAN))
        turn = await pat.say(f"away until 2026-12-24 delegate {DAN}")
        assert "you are away until 24 Dec 2026" in flat(turn.text), turn.text
        assert await absences(t.app) == [("2026-12-24", True)]
        turn = await pat.click("I'm back")
        assert "Welcome back" in flat(turn.text), turn.text
        assert await absences(t.app) == []
    finally:
        await t.stop()


async def test_a_delegate_approves_on_the_slack_card_for_the_away_member(world: SlackWorld, clock):
    from tests.support import factories
    from tests.support.reviewing import make_ready

    world.fake.add_user("U222", "anna.owner@example.com", "Anna Owner", tz="UTC")
    await world.dm(PAT_U, f"away until 2026-12-24 delegate <@{DAN_U}>")
    assert "Dan Deputy receives your reminders meanwhile" in flat(world.seen_in(dm_channel(PAT_U)))
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), tier="low")
        await make_ready(s, world.app.policy, uc, clock())
    await world.dm("U222", f"move UC-{uc.id}")
    card = world.last("CPRODUCT", with_button="Approve")
    assert "has a new review" in flat(world.seen_in(dm_channel(DAN_U)))
    status, _ = await world.click(DAN_U, "Approve", card)
    assert status == 200
    await world.settle()
    shown = flat(world.screens[("CPRODUCT", card.ts)].all_text)
    assert f"Approved by Dan Deputy for {PAT} (away)" in shown, shown


async def test_a_delegate_approves_on_the_teams_card_for_the_away_member(db_url, policy, clock):
    from tests.support.fake_connector import card_actions, card_text, unescape
    from tests.support.teams_activities import channel, execute
    from tests.test_teams_reviews import PRODUCT, _review_card

    t = await TeamsAiom.start(db_url, policy=policy, clock=clock)
    try:
        pat = t.chat(user("Pat Product", PAT))
        await pat.say(f"away until 2026-12-24 delegate {DAN}")
        uc_id, card_id = await _review_card(t, clock)
        dan = user("Dan Deputy", DAN)
        t.fake.add_member(dan.user_id, name=dan.name, aad=dan.aad, email=dan.email, tenant=dan.tenant)
        action = next(a for a in card_actions(t.current_card(card_id)) if a["title"] == "Approve")
        r = await t.post(execute(dan, dict(action["data"]), reply_to=card_id, service_url=t.service_url,
                                 conversation=channel(PRODUCT, root=card_id)))
        assert "Recorded" in r.body["value"], r.body
        await t.drain()
        shown = flat(unescape(card_text(t.current_card(card_id))))
        assert f"for {PAT} (away)" in shown, shown
    finally:
        await t.stop()
