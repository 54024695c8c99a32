"""Every kind of card aiom sends in Teams stays within Teams' 28 KB message limit and shows people's text as
text, with a portfolio of hundreds of use cases whose every field is as long as aiom allows and full of markup
(markdown links and emphasis, <at> mention tags, HTML, entities, emoji)."""
from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from typing import Any

from bot.teams.render import render, render_form
from bot.teams.render.cards import size_of
from vocabulary.messages import Button, Buttons, Confirm, Context, Facts, Form, FormField, Header, Message, Text
from notifications.digest import runs
from storage.tables import RiskEntry
from tests.support import factories
from tests.support.fake_connector import card_actions
from tests.support.reviewing import make_ready
from tests.support.teams_activities import (  # noqa: F401,F811 (the teams fixture)
    TeamsAiom, card_problems, channel, schema, teams, user,
)

TEAMS_LIMIT = 28 * 1024
EVIL = ("[Approve now](https://evil.example/x) **URGENT** _now_ <at>CEO</at> <b>bold</b> "
        "<a href=\"https://evil.example\">click</a> &lt;at&gt;all&lt;/at&gt; &#60;at&#62; `code` # 1. > | 🚨 ")
WIDE = "审批通过请立即处理🚨✅"  # three and four bytes a character: what a card's size is counted in
# What would turn people's text into markup if it reached Teams unescaped (aiom's own ** and [..](..) aside).
MARKUP = [re.compile(p, re.I) for p in (r"(?<!\\)\[Approve now(?<!\\)\]\(", r"(?<!\\)\*\*URGENT", r"(?<!\\)_now",
                                        r"(?<!\\)<", r"<\s*/?\s*at\b", r"(?<!\\)&", r"(?<!\\)`")]


