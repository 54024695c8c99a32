"""Similar-idea detection: reworded duplicates are found, unrelated ideas are not."""
from __future__ import annotations

import pytest

from conversations.policy import default_policy
from conversations.rules.similarity import Doc, similar, stem, tokens
from tests.test_intake import ANSWERS

THRESHOLD = default_policy().intake.similar_threshold

# (an existing idea: title, problem and outcome as stored) vs (the same idea, worded by another team)
DUPLICATES = [
    ("Claims triage assistant. Sort incoming insurance claims by urgency so handlers see urgent ones first.",
     "Use AI to prioritise new claims so urgent ones are handled first"),
    ("Invoice matching bot. Match supplier invoices to purchase orders automatically to cut month-end close time.",
     "Automatic reconciliation of vendor bills against POs. Reduce the time finance spends pairing supplier "
     "invoices with purchase orders."),
    ("Customer email summariser. Summarise long customer emails for service agents.",
     "Summaries of client mail for the service desk: agents read long messages from customers too slowly."),
    ("Contract review helper. Flag risky clauses in supplier contracts before legal review.",
     "Spot risky terms in vendor agreements so the legal team reviews contracts faster."),
    ("Support ticket routing. Route incoming IT support tickets to the right team automatically.",
     "Classify helpdesk requests and send each to the correct resolver group."),
]
UNRELATED = [
    "HR holiday request chatbot. Let employees book annual leave and check their remaining holiday days in chat.",
    "Marketing image generator. Create social media banners for product launches.",
    "Forecast warehouse stock levels to cut inventory holding costs.",
    "Meeting notes transcription for the board secretary.",
]


def corpus(existing: str) -> list[Doc]:
    return [Doc(1, existing)] + [Doc(i, text) for i, text in enumerate(UNRELATED, 2)]


@pytest.mark.parametrize("existing,reworded", DUPLICATES)
def test_a_reworded_duplicate_is_found_first(existing, reworded):
    found = similar(reworded, corpus(existing), THRESHOLD, limit=3)
    assert found and found[0][0] == 1, found
    assert [doc_id for doc_id, _ in found] == [1]  # and none of the unrelated ideas


@pytest.mark.parametrize("idea", UNRELATED)
def test_an_unrelated_idea_is_not_flagged(idea):
    docs = [Doc(i, existing) for i, (existing, _) in enumerate(DUPLICATES, 1)]
    assert similar(idea, docs, THRESHOLD, limit=3) == []


def test_the_intake_example_is_not_similar_to_an_hr_bot():
    intake_text = " ".join(ANSWERS[:3])
    assert similar(UNRELATED[0], [Doc(1, intake_text)], THRESHOLD) == []
    assert similar("Prioritise incoming claims by urgency for the claims handlers",
                   [Doc(1, intake_text)], THRESHOLD) != []


def test_spelling_variants_and_synonyms_meet():
    assert stem("summarize") == stem("summarise") == stem("summary")
    assert stem("organization") == stem("organisation")
    assert stem("vendors") == stem("supplier")
    assert tokens("The AI assistant bot") == []  # generic words carry no meaning here


def test_empty_inputs():
    assert similar("", corpus("Claims triage"), THRESHOLD) == []
    assert similar("claims", [], THRESHOLD) == []


# -- through the intake conversation ------------------------------------------------------------------
def reworded(title: str, problem: str, outcome: str) -> list[str]:
    return [title, problem, outcome, *ANSWERS[3:]]


async def propose_until_similar(person, answers: list[str]) -> str:
    from tests.test_intake import propose

    await propose(person, answers)
    seen = await person.click("That tier is right")
    return seen.text


async def test_a_second_team_proposing_the_same_idea_is_shown_the_first(harness):
    from tests.test_intake import propose

    zoe = harness.person("zoe@example.com")
    await propose(zoe)
    await zoe.click("That tier is right")
    await zoe.click("Submit the idea")
    max_ = harness.person("max@example.com")
    text = await propose_until_similar(max_, reworded(
        "Urgent claims first",
        "Handlers lose time working out which new insurance claims are urgent.",
        "Prioritise new claims by urgency so urgent ones are handled 50% sooner while people still review "
        "high-risk cases"))
    assert "look similar" in text and "UC-1" in text and "Claims triage assistant" in text
    labels = [b.label for b in max_.buttons]
    assert "Join UC-1 instead" in labels and "Continue as a new idea" in labels


async def test_an_unrelated_idea_goes_straight_to_the_summary(harness):
    from tests.test_intake import propose

    zoe = harness.person("zoe@example.com")
    await propose(zoe)
    await zoe.click("That tier is right")
    await zoe.click("Submit the idea")
    hr = harness.person("hana.hr@example.com")
    text = await propose_until_similar(hr, reworded(
        "Holiday booking chatbot",
        "Staff email HR to book annual leave and wait days for an answer.",
        "Answer 80% of leave requests in chat within a minute while HR still approves exceptions"))
    assert "look similar" not in text and "please check" in text
