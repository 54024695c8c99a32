"""Adaptive Cards: every card aiom sends validates against the 1.5 schema, stays under Teams' size limit,
and user text cannot inject markdown or mentions."""
from __future__ import annotations

import json

from bot.teams.render import render, render_form, render_submitted_form
from bot.teams.render.escape import md
from bot.teams.render.cards import CARD_BUDGET, size_of
from vocabulary.messages import (
    Button,
    Buttons,
    Confirm,
    Context,
    Divider,
    Facts,
    Form,
    FormField,
    Header,
    Image,
    Link,
    Mention,
    Message,
    Strong,
    Text,
)
from tests.support.fake_connector import card_text, unescape
from tests.support.teams_activities import (  # noqa: F401,F811 (the teams fixture)
    TeamsAiom, card_problems, schema, teams, user,
)
from tests.test_teams_forms import GOOD
from tests.test_teams_intake import propose_in_teams

TEAMS_LIMIT = 28 * 1024

HAND_BUILT = [
    Message([Header("Review: UC-7 Claims triage"), Text(["Owner ", Mention(3, "Anna"), " asks for ",
                                                        Strong("pilot"), " — see ",
                                                        Link("https://example.com/uc/7", "the record")]),
             Facts([("Tier", "High"), ("Band", "Moderate (62)")]), Divider(), Context("Due in 5 days"),
             Buttons([Button("Approve", "review.approve", {"r": 7}, style="primary"),
                      Button("Stop", "review.stop", {"r": 7}, style="danger",
                             confirm=Confirm("Stop UC-7?", "Everyone involved is told why.", yes="Stop it")),
                      Button("Details", "review.details", {"r": 7}),
                      Button("Open", "x", url="https://example.com/uc/7")]),
             Image("https://example.com/chart.png", "KPI chart")]),
    Message([Text(["muted text"], muted=True)]),
    Message([Buttons([Button(f"Option {i}", "flow", {"s": 1, "v": 2, "c": str(i)}) for i in range(14)])]),
    Message([]),
]

FORM = Form("risk.add", "Add a risk", [
    FormField("area", "Risk area", type="select", options=[("privacy", "Data privacy"), ("bias", "Bias")]),
    FormField("description", "What could go wrong", type="multiline", max_length=2000, hint="Plainly"),
    FormField("likelihood", "Likelihood (1-5)", type="number", min_value=1, max_value=5),
    FormField("review_by", "Review by", type="date", optional=True),
    FormField("owner", "Owner", type="person", placeholder="name@example.com"),
    FormField("contact", "Contact", type="email", optional=True),
], payload={"uc": 3})


def test_hand_built_messages_and_forms_validate():
    validator = schema("adaptive-card-1.5.schema.json")
    cards = [render(m) for m in HAND_BUILT]
    cards.append(render_form(FORM))
    cards.append(render_form(FORM, values={"area": "bias", "likelihood": "3", "review_by": "2027-01-31",
                                           "owner": "x"}, errors={"owner": "Please give an email."}))
    cards.append(render_submitted_form(FORM, {"area": "bias", "description": "d", "owner": "a@example.com"}))
    for card in cards:
        assert card_problems(validator, card) == [], json.dumps(card)[:400]
        assert card["version"] == "1.5"


async def test_cards_sent_in_teams_validate_against_the_schema(teams: TeamsAiom):
    """Whole intake, form path and a fallback answer through the real adapter: every card sent, updated or answered."""
    validator = schema("adaptive-card-1.5.schema.json")
    await propose_in_teams(teams, teams.chat(user("Zoe Proposer", "zoe@example.com")))
    eve = teams.chat(user("Eve", "eve@example.com"))
    await eve.say("propose")
    answers = [await eve.click("Fill in a form instead")]
    answers += [await eve.submit(dict(GOOD, title="x")), await eve.submit(GOOD)]
    await eve.say("something odd")
    cards = [s.card for s in teams.fake.sent if s.card] + [u.card for u in teams.fake.updates if u.card]
    cards += [t.answer_card for t in answers if t.answer_card]
    assert len(cards) > 40
    for card in cards:
        assert card_problems(validator, card) == [], json.dumps(card)[:400]
        assert size_of(card) < TEAMS_LIMIT


