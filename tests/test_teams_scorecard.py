"""A scorecard in Teams: one card, answered with Action.Execute, updated in place on every click."""
from __future__ import annotations

from storage.repo import instruments
from tests.support import factories
from tests.support.fake_connector import card_actions, card_text, unescape
from tests.support.teams_activities import TeamsAiom, execute, teams, user  # noqa: F401,F811 (fixture)


async def test_scorecard_answers_update_the_same_card_in_place(teams: TeamsAiom):
    async with teams.app.db.write() as s:
        uc = await factories.use_case(s, business_owner="anna.owner@example.com")
    anna = teams.chat(user("Anna Owner", "anna.owner@example.com"))
    r = await anna.say(f"score UC-{uc.id} pilot")
    assert len(r.sent) == 1
    card_id = r.sent[0].id
    assert "Pilot selection" in r.text and "area 1 of 12" in r.text

    for n in range(1, 13):
        mid, action = anna.find("3 ·")
        assert mid == card_id  # always the one scorecard message
        r = await teams.post(execute(anna.user, dict(action["data"]), reply_to=mid, service_url=teams.service_url))
        assert r.status == 200 and not r.sent
        # the clicker sees the new card at once; everyone else through the update of the same message
        assert [u.activity_id for u in r.updates] == [card_id]
        assert r.answer_card == r.updates[0].card
        if n < 12:
            assert f"area {n + 1} of 12" in unescape(card_text(r.answer_card))

    final = teams.current_card(card_id)
    assert "36" in unescape(card_text(final))  # 12 areas at 3: the total
    assert not [a for a in card_actions(final) if a["data"]["aiom"] == "scorecard.answer"]
    async with teams.app.db.read() as s:
        sc = await instruments.latest(s, uc.id, "pilot_selection")
        assert sc.status == "complete" and len(await instruments.answers(s, sc.id)) == 12


async def test_someone_else_clicking_the_scorecard_is_refused_privately(teams: TeamsAiom):
    async with teams.app.db.write() as s:
        uc = await factories.use_case(s, business_owner="anna.owner@example.com")
    anna = teams.chat(user("Anna Owner", "anna.owner@example.com"))
    r = await anna.say(f"score UC-{uc.id} pilot")
    card_id = r.sent[0].id
    mid, action = anna.find("3 ·")
    mallory = teams.chat(user("Mallory", "mallory@example.com"), conversation=anna.conversation)
    r = await teams.post(execute(mallory.user, dict(action["data"]), reply_to=mid, service_url=teams.service_url,
                                 conversation=anna.conversation))
    # only the clicker sees the refusal (the invoke's message answer); the card is untouched
    assert r.body["type"] == "application/vnd.microsoft.activity.message"
    assert "Only the business owner or delivery owner" in r.body["value"]
    assert not r.updates and not r.sent
    assert teams.current_card(card_id) == teams.fake.sent[0].card