def evil(n: int) -> str:
    return (EVIL * (n // len(EVIL) + 1))[:n]


def _validator():
    """The Adaptive Card 1.5 schema when AIOM_SCHEMAS_DIR is set (sizes and markup are checked either way)."""
    return schema("adaptive-card-1.5.schema.json") if os.environ.get("AIOM_SCHEMAS_DIR") else None


def markdown_of(card: Any) -> list[str]:
    """Every string Teams renders as markdown: TextBlock text and FactSet titles and values, nested cards too."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                out.append(str(node.get("text", "")))
            elif node.get("type") == "FactSet":
                out.extend(str(f.get(k, "")) for f in node.get("facts", []) for k in ("title", "value"))
            for k, v in node.items():
                if k != "data":
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return out


def check(cards: list[dict], validator) -> None:
    assert cards
    for card in cards:
        raw = json.dumps(card, ensure_ascii=False)
        assert size_of(card) < TEAMS_LIMIT, (size_of(card), raw[:300])
        for text in markdown_of(card):
            assert not [m.pattern for m in MARKUP if m.search(text)], text[:300]
        assert "<at>" not in card.get("fallbackText", "")
        if validator is not None:
            assert card_problems(validator, card) == [], raw[:400]


async def _hostile_portfolio(t: TeamsAiom, clock, n: int = 300) -> tuple[list[int], int]:
    p = t.app.policy.intake
    ids = []
    async with t.app.db.write() as s:
        for i in range(n):
            uc = await factories.use_case(
                s, now=clock() - timedelta(days=i % 90), title=evil(p.title_max), problem=evil(p.text_max),
                outcome=evil(p.text_max), value_stream=evil(200), affected_users=evil(p.text_max),
                data_used=evil(p.text_max), stage=("exploration", "pilot")[i % 2], vendor=i % 3 == 0,
                vendor_name=evil(200) if i % 3 == 0 else "")
            ids.append(uc.id)
            s.add(RiskEntry(use_case_id=uc.id, area_key="data_privacy", description=evil(1000), likelihood="high",
                            impact="high", owner_id=uc.delivery_owner_id, control=evil(1000), status="open",
                            created_by_id=uc.business_owner_id, created_at=clock(), updated_at=clock()))
        ready = await factories.use_case(s, now=clock(), title=evil(p.title_max), problem=evil(p.text_max),
                                         tier="low", business_owner="anna.owner@example.com")
        await make_ready(s, t.app.policy, ready, clock())
    return ids, ready.id


def _all_cards(t: TeamsAiom, answers: list) -> list[dict]:
    cards = [s.card for s in t.fake.sent if s.card] + [u.card for u in t.fake.updates if u.card]
    return cards + [a.answer_card for a in answers if a.answer_card]


async def test_every_card_kind_fits_and_shows_hostile_text_as_text(teams: TeamsAiom, clock):
    validator = _validator()
    ids, ready = await _hostile_portfolio(teams, clock)
    pat = teams.chat(user("Pat Product", "pat.product@example.com"), conversation=channel("19:product@thread.tacv2",
                                                                                          root="500"))
    await pat.say("hello", mention_bot=True)
    anna, zoe = teams.chat(user("Anna Owner", "anna.owner@example.com")), teams.chat(user("Zoe", "zoe@example.com"))
    lena = teams.chat(user("Lena Lead", "lena.lead@example.com"))
    answers = []
    for chat, text in [(zoe, "my"), (anna, "my"), (lena, "portfolio"), (anna, f"status UC-{ids[0]}"),
                       (anna, f"risks UC-{ids[0]}"), (anna, f"score UC-{ids[0]} readiness"), (anna, "help"),
                       (anna, "help commands"), (anna, f"move UC-{ready}"), (lena, "reviews")]:
        r = await chat.say(text)
        assert r.status == 200 and r.sent, text
    answers.append(await anna.click("3 ·"))
    answers.append(await anna.click("Review answers"))
    await teams.drain()  # the review card in the product channel
    review_card = teams.fake.sent_to("19:product@thread.tacv2")[-1]
    assert f"UC-{ready}" in review_card.text
    pia = teams.chat(user("Pia Product", "pia.product@example.com"),
                     conversation=channel("19:product@thread.tacv2", root=review_card.id))
    answers.append(await pia.click("Details"))
    answers.append(await pia.click("Approve"))
    await teams.drain()

    eve = teams.chat(user("Eve", "eve@example.com"))  # the intake form, every answer at its longest
    await eve.say("propose")
    answers.append(await eve.click("Fill in a form instead"))
    form_card = next(c for _, c in reversed(teams.cards_in(eve.base))
                     if any((a.get("data") or {}).get("aiom") == "form" for a in card_actions(c)))
    values = {}
    for el in form_card["body"]:
        if el.get("type", "").startswith("Input.Text"):
            values[el["id"][2:]] = (WIDE * 1000)[:el.get("maxLength") or 1500]
        elif el.get("type") == "Input.ChoiceSet":
            values[el["id"][2:]] = el["choices"][0]["value"]
    values["title"] = ""  # one error: the card comes back with everything else still typed in
    answers.append(await eve.submit(values))
    errored = answers[-1].answer_card["body"]
    at = next(i for i, el in enumerate(errored) if el.get("id") == "f_title")
    assert errored[at + 1].get("color") == "Attention"  # the field in error still says what is wrong
    assert any("please check them" in el.get("text", "") for el in errored)  # and long answers were cut, openly

    clock.advance(days=7)  # the leadership digest of the whole portfolio
    lead = teams.chat(user("Leo Lead", "leo.lead@example.com"), conversation=channel("19:leadership@thread.tacv2",
                                                                                       root="600"))
    await lead.say("hello", mention_bot=True)
    await runs.run_due(teams.app.notifications, clock())
    await teams.drain()
    assert any("digest" in s.text.lower() for s in teams.fake.sent_to("19:leadership@thread.tacv2"))

    cards = _all_cards(teams, answers)
    assert len(cards) > 25
    check(cards, validator)


def test_cards_with_oversized_parts_are_trimmed_to_fit():
    """Limits no flow reaches today, so that a future message cannot break one: one huge fact, hundreds of
    buttons or short texts, a long confirmation, a form whose typed answers alone exceed the limit."""
    big = evil(60000)
    messages = [
        Message([Header(big), Facts([("Problem", big)])]),
        Message([Text([evil(250)]) for _ in range(300)] + [Context(evil(250)) for _ in range(100)]),
        Message([Text(["Pick one"]), Buttons([Button(f"Status UC-{i}", "status.show", {"uc": i}) for i in range(600)])]),
        Message([Buttons([Button("Stop", "review.stop", {"r": 1}, style="danger",
                                 confirm=Confirm(evil(500), big, yes="Stop it"))])]),
        Message([Facts([(evil(100), evil(100)) for _ in range(3000)])]),
    ]
    cards = [render(m) for m in messages]
    form = Form("f", evil(200), [FormField(f"a{i}", evil(100), type="multiline", max_length=2000, hint=evil(300))
                                 for i in range(40)]
                + [FormField("pick", "Pick", type="select", options=[(str(i), evil(60)) for i in range(100)])])
    typed = {f"a{i}": (WIDE * 200)[:2000] for i in range(40)}
    cards += [render_form(form), render_form(form, values=typed, errors={"a3": evil(300)})]
    check(cards, _validator())
    assert [a["title"] for a in card_actions(cards[2])][:3] == ["Status UC-0", "Status UC-1", "Status UC-2"]
    assert any("more" in t for t in markdown_of(cards[2]))  # the card says buttons were left out
    assert card_actions(cards[3])[0]["data"]["aiom"] == "review.stop"  # the confirmed action is still there
    errored = cards[6]
    assert any(el.get("id") == "f_a3" for el in errored["body"])  # the field in error and its message stay
    assert card_actions(errored)[-1]["data"] == {"aiom": "form", "form": "f", "p": {}}  # and the submit button