async def test_every_message_the_flows_produce_renders_to_a_valid_card(harness):
    """The neutral flows (driven through the console harness) render to valid cards too."""
    from tests.test_intake import ANSWERS

    validator = schema("adaptive-card-1.5.schema.json")
    zoe = harness.person("zoe@example.com")
    seen = [await zoe.say("hello"), await zoe.say("propose")]
    for a in ANSWERS:
        seen.append(await zoe.say(a))
    for _ in range(6):
        seen.append(await zoe.say("1"))
    seen.append(await zoe.click("That tier is right"))
    seen.append(await zoe.click("Change an answer"))
    seen.append(await zoe.click("Name"))
    seen.append(await zoe.say("A better name"))
    seen.append(await zoe.click("Submit the idea"))
    messages = [op.message for s in seen for op in s.outcome.ops if hasattr(op, "message")]
    messages += [m for _, m, _ in harness.out.posts] + [m for _, m in harness.out.dms]
    forms = [op.form for s in seen for op in s.outcome.ops if hasattr(op, "form")]
    assert len(messages) > 30
    for m in messages:
        assert card_problems(validator, render(m)) == []
    for f in forms:
        assert card_problems(validator, render_form(f)) == []


def test_user_text_cannot_inject_markdown_links_emphasis_or_mentions():
    evil = "[click here](https://evil.example) **urgent** <at>CEO</at> # heading\n1. list & &lt;at&gt;"
    card = render(Message([Text(["Idea: ", evil]), Facts([("Name", evil)]), Header(evil)]))
    raw = json.dumps(card)
    assert "<at>" not in raw.lower() and "&lt;at&gt;" not in raw
    assert "\u200b" in card["fallbackText"]  # the plain-text fallback is neutralised too
    shown = json.dumps(card["body"])  # what Teams renders as markdown (fallbackText is plain text)
    assert "[click here](" not in shown and "**urgent**" not in shown
    body = card["body"]
    assert body[0]["text"].startswith("Idea: \\[click here\\]\\(https://evil\\.example\\) \\*\\*urgent\\*\\*")
    assert "\\# heading" in body[0]["text"] and "1\\. list" in body[0]["text"]
    # what Teams shows is exactly what was typed (the zero-width space aside)
    assert unescape(body[0]["text"]) == "Idea: " + evil.replace("\n", "\n")
    # aiom's own emphasis and links still work
    own = render(Message([Text([Strong("UC-1"), " ", Link("https://example.com/a_(b)", "record")])]))
    assert own["body"][0]["text"] == "**UC\\-1** [record](https://example.com/a_%28b%29)"
    assert md("a*b") == "a\\*b"


def test_links_with_unsafe_schemes_are_shown_as_plain_text():
    card = render(Message([Text([Link("javascript:alert(1)", "x")]), Image("data:image/png;base64,AA", "y")]))
    assert card["body"] == [{"type": "TextBlock", "text": "x", "wrap": True}]


def test_long_lists_are_trimmed_to_fit_teams_size_limit():
    facts = [(f"UC-{i} a use case with a long name", "x" * 300) for i in range(400)]
    card = render(Message([Header("Portfolio"), Facts(facts), Text(["y" * 50000])]))
    assert size_of(card) <= CARD_BUDGET < TEAMS_LIMIT
    text = card_text(card)
    assert "and " in text and " more" in text
    shown = card["body"][1]["facts"]
    assert shown[-1]["title"] == "…" and shown[-1]["value"] == f"and {400 - (len(shown) - 1)} more"
    assert len(shown) > 5


async def test_review_and_scorecard_cards_validate_too(teams: TeamsAiom, clock):
    """Review cards (posted, decided, updated), forms from a channel card and a scorecard, through the adapter."""
    from tests.test_teams_reviews import PRODUCT, _click_on_card, _review_card

    validator = schema("adaptive-card-1.5.schema.json")
    uc_id, card_id = await _review_card(teams, clock)
    pia = user("Pia Product", "pia.product@example.com")
    teams.fake.add_member(pia.user_id, name=pia.name, aad=pia.aad, email=pia.email, tenant=pia.tenant)
    answers = [await teams.post(_click_on_card(teams, pia, card_id, "Details")),
               await teams.post(_click_on_card(teams, pia, card_id, "Ask for more information")),
               await teams.post(_click_on_card(teams, pia, card_id, "Approve"))]
    await teams.drain()
    anna = teams.chat(user("Anna Owner", "anna.owner@example.com"))
    await anna.say(f"score UC-{uc_id} readiness")
    await anna.click("Review answers")
    await anna.say(f"status UC-{uc_id}")
    await anna.say("my")
    await anna.say("portfolio")
    await anna.say("help")
    cards = [s.card for s in teams.fake.sent if s.card] + [u.card for u in teams.fake.updates if u.card]
    cards += [t.answer_card for t in answers if t.answer_card]
    assert len(cards) >= 8 and any(PRODUCT == s.conversation_id for s in teams.fake.sent)
    for card in cards:
        assert card_problems(validator, card) == [], json.dumps(card)[:400]
        assert size_of(card) < TEAMS_LIMIT
