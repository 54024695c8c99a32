"""Proposing an idea in Teams, through the real botbuilder adapter over HTTP against a fake connector."""
from __future__ import annotations

from sqlalchemy import select

from storage import audit
from storage.repo import conversation_refs, people
from storage.tables import UseCase
from tests.support.fake_connector import card_actions
from tests.support.teams_activities import TeamsAiom, teams, user  # noqa: F401,F811 (fixture)

TYPED = {
    "title": "Claims triage assistant",
    "problem": "Claims handlers spend two hours a day sorting new claims by urgency before any work starts.",
    "outcome": "Cut claims triage time by 30% while keeping human review for high-risk cases",
    "value_stream": "Claims handling",
    "affected_users": "Motor claims handlers, about 40 people",
    "data_used": "Claim forms and customer emails",
}


async def propose_in_teams(t: TeamsAiom, chat, anna_mention=None) -> None:
    """Answer every intake question the way a Teams user would: typing, clicking, mentioning."""
    r = await chat.say("propose", timezone="Europe/London")
    assert r.status == 200 and "What should we call this idea" in r.text
    await chat.say(TYPED["title"])
    await chat.say(TYPED["problem"])
    await chat.say(TYPED["outcome"])
    r = await chat.say(TYPED["value_stream"])
    assert "strategic theme" in r.text
    await chat.click("Operational excellence")
    await chat.say(TYPED["affected_users"])
    r = await chat.say(TYPED["data_used"])  # vendor involvement is one of the risk questions now
    assert "When would you like to see it working" in r.text
    await chat.click("Within 3 months")
    if anna_mention is not None:
        r = await chat.say(f"<at>{anna_mention.name}</at>", mentions=[anna_mention])
    else:
        r = await chat.say("anna.owner@example.com")
    assert "delivery owner" in r.text
    await chat.say("bob.delivery@example.com")
    r = await chat.click("Skip")
    for _ in range(6):  # the risk questions: the first option each time
        mid, _act = chat.find("Back")
        card = t.current_card(mid)
        first = next(a for a in card_actions(card) if a["data"]["p"].get("c", "!").startswith("!") is False)
        r = await chat.click(first["title"])
    assert "LOW risk" in r.text
    r = await chat.click("That tier is right")
    assert "please check" in r.text
    r = await chat.click("Submit the idea")
    assert "UC-1 submitted" in r.text


async def test_whole_intake_in_personal_chat_creates_the_use_case(teams: TeamsAiom):
    zoe = teams.chat(user("Zoe Proposer", "zoe@example.com"))
    anna = user("Anna Owner", "anna.owner@example.com")
    teams.fake.add_member(anna.user_id, name=anna.name, aad=anna.aad, email=anna.email, tenant=anna.tenant)
    await propose_in_teams(teams, zoe, anna_mention=anna)

    async with teams.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
        assert (uc.title, uc.stage, uc.risk_tier) == ("Claims triage assistant", "exploration", "low")
        assert uc.outcome == TYPED["outcome"]
        proposer = await people.get(s, uc.proposer_id)
        owner = await people.get(s, uc.business_owner_id)
        # the proposer is the roster's email, with the time zone Teams reported; the owner came from a mention
        assert (proposer.email, proposer.timezone, proposer.display_name) == \
            ("zoe@example.com", "Europe/London", "Zoe Proposer")
        assert owner.email == "anna.owner@example.com"
        ident = await people.identity(s, "teams", zoe.user.tenant, zoe.user.aad)
        assert ident.person_id == proposer.id and ident.extra["id"] == zoe.user.user_id
        ref = await conversation_refs.personal_for(s, "teams", proposer.id)
        assert ref is not None and ref.service_url == teams.service_url and ref.conversation_id == zoe.base
        _, problems = await audit.verify(s)
        assert problems == []

    # Every answered question was replaced in place: the only buttons left are the submitted idea's.
    cards = teams.cards_in(zoe.base)
    with_buttons = [(mid, c) for mid, c in cards if card_actions(c)]
    assert len(cards) > 15
    assert len(with_buttons) == 1, [teams.fake.sent[[s.id for s in teams.fake.sent].index(m)].text
                                    for m, _ in with_buttons]
    assert "UC-1 submitted" in teams.fake.sent_to(zoe.base)[-1].text


async def test_a_channel_mention_is_answered_in_its_thread_without_the_bot_mention(teams: TeamsAiom):
    from tests.support.teams_activities import channel

    pat = teams.chat(user("Pat Product", "pat.product@example.com"),
                     conversation=channel("19:product@thread.tacv2", root="1555"))
    r = await pat.say("hello", mention_bot=True)
    assert r.status == 200
    assert [s.conversation_id for s in r.sent] == ["19:product@thread.tacv2;messageid=1555"]
    # the bot's own mention was removed: "hello" was understood as the greeting, not as unknown text
    assert "Hello Pat, I'm aiom" in r.text and "did not understand" not in r.text
    async with teams.app.db.read() as s:
        ref = await conversation_refs.get(s, "teams", "19:product@thread.tacv2")
        assert ref is not None and ref.kind == "channel" and ref.reference["conversation"]["id"] == \
            "19:product@thread.tacv2"
