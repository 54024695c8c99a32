"""The one-screen intake form as an Adaptive Card: errors shown under each field on the same card, values kept."""
from __future__ import annotations

from sqlalchemy import select

from storage.tables import UseCase
from tests.support.fake_connector import card_actions, card_text
from tests.support.teams_activities import TeamsAiom, teams, user  # noqa: F401,F811 (fixture)

GOOD = {
    "title": "Invoice matching helper",
    "problem": "Accounts payable clerks match invoices to orders by hand, which takes days at month end.",
    "outcome": "Cut invoice matching time by 40% while a clerk still approves every payment above 10,000",
    "value_stream": "Month-end close",
    "theme": "cost_reduction",
    "affected_users": "Accounts payable clerks",
    "data_used": "Invoices and purchase orders",
    "vendor": "no",
    "timeline": "3_to_6_months",
    "business_owner": "anna.owner@example.com",
    "delivery_owner": "bob.delivery@example.com",
    "risk:data_sensitivity": "internal",
    "risk:audience": "internal",
    "risk:decision_impact": "assists",
    "risk:vendor": "none",
    "risk:regulated": "no",
    "risk:scale": "one_team",
}


def inputs(card: dict) -> dict[str, dict]:
    out = {}
    for el in card["body"]:
        if el["type"].startswith("Input."):
            out[el["id"]] = el
    return out


def error_under(card: dict, field: str) -> str | None:
    body = card["body"]
    for i, el in enumerate(body):
        if el.get("id") == f"f_{field}":
            nxt = body[i + 1] if i + 1 < len(body) else {}
            return nxt.get("text") if nxt.get("color") == "Attention" else None
    raise AssertionError(f"no input for {field}")


async def test_form_path_with_field_errors_shown_on_the_card(teams: TeamsAiom):
    zoe = teams.chat(user("Zoe Proposer", "zoe@example.com"))
    await zoe.say("propose")
    question_id, _ = zoe.find("Fill in a form instead")
    r = await zoe.click("Fill in a form instead")
    # the question card itself became the form, for the clicker at once and for everyone via an update
    form = r.answer_card
    assert form is not None and [u.activity_id for u in r.updates] == [question_id]
    fields = inputs(form)
    assert fields["f_problem"]["type"] == "Input.Text" and fields["f_problem"]["isMultiline"] is True
    assert fields["f_title"]["maxLength"] == 120
    assert fields["f_theme"]["type"] == "Input.ChoiceSet"
    assert {c["value"] for c in fields["f_theme"]["choices"]} >= {"cost_reduction", "innovation"}
    assert fields["f_business_owner"]["style"] == "email"
    assert fields["f_sponsor"]["isRequired"] is False

    bad = dict(GOOD, title="x", business_owner="not an email", outcome="")
    r = await zoe.submit(bad)
    card = r.answer_card
    assert card is not None, r.body
    assert [u.activity_id for u in r.updates] == [question_id]  # the same card, updated in place
    assert "too short" in error_under(card, "title")
    assert "mention them" in error_under(card, "business_owner")
    assert "Please fill this in" in error_under(card, "outcome")
    assert error_under(card, "problem") is None
    kept = inputs(card)
    assert kept["f_problem"]["value"] == GOOD["problem"] and kept["f_theme"]["value"] == "cost_reduction"
    assert kept["f_title"]["value"] == "x"
    assert not r.sent  # nothing new was posted: the errors are on the form

    r = await zoe.submit(GOOD)
    # accepted: the form becomes a read-only copy of the answers; the conversation continues below it
    done = r.answer_card
    assert done is not None and not card_actions(done)
    assert "Invoice matching helper" in card_text(done) and "Cost reduction" in card_text(done)
    assert "Does that sound right?" in r.text
    await zoe.click("That tier is right")
    r = await zoe.click("Submit the idea")
    assert "UC-1 submitted" in r.text
    async with teams.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
        assert (uc.title, uc.theme, uc.target_timeline) == ("Invoice matching helper", "cost_reduction",
                                                            "3_to_6_months")


async def test_action_submit_from_an_older_client_works_like_execute(teams: TeamsAiom):
    from tests.support.teams_activities import submit

    zoe = teams.chat(user("Zoe Proposer", "zoe@example.com"))
    await zoe.say("propose")
    mid, action = zoe.find("Cancel")
    r = await teams.post(submit(zoe.user, dict(action["data"]), reply_to=mid, service_url=teams.service_url))
    assert r.status == 200
    assert "Cancelled" in r.text
    assert [u.activity_id for u in r.updates] == [mid] and not card_actions(r.updates[0].card)
