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
    assert "Please pick one of the options, 1 to 12" in text  # 12 areas: 14 is a number, never a button
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


async def test_reopening_the_local_chat_mid_proposal_shows_the_question_and_takes_its_number(db_url, policy, clock):
    h = await Harness.start(db_url, policy=policy, clock=clock)
    await chat(h, "zoe@example.com", ["propose", *ANSWERS, "/quit"])  # stopped at the first risk question
    await h.stop()
    h2 = await Harness.start(db_url, policy=policy, clock=clock)
    try:
        text = flat(await chat(h2, "zoe@example.com", ["3", "/quit"]))
    finally:
        await h2.stop()
    assert "Welcome back. Your answers so far are kept; here is where you stopped in this proposal." in text
    assert "Please pick one of the options" not in text  # the greeting is not taken as an answer
    assert "✓ Data sensitivity: Confidential business information" in text  # the number picked option 3
    assert "Who sees what it produces?" in text  # and the proposal went on


# -- every flow in one scripted session ----------------------------------------------------------------------
async def test_the_local_chat_drives_the_checklists_a_risk_update_my_portfolio_and_help(harness: Harness):
    from tests.support import factories

    async with harness.app.db.write() as s:
        await factories.use_case(s, stage="controlled_rollout", vendor=True)
    out = await chat(harness, "anna.owner@example.com", [
        "score UC-1 rollout", *["1"] * 9, "2", *["1"] * 4,       # checkpoint 10 (monitoring) not ready
        "score UC-1 vendor", *["1"] * 12,
        *RISK,
        "risks UC-1", "1",                                        # Update R1
        "Likelihood", "1", "1",                                   # low, then Save the change
        "risks UC-1",
        "my",
        "/as lena.lead@example.com",
        "portfolio",
        "help", "4",                                              # All commands
        "/quit",
    ])
    text = flat(out)
    assert "Rollout checklist complete · UC-1" in text and "13 of 14" in text and "Not ready: Monitoring." in text
    assert "Vendor checklist complete · UC-1" in text and "12 of 12" in text
    assert "Added to UC-1's risk register (1 risk now): Data privacy" in text
    assert "Which part of R1 (Data privacy) on UC-1 would you like to change?" in text
    assert "Saved: the risk's likelihood on UC-1 is updated." in text
    assert "R1 · Data privacy · likelihood low, impact medium" in text
    assert "Your AI ideas" in text and "UC-1 · Claims triage assistant" in text
    assert "you are now lena.lead@example.com" in text and "AI portfolio" in text
    assert "What I can do" in text and "== Commands ==" in text
    assert "Sorry" not in text and "there is no choice" not in text


# -- what a newcomer trips over ------------------------------------------------------------------------------
async def test_numbers_click_buttons_on_text_questions_and_answer_number_questions(harness: Harness):
    from tests.support import factories

    async with harness.app.db.write() as s:
        await factories.use_case(s, stage="pilot")
    out = await chat(harness, "zoe@example.com", [
        "propose", "Claims triage assistant",
        "1",                      # [1] Back on the problem question: a click, not a "too short" answer
        "2",                      # [2] Cancel on the name question
        "/as anna.owner@example.com",
        "kpi UC-1 add", "1", "Claims triaged per hour", "cases", "1",
        "12",                     # the baseline question takes a number: 12 is the answer
        "3",                      # and 3 is the target, not button 3
        "/quit",
    ])
    text = flat(out)
    assert "too short" not in text
    assert text.count("What should we call this idea?") == 2  # asked, then again after Back
    assert "Cancelled. Nothing from this proposal was submitted" in text
    assert "a number you type here is the answer; to click a button, type its name" in text
    assert "Baseline: 12" in text and "Target: 3" in text


