"""End to end in the local chat, as a newcomer would: propose, score, add a risk, mark it reviewed, see status.

Scripted standard input through the real ConsoleChat adapter: buttons are typed as their numbers.
"""
from __future__ import annotations

import io

from bot.console.chat import ConsoleChat
from tests.support.harness import Harness
from tests.test_intake import ANSWERS


async def chat(h: Harness, email: str, lines: list[str]) -> str:
    out = io.StringIO()
    console = ConsoleChat(h.app.engine, h.app.dispatcher, email, stdin=io.StringIO("\n".join(lines) + "\n"), out=out)
    await console.run()
    return out.getvalue()


def flat(text: str) -> str:
    return " ".join(text.split())


PROPOSE = ["propose", *ANSWERS, *["1"] * 6, "1", "1"]  # six risk answers, accept the tier, submit
RISK = ["risk UC-1", "1", "Claim forms include health details of people other than the claimant.", "3", "2",
        "priya.privacy@example.com", "Approved environment only; privacy review before go-live.", "1", "1"]


async def test_a_newcomer_proposes_scores_registers_a_risk_and_sees_status(harness: Harness):
    out = await chat(harness, "zoe@example.com", PROPOSE + [
        "/as anna.owner@example.com",
        "score UC-1 pilot", *["3"] * 12,
        "score UC-1 readiness", *["4"] * 17, "1",
        *RISK,
        "risks UC-1", "3",
        "status UC-1",
        "/quit",
    ])
    text = flat(out)
    assert "UC-1 submitted: Claims triage assistant" in text
    assert "you are now anna.owner@example.com" in text
    assert "Pilot selection 11/12 answered" in text
    assert "Pilot selection criteria complete · UC-1" in text and "36 of 36" in text
    assert "Strong candidate (above 30)" in text
    assert "Readiness 17/18 answered" in text
    assert "Readiness scorecard complete · UC-1" in text and "69 of 90" in text and "Moderate readiness" in text
    assert "Executive visibility: needs explicit review" in text and "Record review: Executive visibility" in text
    assert "Added to UC-1's risk register (1 risk now): Data privacy" in text
    assert "Marked reviewed by Anna Owner (1 risk)" in text
    status = text[text.rindex("== UC-1 · Claims triage assistant =="):]
    assert "Pilot selection criteria 36 of 36 · strong candidate" in status
    assert "69 of 90 · moderate readiness" in status
    assert "Top open risks (1 in the register): • Data privacy · likelihood high, impact medium" in status
    assert "Next: everything the gate to Pilot needs is in place. An owner can ask for the review: move UC-1." \
        in status
    assert "Sorry" not in text


async def test_the_local_chat_shows_refusals_and_invalid_answers(harness: Harness):
    out = await chat(harness, "zoe@example.com", PROPOSE + [
        "score UC-1 pilot",          # the proposer is not an owner
        "/as anna.owner@example.com",
        "risk UC-1", "14", "weather", "Data privacy", "short", "Claim forms include health details of other people.",
        "/quit",
    ])
    text = flat(out)
    assert "(only you) Only the business owner or delivery owner of UC-1 can answer its scorecard." in text
    assert "there is no choice 14; pick 1 to 13" in text  # the console itself: 12 areas and Cancel
    assert "Please pick one of the options" in text
    assert "That answer is too short" in text
    assert text.count("Describe the risk") == 2  # asked, then re-asked after the short answer


async def test_a_restart_in_the_middle_of_a_scorecard_resumes_in_the_local_chat(db_url, policy, clock):
    h = await Harness.start(db_url, policy=policy, clock=clock)
    await chat(h, "zoe@example.com", PROPOSE + ["/as anna.owner@example.com", "score UC-1 readiness", "5", "5",
                                                "5", "/quit"])
    await h.stop()
    h2 = await Harness.start(db_url, policy=policy, clock=clock)
    out = await chat(h2, "bob.delivery@example.com", ["score UC-1 readiness", "2", "/quit"])
    text = flat(out)
    assert "Readiness 3/18 answered · area 4 of 18" in text  # the delivery owner continues where anna stopped
    assert "Readiness 4/18 answered · area 5 of 18" in text
    await h2.stop()
