"""Every kind of invalid answer is re-asked with a short explanation, and nothing answered before is lost.

The engine's question steps are driven through a small flow registered on the real engine (every step
kind, with bounds), and through the product's own flows where they ask that kind of question.
"""
from __future__ import annotations

import pytest

from conversations.context import Ctx
from conversations.stepflow import StepFlow
from conversations.steps import Invalid, Step, parse_number
from tests.support import factories
from tests.support.harness import Harness
from tests.test_intake import ANSWERS


class EveryKind(StepFlow):
    name = "every_kind"
    title = "Every kind"
    submit_label = "Save"

    def steps(self, ctx: Ctx) -> list[Step]:
        return [
            Step("live", "Live", "Is it live already?", kind="yesno"),
            Step("count", "Count", "How many people use it (1 to 100)?", kind="number", min_value=1, max_value=100),
            Step("floor", "Floor", "What share is automated, in %?", kind="number", min_value=0),
            Step("cap", "Cap", "How many hours a week may it run at most?", kind="number", max_value=10),
            Step("when", "Go-live", "When should it go live?", kind="date"),
            Step("note", "Note", "Anything else, in a few words?", max_len=50),
            Step("pick", "Colour", "Which colour?", kind="choice", choices=[("r", "Red"), ("g", "Green")]),
        ]

    async def submit(self, ctx: Ctx) -> None:
        ctx.state.status = "done"
        ctx.say("Saved.")


@pytest.fixture
async def asker(harness: Harness):
    engine = harness.app.engine
    engine.add_flow(EveryKind())

    @engine.command("every")
    async def every(ctx: Ctx, args: str) -> None:
        await ctx.start_flow("every_kind")

    zoe = harness.person("zoe@example.com")
    await zoe.say("every")
    return zoe


def flat(seen) -> str:
    return " ".join(seen.text.split())


async def test_every_invalid_kind_is_reasked_and_nothing_is_lost(asker, clock):
    zoe = asker
    bad = [
        ("maybe", "Please pick one of the options (click it, or type its number): 1. Yes; 2. No.",
         "Is it live already?"),
        ("yes", None, "How many people use it"),
        ("lots", "I need a number here, for example 42 or 3.5.", "How many people use it"),
        ("0", "Please give a number between 1 and 100.", "How many people use it"),
        ("101", "Please give a number between 1 and 100.", "How many people use it"),
        ("nan", "I need an ordinary number here", "How many people use it"),
        ("40", None, "What share is automated"),
        ("-5", "Please give a number of at least 0.", "What share is automated"),  # only a lower bound
        ("35%", None, "How many hours a week"),
        ("11", "Please give a number no bigger than 10.", "How many hours a week"),  # only an upper bound
        ("8", None, "When should it go live?"),
        ("next Tuesday-ish", "I could not read that as a date. Please use a form like 2027-03-31.",
         "When should it go live?"),
        ("2026-02-30", "I could not read that as a date", "When should it go live?"),
        ("2020-01-01", "That date is in the past; please give a date from today onwards.",
         "When should it go live?"),
        ("31 March 2027", None, "Anything else"),
        ("x" * 51, "That answer is 51 characters long; please keep it under 50", "Anything else"),
        ("x", "That answer is too short for me to use", "Anything else"),
        ("Works on weekdays", None, "Which colour?"),
        ("purple", "Please pick one of the options (click it, or type its number): 1. Red; 2. Green.",
         "Which colour?"),
        ("3", "Please pick one of the options", "Which colour?"),
        ("gre", None, "please check"),
    ]
    for answer, why, asked in bad:
        seen = await zoe.say(answer)
        text = flat(seen)
        if why is not None:
            assert why in text, (answer, text)
            assert "Sorry" not in text
        assert asked in text, (answer, text)
    summary = flat(seen)
    for shown in ("Live Yes", "Count 40", "Floor 35", "Cap 8", "Go-live 2027-03-31", "Note Works on weekdays",
                  "Colour Green"):
        assert shown in summary, shown
    assert "Saved." in (await zoe.click("Save")).text


async def test_a_wrong_button_for_the_question_is_reasked(asker):
    from vocabulary.messages import Button

    zoe = asker
    choice = next(b for b in zoe.buttons if b.label == "Yes")
    await zoe.say("no")
    stale = dict(choice.payload, v=choice.payload["v"] + 1)  # the current version, but a choice of another step
    seen = await zoe.press(Button("Yes", choice.action, {**stale, "c": "yes"}))
    assert "That button does not answer this question; please type your answer instead." in flat(seen)
    assert "How many people use it" in seen.text


@pytest.mark.parametrize("lo,hi,value,message", [
    (None, 10, 11, "no bigger than 10"), (0, None, -1, "at least 0"), (1, 5, 6, "between 1 and 5"),
    (None, None, 1e9, None)])
def test_number_bounds_one_or_both_or_none(lo, hi, value, message):
    if message is None:
        assert parse_number(str(value), lo, hi) == value
        return
    with pytest.raises(Invalid) as e:
        parse_number(str(value), lo, hi)
    assert message in str(e.value)


async def test_the_product_flows_reask_their_invalid_answers(harness: Harness):
    """Intake (text too long, wrong choice, a person), and a KPI's number."""
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    seen = await zoe.say("y" * 121)
    assert "under 120" in flat(seen) and "What should we call this idea" in seen.text
    for a in ANSWERS[:4]:
        await zoe.say(a)
    seen = await zoe.say("Sustainability")
    assert "Please pick one of the options" in flat(seen) and "strategic theme" in seen.text
    for a in ANSWERS[4:8]:
        await zoe.say(a)
    seen = await zoe.say("the claims team lead")
    assert "I need a person: mention them (for example @maria) or type their email address." in flat(seen)

    async with harness.app.db.write() as s:
        uc = await factories.use_case(s, stage="pilot")
    anna = harness.person("anna.owner@example.com")
    await anna.say(f"kpi UC-{uc.id} add")
    for a in ("1", "Claims triaged per hour", "cases", "1"):
        await anna.say(a)
    seen = await anna.say("about twelve")
    assert "I need a number here" in flat(seen) and "baseline" in seen.text
    seen = await anna.say("12")
    assert "What value are you aiming for?" in seen.text
