"""The personal-chat commands in Teams say what a person needs (my, portfolio, help), and every command of the
app's command menu (manifest/teams/manifest.json) works in the scope it is listed for."""
from __future__ import annotations

import json

import pytest

from bot.teams.package import MANIFEST_DIR
from tests.support import factories
from tests.support.fake_connector import card_actions
from tests.support.teams_activities import TeamsAiom, channel, teams, user  # noqa: F401,F811 (the teams fixture)
from tests.test_teams_reviews import _review_card

ZOE, ANNA = user("Zoe Proposer", "zoe@example.com"), user("Anna Owner", "anna.owner@example.com")
PIA, LENA = user("Pia Product", "pia.product@example.com"), user("Lena Lead", "lena.lead@example.com")
NOT_UNDERSTOOD = "did not understand"


def _labels(turn) -> list[str]:
    return [a["title"] for s in turn.sent for a in card_actions(s.card)]


async def _portfolio(t: TeamsAiom, clock) -> tuple[int, int, int]:
    """UC-1 waits for the product group's review; UC-2 has a half-answered scorecard; UC-3 is a pilot."""
    uc1, _card = await _review_card(t, clock)
    async with t.app.db.write() as s:
        uc2 = await factories.use_case(s, now=clock(), title="Invoice matching", business_owner=ANNA.email,
                                       proposer=ZOE.email)
        uc3 = await factories.use_case(s, now=clock(), title="Contract summariser", stage="pilot",
                                       proposer="pat.product@example.com")
    anna = t.chat(ANNA)
    await anna.say(f"score UC-{uc2.id} pilot")
    await anna.click("3 ·")
    return uc1, uc2.id, uc3.id


async def test_my_shows_each_persons_ideas_reviews_and_scorecards(teams: TeamsAiom, clock):
    uc1, uc2, uc3 = await _portfolio(teams, clock)

    r = await teams.chat(ZOE).say("my")
    text = r.text
    assert "Your AI ideas" in text
    assert f"UC-{uc1} · Claims triage assistant" in text and f"UC-{uc2} · Invoice matching" in text
    assert f"UC-{uc3}" not in text  # Pat's idea, not Zoe's
    assert "you: proposer" in text and "Next:" in text
    assert {f"Status UC-{uc1}", f"Status UC-{uc2}"} <= set(_labels(r))
    assert "No reviews are waiting for you" in text and "No scorecards are waiting for your answers" in text

    r = await teams.chat(ANNA).say("my")
    assert "business owner" in r.text
    assert "Scorecards you still owe" in r.text and f"UC-{uc2} · Pilot selection 1/12" in r.text
    assert f"Continue UC-{uc2} pilot selection" in _labels(r)

    r = await teams.chat(PIA).say("my")
    assert "You are not part of any idea yet" in r.text
    assert "Reviews waiting for you" in r.text and f"UC-{uc1} · Claims triage assistant" in r.text
    assert "review · due" in r.text


async def test_portfolio_counts_every_use_case_by_stage_and_names_what_needs_a_decision(teams: TeamsAiom, clock):
    uc1, uc2, uc3 = await _portfolio(teams, clock)
    r = await teams.chat(LENA).say("portfolio")
    text = r.text
    assert "AI portfolio" in text and "3 use cases" in text
    assert "Exploration: 2" in text and "Pilot: 1" in text
    assert "Needing a decision now" in text and f"UC-{uc1}" in text
    assert f"Status UC-{uc1}" in _labels(r)


async def test_help_says_what_aiom_does_and_lists_every_command(teams: TeamsAiom):
    zoe = teams.chat(ZOE)
    r = await zoe.say("help")
    assert "What I can do" in r.text and "Propose" in r.text and "Score" in r.text
    assert {"Propose an AI idea", "My ideas", "Portfolio", "All commands"} <= set(_labels(r))
    card_id = r.sent[0].id
    r = await zoe.click("All commands")
    assert not r.sent and [u.activity_id for u in r.updates] == [card_id]  # the same card turns the page
    for command in ("propose", "my", "status UC-4", "score UC-4", "portfolio", "help"):
        assert f"• {command}" in r.text, command


def _menu() -> list[tuple[str, str]]:
    doc = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    return [(scope, c["title"]) for cl in doc["bots"][0]["commandLists"] for scope in cl["scopes"]
            for c in cl["commands"]]


EXPECTED = {"propose": "Let's capture your AI idea", "status": "Your AI ideas", "my": "Your AI ideas",
            "portfolio": "AI portfolio", "help": "What I can do"}


@pytest.mark.parametrize("scope,command", _menu())
async def test_every_command_of_the_app_menu_works(teams: TeamsAiom, scope, command):
    """Teams' command menu sends the command's title as the message (after an @mention in a channel)."""
    assert command in EXPECTED, f"the manifest lists {command!r}: add what it should answer here"
    pat = user("Pat Product", "pat.product@example.com")
    if scope == "personal":
        r = await teams.chat(pat).say(command)
        where = f"a:personal-{pat.aad}"
    else:
        r = await teams.chat(pat, conversation=channel("19:product@thread.tacv2", root="1234")).say(
            command, mention_bot=True)
        where = "19:product@thread.tacv2;messageid=1234"
    assert r.status == 200 and EXPECTED[command] in r.text, r.text
    assert NOT_UNDERSTOOD not in r.text
    assert {s.conversation_id for s in r.sent} == {where}  # answered where it was asked
