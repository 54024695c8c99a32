"""Intake paths beyond the straight line: coaching a vague outcome, help and cancel inside a question, asking
for another tier, the vendor asked once, a steady progress counter, what the proposer may click after
submitting, and the audit trail of every fact and change."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from vocabulary.messages import Context, Facts, Header, Text, plain
from storage.tables import AuditEntry, ConversationState, UseCase
from tests.support.harness import Harness
from tests.test_intake import ANSWERS, answer_all

VAGUE = "Make claims handling better for everyone"
GOOD = ANSWERS[2]


def flat(seen) -> str:
    return " ".join(seen.text.split())


def said(seen) -> str:
    """Every sentence of what the person saw, unwrapped (the console's line breaks and markers left out)."""
    out = []
    for op in seen.outcome.ops:
        for b in getattr(getattr(op, "message", None), "blocks", []):
            if isinstance(b, Text):
                out.append(plain(b.parts))
            elif isinstance(b, (Context, Header)):
                out.append(b.text)
            elif isinstance(b, Facts):
                out.extend(f"{k}: {v}" for k, v in b.items)
    return " ".join(" ".join(out).split())


async def the_use_case(h: Harness) -> UseCase:
    async with h.app.db.read() as s:
        return (await s.execute(select(UseCase))).scalar_one()


async def audits(h: Harness, action: str) -> list[AuditEntry]:
    async with h.app.db.read() as s:
        q = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list((await s.execute(q)).scalars().all())


async def to_outcome(zoe) -> None:
    await zoe.say("propose")
    await zoe.say(ANSWERS[0])
    await zoe.say(ANSWERS[1])


async def finish(zoe, after_outcome: list[str] = ANSWERS[3:]):
    await answer_all(zoe, after_outcome, start=False)
    await zoe.click("That tier is right")
    return await zoe.click("Submit the idea")


# -- coaching a vague outcome statement ----------------------------------------------------------------
async def test_a_vague_outcome_is_coached_and_keep_moves_on(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await to_outcome(zoe)
    seen = await zoe.say(VAGUE)
    assert "A strong outcome statement names the process, the metric and the control" in flat(seen)
    assert [b.label for b in seen.buttons] == ["Keep my answer", "Rewrite it"]
    seen = await zoe.click("Keep my answer")
    assert "Which process or value stream does it touch?" in seen.text
    assert "Submitted" not in seen.text and "UC-1 submitted" in flat(await finish(zoe))
    assert (await the_use_case(harness)).outcome == VAGUE


async def test_rewrite_asks_the_question_again_and_the_new_version_is_kept(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await to_outcome(zoe)
    await zoe.say(VAGUE)
    seen = await zoe.click("Rewrite it")
    assert "In one sentence: what will be better" in seen.text
    seen = await zoe.say(GOOD)
    assert "Outcome statement: Cut claims triage time" in flat(seen)
    assert "Which process or value stream does it touch?" in seen.text
    await finish(zoe)
    uc = await the_use_case(harness)
    assert (uc.outcome, uc.value_stream) == (GOOD, "Claims handling")


async def test_a_new_version_typed_after_the_advice_is_the_answer_and_the_flow_moves_on(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await to_outcome(zoe)
    await zoe.say(VAGUE)
    seen = await zoe.say(GOOD)  # "Or just type a new version."
    assert "Which process or value stream does it touch?" in seen.text
    assert "question 4 of 17" in seen.text
    await finish(zoe)
    uc = await the_use_case(harness)
    # later answers went to their own questions, not over the outcome
    assert (uc.outcome, uc.value_stream, uc.affected_users) == (GOOD, "Claims handling", ANSWERS[5])


@pytest.mark.parametrize("word,then", [
    ("skip", "This question is needed, so it cannot be skipped"),
    ("back", "What problem does it solve"),
    ("help", "Type your answer, or “back” for the previous question"),
    ("keep", "Which process or value stream"),
    ("rewrite", "In one sentence: what will be better"),
])
async def test_typed_words_while_the_advice_shows(harness: Harness, word, then):
    zoe = harness.person("zoe@example.com")
    await to_outcome(zoe)
    await zoe.say(VAGUE)
    seen = await zoe.say(word)
    assert then in flat(seen) and "Sorry" not in seen.text
    if word in ("skip", "help", "rewrite"):
        assert "In one sentence: what will be better" in seen.text  # the question again
        seen = await zoe.say(VAGUE)  # the advice is given once: the same answer is now taken as it is
        assert "Which process or value stream" in seen.text
    assert "Sorry" not in (await zoe.say("Claims handling")).text


# -- help and cancel --------------------------------------------------------------------------------------
async def test_typed_help_inside_a_question_explains_and_asks_again(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    seen = await zoe.say("help")
    text = flat(seen)
    assert "Type your answer, or “back” for the previous question, “skip” to leave out an optional one, or “cancel”" \
        in text and "Nothing is submitted until you click Submit the idea" in text
    assert text.rstrip().count("What should we call this idea?") == 1  # the question, asked again
    for a in ANSWERS[:10]:
        await zoe.say(a)
    seen = await zoe.say("?")  # the person question says how to name someone
    assert "Mention the person (for example @maria) or type their email address" in flat(seen)
    for a in ANSWERS[10:]:
        await zoe.say(a)
    seen = await zoe.say("help")  # a risk question has its own help
    assert "Pick the most sensitive kind" in flat(seen)


async def test_cancel_in_intake_submits_nothing_and_a_new_proposal_starts_fresh(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    for a in ANSWERS[:5]:
        await zoe.say(a)
    seen = await zoe.say("cancel")
    assert "Cancelled. Nothing from this proposal was submitted" in flat(seen)
    async with harness.app.db.read() as s:
        assert (await s.execute(select(UseCase))).first() is None
        st = (await s.execute(select(ConversationState))).scalar_one()
        assert st.status == "cancelled"
    seen = await zoe.say("Claims triage assistant")  # no conversation is open any more
    assert "did not understand" in seen.text
    seen = await zoe.say("propose")
    assert "question 1 of 17" in seen.text
    seen = await zoe.click("Cancel")
    assert "Cancelled" in seen.text


# -- another tier, with a justification ---------------------------------------------------------------
async def test_asking_for_a_different_tier_is_recorded_as_pending_and_explained(harness: Harness):
    zoe = harness.person("zoe@example.com")
    seen = await answer_all(zoe)
    assert "LOW risk" in seen.text
    seen = await zoe.click("Ask for a different tier")
    assert "Which tier do you think fits" in seen.text
    assert [b.label for b in seen.buttons][:2] == ["Medium", "High"]
    seen = await zoe.click("High")
    assert "Please explain why" in seen.text
    seen = await zoe.say("short")
    assert "too short" in seen.text
    why = "It will feed claim decisions for vulnerable customers, so reviewers should look closely."
    seen = await zoe.say(why)
    text = flat(seen)
    assert "please check" in text and "Requested tier High" in text and why in text
    assert "You asked for high: a requested tier applies only once the risk reviewers accept it" in said(seen)
    seen = await zoe.click("Submit the idea")
    assert "you asked for high: that applies only once the risk reviewers accept it" in flat(seen)
    uc = await the_use_case(harness)
    assert (uc.risk_tier, uc.tier_requested, uc.tier_override_status) == ("low", "high", "pending")
    assert uc.tier_justification == why and uc.effective_tier == "low"
    (entry,) = await audits(harness, "use_case.tier_override_requested")
    assert entry.data == {"requested": "high", "justification": why}


# -- the vendor, asked once -------------------------------------------------------------------------------
@pytest.mark.parametrize("pick,involved,name", [("1", False, ""), ("2", True, "Acme AI"), ("3", True, "Acme AI")])
async def test_the_vendor_is_asked_once_and_its_name_only_when_there_is_one(harness: Harness, pick, involved, name):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    asked = []
    for a in ANSWERS:
        asked.append((await zoe.say(a)).text)
    for p in ["1", "1", "1"]:
        asked.append((await zoe.say(p)).text)
    seen = await zoe.say(pick)  # "Does it rely on an outside supplier or model provider?"
    asked.append(seen.text)
    if involved:
        assert "Which vendor or product?" in seen.text
        asked.append((await zoe.say(name)).text)
    for p in ["1", "1"]:
        asked.append((await zoe.say(p)).text)
    everything = "\n".join(asked)
    assert everything.count("outside supplier or model provider") == 1
    assert "third-party vendor" not in everything
    await zoe.click("That tier is right")
    await zoe.click("Submit the idea")
    uc = await the_use_case(harness)
    assert (uc.vendor_involved, uc.vendor_name) == (involved, name)
    assert uc.risk_answers["vendor"] == {"1": "none", "2": "approved_vendor", "3": "new_vendor"}[pick]


async def test_changing_the_vendor_answer_asks_for_its_name_and_dropping_it_forgets_the_name(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await answer_all(zoe)
    await zoe.click("That tier is right")
    await zoe.click("Change an answer")
    await zoe.click("Vendor")
    seen = await zoe.click("A supplier we have already approved")
    assert "Which vendor or product?" in seen.text
    seen = await zoe.say("Acme AI")
    assert "please check" in seen.text and "Acme AI" in seen.text
    await zoe.click("Change an answer")
    await zoe.click("Vendor")
    seen = await zoe.click("No third party is involved")
    assert "please check" in seen.text and "Acme AI" not in seen.text
    await zoe.click("Submit the idea")
    uc = await the_use_case(harness)
    assert (uc.vendor_involved, uc.vendor_name) == (False, "")


# -- progress ---------------------------------------------------------------------------------------------
async def test_the_progress_counter_is_steady_and_truthful(harness: Harness):
    zoe = harness.person("zoe@example.com")
    seen = await zoe.say("propose")
    answers = [*ANSWERS, "1", "1", "1", "3", "Acme AI", "1", "1"]
    counters = []
    for a in [None, *answers]:
        if a is not None:
            seen = await zoe.say(a)
        m = re.search(r"New AI idea · (.*?) · type", flat(seen))
        counters.append(m.group(1) if m else None)
    assert counters[:16] == [f"question {i} of 17" for i in range(1, 16)] + ["a follow-up to question 15 of 17"]
    assert counters[16:18] == ["question 16 of 17", "question 17 of 17"]
    assert counters[18] == "all 17 questions answered"  # the tier check
    seen = await zoe.click("Ask for a different tier")
    assert "New AI idea · all 17 questions answered" in flat(seen)
    assert "of 18" not in flat(seen) and "of 19" not in flat(seen)


# -- after submitting ------------------------------------------------------------------------------------
async def test_the_proposer_is_offered_only_buttons_they_may_use(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    seen = await finish(zoe, ANSWERS)
    labels = [b.label for b in seen.buttons]
    assert labels == ["Add a risk", "Status"]  # not "Score pilot selection": only the owners score
    assert "type /as anna.owner@example.com to act as the business owner" in said(seen)
    for b in seen.buttons:
        assert "Only" not in (await zoe.press(b)).text
    # an owner proposing their own idea may score it straight away
    anna = harness.person("anna.owner@example.com")
    await anna.say("propose")
    seen = await finish(anna, ["Holiday booking chatbot", "Staff email HR to book annual leave and wait days.",
                               "Answer 80% of leave requests in chat within a minute while HR still approves "
                               "exceptions", *ANSWERS[3:]])
    assert [b.label for b in seen.buttons] == ["Score pilot selection", "Add a risk", "Status"]
    assert "/as" not in seen.text
    assert "Pilot selection criteria" in (await anna.click("Score pilot selection")).text


async def test_the_sponsor_is_not_offered_the_scorecard(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    await finish(zoe, [*ANSWERS[:-1], "lena.lead@example.com"])
    (told,) = harness.out.dms_to("lena.lead@example.com")
    assert "executive sponsor of UC-1" in told and "Score pilot selection" not in told
    assert "Score pilot selection" in harness.out.dms_to("anna.owner@example.com")[0]


# -- the audit trail ---------------------------------------------------------------------------------------
async def test_every_fact_and_every_changed_answer_is_in_the_audit_log(harness: Harness, clock):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    await zoe.say("First name")
    await zoe.say("back")
    clock.advance(minutes=2)
    await answer_all(zoe, start=False)
    await zoe.click("That tier is right")
    await zoe.click("Change an answer")
    await zoe.click("Audience")
    await zoe.click("Customers or the public")
    await zoe.click("None of these")  # customers see it now: the EU AI Act transparency question follows
    await zoe.click("Submit the idea")
    (proposed,) = await audits(harness, "use_case.proposed")
    facts = proposed.data
    assert facts["title"] == ANSWERS[0] and facts["outcome"] == ANSWERS[2] and facts["theme"] == \
        "operational_excellence"
    assert facts["business_owner"]["email"] == "anna.owner@example.com" and facts["sponsor"] is None
    assert facts["risk:audience"] == "external" and facts["timeline"] == "within_3_months"
    changes = await audits(harness, "use_case.intake_answer_changed")
    assert [(c.data["label"], c.data["from"], c.data["to"]) for c in changes] == [
        ("Name", "First name", ANSWERS[0]), ("Audience", "Only our own staff", "Customers or the public")]
    assert changes[0].data["at"] == clock.now.isoformat()
    assert all(c.use_case_id == proposed.use_case_id for c in changes)
    (tier,) = await audits(harness, "use_case.tier_set")
    assert tier.data["tier"] == "medium"
