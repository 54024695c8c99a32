"""Teams presentation: what a click on a shared channel card tells the clicker."""
from __future__ import annotations

from tests.support.teams_activities import (  # noqa: F401,F811 (the teams fixture)
    TeamsAiom, teams, user,
)
from tests.test_teams_reviews import _click_on_card, _review_card


async def test_details_on_a_channel_card_says_where_the_details_went(teams: TeamsAiom, clock):
    uc_id, card_id = await _review_card(teams, clock)
    pia = user("Pia Product", "pia.product@example.com")
    teams.fake.add_member(pia.user_id, name=pia.name, aad=pia.aad, email=pia.email, tenant=pia.tenant)
    r = await teams.post(_click_on_card(teams, pia, card_id, "Details"))
    assert r.body["type"] == "application/vnd.microsoft.activity.message"
    assert r.body["value"] != "Done." and "in our private chat" in r.body["value"], r.body
    dm = f"a:dm-{pia.user_id}"
    assert r.sent and all(s.conversation_id == dm for s in r.sent)  # the details themselves, privately
