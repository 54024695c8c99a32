"""Scorecards through the neutral engine: one message updated in place, shared by both owners, resumable,
refusing non-owners and tampered buttons, audited, and lean on the click path."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, func, select

from vocabulary.interaction import FormErrors, OpenForm, Replace, ReplaceSource, Say
from vocabulary.messages import Button
from storage import audit
from storage.tables import AuditEntry, Scorecard, ScorecardAnswer
from tests.support import factories
from tests.support.harness import Harness

ANNA, BOB, ZOE = "anna.owner@example.com", "bob.delivery@example.com", "zoe@example.com"


async def make_use_case(h: Harness, **kw) -> int:
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, **kw)
        return uc.id


async def rows(h: Harness, model, *where):
    async with h.app.db.read() as s:
        return list((await s.execute(select(model).where(*where))).scalars().all())


async def audit_actions(h: Harness) -> list[str]:
    async with h.app.db.read() as s:
        return list((await s.execute(select(AuditEntry.action).order_by(AuditEntry.seq))).scalars().all())


async def score(person, values: list[int]):
    seen = None
    for v in values:
        seen = await person.click(f"{v} ·")
    return seen


async def test_pilot_selection_scored_by_an_owner_gives_total_and_strong_candidate(harness: Harness):
    uc = await make_use_case(harness)
    anna = harness.person(ANNA)
    seen = await anna.say(f"score UC-{uc}")  # exploration: the next gate needs the pilot selection
    say = seen.op(Say)
    assert say.thread_of == f"use_case:{uc}"
    assert "Pilot selection criteria" in seen.text and "Pilot selection 0/12" in seen.text
    assert "business problem" in seen.text.lower()
    assert [b.label for b in seen.buttons[:3]] == ["1 · Weak or absent", "2 · Partly there", "3 · Clearly there"]
    seen = await score(anna, [3] * 11 + [2])
    assert seen.op(ReplaceSource) is not None and seen.op(Say) is None  # the same message, updated in place
    assert "35 of 36" in seen.text and "Strong candidate" in seen.text
    assert "Weakest criteria: Path to production (2)." in seen.text
    sc = (await rows(harness, Scorecard))[0]
    assert (sc.status, sc.answered, sc.instrument, sc.attempt) == ("complete", 12, "pilot_selection", 1)
    answers = await rows(harness, ScorecardAnswer)
    assert len(answers) == 12 and all(a.answered_by_id for a in answers)
    actions = await audit_actions(harness)
    assert actions.count("scorecard.answered") == 12 and actions.count("scorecard.completed") == 1
    assert actions.count("scorecard.started") == 1


async def test_pilot_selection_at_30_is_not_a_strong_candidate(harness: Harness):
    uc = await make_use_case(harness)
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc} pilot")
    seen = await score(anna, [3] * 6 + [2] * 6)
    assert "30 of 36" in seen.text and "Not a strong candidate" in seen.text
    assert "Weakest criteria: Technical feasibility (2), Risk exposure (2), Ownership (2)." in " ".join(seen.text.split())


async def test_readiness_one_area_at_a_time_with_progress_question_and_low_score(harness: Harness):
    uc = await make_use_case(harness, stage="pilot")
    anna = harness.person(ANNA)
    seen = await anna.say(f"score UC-{uc}")  # pilot stage: readiness is what the next gate needs
    assert "Readiness 0/18" in seen.text and "problem clarity" in seen.text.lower()
    assert "A low score looks like: The goal is fuzzy" in seen.text
    labels = [b.label for b in seen.buttons]
    assert labels[:5] == ["1 · Not in place", "2 · Major gaps", "3 · Partially ready", "4 · Mostly ready",
                          "5 · Ready with confidence"]
    assert "Review answers" in labels and "Pause" in labels and "Back" not in labels
    seen = await score(anna, [4] * 7)
    assert "Readiness 7/18" in seen.text and "area 8 of 18" in seen.text
    assert "user adoption readiness" in seen.text.lower()
    assert "Back" in [b.label for b in seen.buttons]
    for b in seen.buttons:  # ids only
        assert set(b.payload) <= {"sc", "k", "v"}
        assert all(isinstance(v, (int, str)) for v in b.payload.values())


async def test_readiness_summary_band_action_hard_gates_areas_at_one_and_weakest(harness: Harness):
    uc = await make_use_case(harness, stage="pilot")
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc} readiness")
    # problem clarity 1, ownership (hard gate) 2, security (hard gate) 1, the rest 4: 1+4+4+4+2 + ... = 64
    values = [1, 4, 4, 4, 2, 4, 4, 4, 4, 4, 1, 4, 4, 4, 4, 4, 4, 4]
    seen = await score(anna, values)
    text = seen.text
    assert f"Readiness scorecard complete · UC-{uc}" in text
    assert "64 of 90" in text and "Moderate readiness" in text
    assert "Go ahead only once the specific gaps found have been closed." in text
    assert "Ownership (2)" in text and "Security readiness (1)" in text and "hard gates not met" in text.lower()
    assert "Problem clarity: needs explicit review" in text and "Security readiness: needs explicit review" in text
    assert "Weakest areas: Problem clarity (1), Security readiness (1), Ownership (2)" in text
    labels = [b.label for b in seen.buttons]
    assert "Record review: Problem clarity" in labels and "Record review: Security readiness" in labels
    actions = await audit_actions(harness)
    async with harness.app.db.read() as s:
        done = (await s.execute(select(AuditEntry).where(AuditEntry.action == "scorecard.completed"))).scalar_one()
    assert done.data["band"] == "moderate" and done.data["total"] == 64
    assert done.data["hard_gate_failures"] == ["ownership", "security_readiness"]
    assert actions[-1] == "scorecard.completed"


async def test_recording_the_review_of_an_area_at_one(harness: Harness):
    uc = await make_use_case(harness, stage="pilot")
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc} readiness")
    seen = await score(anna, [1] + [4] * 17)
    record = next(b for b in seen.buttons if b.label == "Record review: Problem clarity")
    # someone with no role on the use case may not record it
    stranger = harness.person("sam.security@example.com")
    refused = await stranger.press(record)
    assert "Only the owners or sponsor" in refused.text
    # a leader may
    lena = harness.person("lena.lead@example.com")
    seen = await lena.press(record)
    form = seen.op(OpenForm).form
    assert form.form_id == "scorecard.review_note" and form.payload == record.payload
    seen = await lena.submit(form.form_id, form.payload, {"note": "ok"})
    assert seen.op(FormErrors) is not None
    seen = await lena.submit(form.form_id, form.payload, {"note": "Problem re-stated with the claims team lead."})
    assert "Review recorded for Problem clarity" in seen.text
    (ans,) = await rows(harness, ScorecardAnswer, ScorecardAnswer.item_key == "problem_clarity")
    assert ans.reviewed_at is not None and ans.review_note.startswith("Problem re-stated")
    assert ans.reviewed_by_id is not None
    assert "scorecard.area_reviewed" in await audit_actions(harness)
    seen = await lena.click("See the summary")
    assert "Problem clarity: reviewed by Lena.Lead" in seen.text
    assert "Record review" not in " ".join(b.label for b in seen.buttons)


async def test_second_owner_continues_what_the_first_started(harness: Harness):
    uc = await make_use_case(harness, stage="pilot")
    anna, bob = harness.person(ANNA), harness.person(BOB)
    await anna.say(f"score UC-{uc} readiness")
    await score(anna, [3] * 5)
    seen = await bob.say(f"score UC-{uc} readiness")
    assert "Readiness 5/18" in seen.text and "decision rights" in seen.text.lower()
    seen = await score(bob, [5])
    assert "Readiness 6/18" in seen.text
    answers = {a.item_key: a for a in await rows(harness, ScorecardAnswer)}
    async with harness.app.db.read() as s:
        from storage.repo import people

        a_id, b_id = (await people.by_email(s, ANNA)).id, (await people.by_email(s, BOB)).id
    assert answers["problem_clarity"].answered_by_id == a_id
    assert answers["decision_rights"].answered_by_id == b_id and answers["decision_rights"].value == 5
    assert len(await rows(harness, Scorecard)) == 1  # one shared answer set


async def test_restart_in_the_middle_resumes_and_old_buttons_still_work(db_url, policy, clock):
    h = await Harness.start(db_url, policy=policy, clock=clock)
    uc = await make_use_case(h, stage="pilot")
    anna = h.person(ANNA)
    await anna.say(f"score UC-{uc} readiness")
    seen = await score(anna, [4] * 3)
    pending = list(seen.buttons)
    await h.stop()

    h2 = await Harness.start(db_url, policy=policy, clock=clock)
    anna2 = h2.person(ANNA)
    seen = await anna2.press(next(b for b in pending if b.label.startswith("2 ·")))  # the button from before
    assert "Readiness 4/18" in seen.text and "ownership" in seen.text.lower()
    seen = await anna2.say(f"score UC-{uc}")
    assert "Readiness 4/18" in seen.text and "area 5 of 18" in seen.text
    await h2.stop()


async def test_a_non_owner_is_refused_and_nothing_changes(harness: Harness):
    uc = await make_use_case(harness, stage="pilot")
    zoe = harness.person(ZOE)  # the proposer is not an owner
    seen = await zoe.say(f"score UC-{uc} readiness")
    assert f"Only the business owner or delivery owner of UC-{uc} can answer its scorecard." in seen.text
    anna = harness.person(ANNA)
    seen = await anna.say(f"score UC-{uc} readiness")
    first = seen.buttons[0]
    seen = await zoe.press(first)
    assert f"Only the business owner or delivery owner of UC-{uc} can answer its scorecard." in seen.text
    assert await rows(harness, ScorecardAnswer) == []


@pytest.mark.parametrize("payload", [
    {"k": "no_such_area", "v": 3}, {"k": "problem_clarity", "v": 6}, {"k": "problem_clarity", "v": 0},
    {"k": "problem_clarity", "v": "3"}, {"k": "problem_clarity", "v": True}, {"k": "problem_clarity", "v": 2.5},
    {"k": ["problem_clarity"], "v": 3}, {"k": "problem_clarity"},
    {"sc": "1; drop table", "k": "problem_clarity", "v": 3},
    {"sc": None, "k": "problem_clarity", "v": 3}])
async def test_tampered_payloads_get_a_polite_message_and_change_nothing(harness: Harness, payload):
    uc = await make_use_case(harness, stage="pilot")
    anna = harness.person(ANNA)
    seen = await anna.say(f"score UC-{uc} readiness")
    sc_id = seen.buttons[0].payload["sc"]
    before = await audit_actions(harness)
    seen = await anna.press(Button("x", "scorecard.answer", {"sc": sc_id, **payload}))
    assert "could not read that button" in seen.text and "nothing was changed" in seen.text
    assert "wrong" not in seen.text.lower()  # not the engine's generic error
    assert await rows(harness, ScorecardAnswer) == []
    assert await audit_actions(harness) == before
    sc = (await rows(harness, Scorecard))[0]
    assert sc.answered == 0


async def test_a_scorecard_that_does_not_exist(harness: Harness):
    await make_use_case(harness, stage="pilot")
    seen = await harness.person(ANNA).press(Button("x", "scorecard.answer", {"sc": 999, "k": "ownership", "v": 3}))
    assert "no longer exists" in seen.text


async def test_back_review_answers_change_and_pause(harness: Harness):
    uc = await make_use_case(harness, stage="pilot")
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc} readiness")
    await score(anna, [2, 3])
    seen = await anna.click("Back")
    assert "strategic relevance" in seen.text.lower() and "Current answer: 3 · Partially ready" in seen.text
    seen = await anna.click("5 ·")  # change it; then on to the first unanswered area after it
    assert "Readiness 2/18" in seen.text and "value case" in seen.text.lower()
    seen = await anna.click("Review answers")
    assert "1. Problem clarity: 2 · Major gaps" in seen.text and "2. Strategic relevance: 5 · Ready with" in seen.text
    assert "3. Value case: not answered" in seen.text
    seen = await anna.click("Problem clarity")
    assert "Current answer: 2" in seen.text
    seen = await anna.click("Pause")
    assert "Paused" in seen.text and "score UC-1 readiness" in seen.text
    seen = await anna.click("Continue")
    assert "value case" in seen.text.lower() and "Readiness 2/18" in seen.text
    answers = {a.item_key: a.value for a in await rows(harness, ScorecardAnswer)}
    assert answers == {"problem_clarity": 2, "strategic_relevance": 5}
    actions = await audit_actions(harness)
    assert actions.count("scorecard.answered") == 3


async def test_a_new_attempt_supersedes_the_old_one(harness: Harness):
    uc = await make_use_case(harness)
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc} pilot")
    seen = await score(anna, [2] * 12)
    old_review = next(b for b in seen.buttons if b.label == "Review answers")
    seen = await anna.click("Start a new attempt")
    assert "Attempt 2" in seen.text and "Pilot selection 0/12" in seen.text
    seen = await anna.press(old_review)
    assert "replaced by a newer attempt" in seen.text
    cards = sorted(await rows(harness, Scorecard), key=lambda c: c.attempt)
    assert [(c.attempt, c.status) for c in cards] == [(1, "superseded"), (2, "in_progress")]


async def test_vendor_checklist_only_where_a_vendor_is_involved(harness: Harness):
    uc = await make_use_case(harness, stage="controlled_rollout")
    seen = await harness.person(ANNA).say(f"score UC-{uc} vendor")
    assert "no vendor involved" in seen.text
    assert await rows(harness, Scorecard) == []


async def test_score_needs_a_use_case_and_unknown_use_cases_are_not_found(harness: Harness):
    anna = harness.person(ANNA)
    seen = await anna.say("score")
    assert "score UC-4 readiness" in " ".join(seen.text.split())
    seen = await anna.say("score UC-77")
    assert "could not find UC-77" in seen.text


async def test_the_click_path_stays_lean(harness: Harness):
    """One SELECT of answered keys, one UPSERT, one UPDATE of the counters per click; no answer list loaded."""
    uc = await make_use_case(harness, stage="pilot")
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc} readiness")
    await score(anna, [3])
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()).lower())

    engine = harness.app.db.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        await score(anna, [4])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    touching_answers = [s for s in statements if "scorecard_answer" in s]
    assert len([s for s in touching_answers if s.startswith("select")]) == 1, touching_answers
    assert len([s for s in touching_answers if s.startswith("insert")]) == 1
    assert len([s for s in statements if s.startswith("update scorecard ")]) == 1
    assert len([s for s in statements if "insert into audit_log" in s]) == 1  # on Postgres inside one WITH


async def test_scorecards_keep_the_audit_chain_valid(harness: Harness):
    uc = await make_use_case(harness)
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc} pilot")
    await score(anna, [3] * 12)
    async with harness.app.db.read() as s:
        count, problems = await audit.verify(s)
    assert problems == [] and count >= 14


@pytest.mark.postgres_only
async def test_two_owners_clicking_at_once_keep_the_counters_exact(harness: Harness):
    uc = await make_use_case(harness, stage="pilot")
    anna, bob = harness.person(ANNA), harness.person(BOB)
    seen = await anna.say(f"score UC-{uc} readiness")
    await bob.say(f"score UC-{uc} readiness")
    sc_id = seen.buttons[0].payload["sc"]
    keys = [it.key for it in harness.app.policy.readiness.items][:12]
    clicks = []
    for i, k in enumerate(keys):
        who = anna if i % 2 else bob
        clicks.append(who.press(Button("x", "scorecard.answer", {"sc": sc_id, "k": k, "v": 3})))
    await asyncio.gather(*clicks)
    (sc,) = await rows(harness, Scorecard)
    async with harness.app.db.read() as s:
        n = (await s.execute(select(func.count()).select_from(ScorecardAnswer))).scalar_one()
    assert n == 12 and sc.answered == 12
    seen = await anna.say(f"score UC-{uc} readiness")
    assert "Readiness 12/18" in seen.text


# -- typed words on an open scorecard -----------------------------------------------------------------------
async def test_typed_back_help_a_score_skip_and_cancel_reach_the_open_scorecard(harness: Harness):
    uc = await make_use_case(harness, stage="pilot")
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc} readiness")
    await score(anna, [3, 3, 3])
    seen = await anna.say("back")
    assert seen.op(Replace) is not None and seen.op(Say) is None  # the scorecard's own message, updated
    assert "value case" in seen.text.lower() and "Current answer: 3" in seen.text and "area 3 of 18" in seen.text
    seen = await anna.say("back")
    assert "strategic relevance" in seen.text.lower() and "area 2 of 18" in seen.text
    seen = await anna.say("help")
    text = " ".join(seen.text.split())
    assert "Strategic relevance:" in text and "A low score looks like:" in text
    assert "Click a score from 1 (Not in place) to 5 (Ready with confidence), or type back" in text
    seen = await anna.say("5")  # a typed score answers (here: changes) the area on screen
    assert "success criteria" in seen.text.lower() and "Readiness 3/18" in seen.text
    seen = await anna.say("skip")
    assert "Skipped for now" in seen.text and "ownership" in seen.text.lower() and "area 5 of 18" in seen.text
    seen = await anna.say("hmm")
    assert "I did not understand that. Click a score on UC-1's scorecard" in " ".join(seen.text.split())
    assert seen.buttons == []  # nothing new to number: the scorecard's buttons stay the ones to use
    seen = await anna.say("cancel")
    assert "Paused UC-1 at Readiness 3/18" in seen.text and "Every answer so far is kept" in seen.text
    answers = {a.item_key: a.value for a in await rows(harness, ScorecardAnswer)}
    assert answers == {"problem_clarity": 3, "strategic_relevance": 5, "value_case": 3}
    seen = await anna.say("back")  # the scorecard is closed for typed words now
    assert "did not understand" in seen.text


async def test_a_command_typed_on_an_open_scorecard_leaves_it(harness: Harness):
    uc = await make_use_case(harness, stage="pilot")
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc} readiness")
    seen = await anna.say(f"status UC-{uc}")
    assert f"UC-{uc}" in seen.text and "did not understand" not in seen.text
    seen = await anna.say("back")
    assert "did not understand" in seen.text


async def test_back_on_a_finished_scorecard_opens_its_last_area(harness: Harness):
    uc = await make_use_case(harness)
    anna = harness.person(ANNA)
    await anna.say(f"score UC-{uc} pilot")
    await score(anna, [3] * 12)
    seen = await anna.say("back")
    assert "path to production" in seen.text.lower() and "Current answer: 3" in seen.text
    seen = await anna.say("2")
    assert "35 of 36" in seen.text


async def test_a_scorecard_opened_during_a_proposal_does_not_take_its_typed_answers(harness: Harness):
    uc = await make_use_case(harness, stage="pilot")
    anna = harness.person(ANNA)
    await anna.say("propose")
    seen = await anna.press(Button("Score", "scorecard.start", {"uc": uc, "i": "readiness"}))
    assert "Readiness 0/18" in seen.text
    seen = await anna.say("My second idea")
    assert "Name: My second idea" in seen.text and "What problem does it solve" in seen.text
