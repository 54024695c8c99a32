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


async def test_long_choices_are_written_out_in_full_with_short_buttons(teams: TeamsAiom):
    from tests.support.fake_connector import card_actions
    from tests.test_teams_intake import TYPED

    zoe = teams.chat(user("Zoe Proposer", "zoe@example.com"))
    await zoe.say("propose")
    for key in ("title", "problem", "outcome", "value_stream"):
        await zoe.say(TYPED[key])
    await zoe.click("Operational excellence")
    await zoe.say(TYPED["affected_users"])
    await zoe.say(TYPED["data_used"])
    await zoe.click("Within 3 months")
    await zoe.say("anna.owner@example.com")
    await zoe.say("bob.delivery@example.com")
    await zoe.click("Skip")
    seen_long = False
    for _ in range(6):  # the risk questions, each answered with its first option
        mid, _act = zoe.find("Back")
        card = teams.current_card(mid)
        options = [a for a in card_actions(card) if not a["data"]["p"].get("c", "!").startswith("!")]
        body = " ".join(b.get("text", "") for b in card["body"] if b["type"] == "TextBlock")
        for a in options:
            assert len(a["title"]) <= 40, a["title"]
            if a["title"].endswith("…"):
                seen_long = True
        if "How much does it decide on its own" in body:
            assert "It recommends decisions about people or money and a person reviews them" in body
            assert any(a["title"] == "It recommends decisions about people…" for a in options), \
                [a["title"] for a in options]
        await zoe.click(options[0]["title"])
    assert seen_long


async def test_a_form_opened_from_an_information_card_keeps_the_card(teams: TeamsAiom, clock):
    """Record review on a readiness summary: the summary stays, the form comes below it."""
    from tests.support import factories

    async with teams.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), stage="pilot")
    anna = teams.chat(user("Anna Owner", "anna.owner@example.com"))
    await anna.say(f"score UC-{uc.id} readiness")
    for _ in range(17):
        await anna.click("4 · Mostly ready")
    r = await anna.click("1 · Not in place")
    summary_id, _ = anna.find("Record review: Executive visibility")
    before = teams.current_card(summary_id)
    r = await anna.click("Record review: Executive visibility")
    assert r.answer_card is None and not r.updates  # the summary was not replaced
    assert teams.current_card(summary_id) == before
    assert "is below" in r.body["value"]
    assert any("Review note" in s.text or "Record a review" in s.text for s in r.sent)
