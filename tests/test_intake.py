"""Proposing an idea through the neutral engine: every answer saved, the tier explained, owners told."""
from __future__ import annotations

from sqlalchemy import select

from storage import audit
from storage.tables import UseCase
from tests.support.harness import Harness

ANSWERS = [
    "Claims triage assistant",
    "Claims handlers spend two hours a day sorting new claims by urgency before any work starts.",
    "Cut claims triage time by 30% while keeping human review for high-risk cases",
    "Claims handling",
    "Operational excellence",
    "Motor claims handlers, about 40 people",
    "Claim forms and customer emails",
    "Within 3 months",
    "anna.owner@example.com",
    "bob.delivery@example.com",
    "skip",
]
RISK = ["personal", "internal", "assist", "none", "no", "department"]


async def answer_all(person, answers=ANSWERS, picks=("1",) * 6, start=True):
    """Type every intake answer, then each risk pick; return what the last one showed (the tier check)."""
    seen = await person.say("propose") if start else None
    for a in [*answers, *picks]:
        seen = await person.say(a)
    return seen


async def propose(person, answers=ANSWERS, risk=None) -> None:
    await person.say("propose")
    for a in answers:
        seen = await person.say(a)
        assert "Please" not in seen.text.split("\n")[0], seen.text
    for i, _ in enumerate(risk or RISK):
        await person.press(person.buttons[0 if risk is None else risk[i]])


async def test_whole_intake_creates_use_case_in_exploration(harness: Harness):
    zoe = harness.person("zoe@example.com")
    seen = await answer_all(zoe)  # six risk questions: the first option of each, by typing its number
    assert "LOW risk" in seen.text
    seen = await zoe.click("That tier is right")
    assert "please check" in seen.text
    assert "Claims triage assistant" in seen.text
    seen = await zoe.click("Submit the idea")
    assert "UC-1 submitted" in seen.text

    async with harness.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
        assert (uc.stage, uc.status, uc.risk_tier) == ("exploration", "active", "low")
        assert uc.outcome.startswith("Cut claims triage time")
        count, problems = await audit.verify(s)
        assert problems == [] and count >= 2
    # both owners were told, on the platform they can be reached on
    assert any("business owner of UC-1" in t for t in harness.out.dms_to("anna.owner@example.com"))
    assert any("delivery owner of UC-1" in t for t in harness.out.dms_to("bob.delivery@example.com"))


async def test_invalid_answers_are_reasked_with_a_reason(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    seen = await zoe.say("x")
    assert "too short" in seen.text and "What should we call this idea" in seen.text
    seen = await zoe.say("y" * 500)
    assert "under 120" in seen.text
    await zoe.say("Claims triage assistant")
    await zoe.say(ANSWERS[1])
    await zoe.say(ANSWERS[2])
    await zoe.say(ANSWERS[3])
    seen = await zoe.say("9")
    assert "pick one of the options" in seen.text
    seen = await zoe.say("Operational excellence")
    assert "Who will use it" in seen.text


async def test_restart_mid_flow_resumes_at_the_same_question(db_url, policy, clock):
    h = await Harness.start(db_url, policy=policy, clock=clock)
    zoe = h.person("zoe@example.com")
    await zoe.say("propose")
    for a in ANSWERS[:4]:
        await zoe.say(a)
    await h.stop()

    h2 = await Harness.start(db_url, policy=policy, clock=clock)
    zoe2 = h2.person("zoe@example.com")
    seen = await zoe2.say("Innovation")
    assert "Strategic theme: Innovation" in seen.text
    assert "Who will use it" in seen.text
    await h2.stop()


async def test_back_and_change_an_answer_before_submitting(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    await zoe.say("First name")
    seen = await zoe.say("back")
    assert "What should we call this idea" in seen.text
    await zoe.say("Better name")
    await answer_all(zoe, ANSWERS[1:], start=False)
    await zoe.click("That tier is right")
    await zoe.click("Change an answer")
    seen = await zoe.click("Name")
    assert "What should we call this idea" in seen.text
    seen = await zoe.say("Final name")
    assert "please check" in seen.text and "Final name" in seen.text


async def test_stale_button_is_refused_politely(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    first = list(zoe.buttons)
    await zoe.say("Claims triage assistant")
    seen = await zoe.press(first[-1])  # the old Cancel button
    assert "already been answered" in seen.text


async def test_unknown_button_and_bad_payload(harness: Harness):
    from vocabulary.messages import Button

    zoe = harness.person("zoe@example.com")
    seen = await zoe.press(Button("x", "no.such.action", {}))
    assert "not one I recognise" in seen.text
    seen = await zoe.press(Button("x", "flow", {"s": "drop table", "v": []}))
    assert "could not read that button" in seen.text