async def test_a_blank_line_does_nothing_but_say_how_to_go_on(harness: Harness):
    out = await chat(harness, "zoe@example.com", ["", "", "propose", "", "/quit"])
    assert out.count("Hello Zoe") == 1
    assert out.count("(type an answer, a button's number, help, or /quit to leave)") == 3
    assert "too short" not in out


async def test_after_submitting_the_summary_is_not_printed_again(harness: Harness):
    out = await chat(harness, "zoe@example.com", [*PROPOSE, "/quit"])
    assert out.count("Process / value stream  Claims handling") == 1
    assert "✓ Submitted." in out
    assert "Score pilot selection" not in out.split("UC-1 submitted")[1].split("┌")[0]  # not offered to zoe
    assert "type /as anna.owner@example.com to act as" in flat(out)


async def console_app(db_url, policy, clock):
    from bot.app import App
    from bot.config import load_settings
    from bot.console.deliverer import ConsoleDeliverer

    app = App.create(load_settings({"DATABASE_URL": db_url}, env_file=None), policy=policy, clock=clock)
    out = io.StringIO()
    deliverer = ConsoleDeliverer(lambda text: out.write(text + "\n"))
    app.add_deliverer(deliverer)
    await app.start(migrate=False, background=False)
    return app, deliverer, out


async def test_only_the_current_persons_own_buttons_are_numbered(db_url, policy, clock):
    app, deliverer, out = await console_app(db_url, policy, clock)
    try:
        lines = [*PROPOSE, "1",                  # zoe's own [1] Add a risk, not anna's notice
                 "cancel",
                 "/as anna.owner@example.com",  # anna's latest notice is numbered now
                 "2",                           # [2] Score pilot selection
                 "3", "hmm", "3",               # a reply she did not understand keeps the scorecard's buttons
                 "/quit"]
        console = ConsoleChat(app.engine, app.dispatcher, "zoe@example.com",
                              stdin=io.StringIO("\n".join(lines) + "\n"), out=out, deliverer=deliverer)
        await console.run()
    finally:
        await app.stop()
    text = out.getvalue()
    notice = text[text.index("┌ message for anna.owner@example.com"):]
    notice = notice[:notice.index("\n\n")]
    assert "Buttons: Status · Score pilot selection" in notice and "[1]" not in notice
    assert "(to use these buttons, act as them: /as anna.owner@example.com)" in notice
    assert "Let's add a risk to UC-1's register" in text  # zoe's "1" clicked her own Add a risk
    assert "your latest message with buttons, “You are the business owner of UC-1" in text
    assert "[1] Status   [2] Score pilot selection" in text
    flat_text = flat(text)
    assert "Pilot selection 1/12 answered" in flat_text
    assert "I did not understand that. Click a score on UC-1's scorecard" in flat_text
    assert "Pilot selection 2/12 answered" in flat_text


def test_long_fact_labels_wrap_in_their_column_and_values_stay_aligned():
    from bot.console.render import render
    from vocabulary.messages import Facts, Message

    text, _ = render(Message([Facts([("Is it part of a regulated activity such as credit or insurance?", "No"),
                                     ("Name", "Claims triage assistant")])]))
    lines = text.split("\n")
    starts = {line.index(v) for line, v in ((lines[0], "No"), (lines[-1], "Claims triage assistant"))}
    assert len(starts) == 1, text  # both values begin in the same column
    assert len(lines) > 2  # the long label wrapped instead of pushing its value to the right


async def test_the_intake_summary_labels_are_short_and_its_values_aligned(harness: Harness):
    out = await chat(harness, "zoe@example.com", [*PROPOSE[:-1], "/quit"])
    summary = out[out.index("== New AI idea: please check ==") + 1:]
    facts = summary[:summary.index("\n  · ")].split("\n")[1:]
    column = 2 + len("Process / value stream") + 2  # the longest label, then two spaces
    assert len(facts) >= 17
    for line in facts:
        assert line[column - 2:column] == "  " and line[column] != " ", line
    assert "Data sensitivity" in summary and "Regulated" in summary
