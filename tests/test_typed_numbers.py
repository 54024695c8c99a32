"""Typed numbers mean what the person meant: on a score question a number is a score, never the number of the
Back, Pause or Review answers button; a number that is no valid score names the valid range and saves
nothing. The same on every question with choices (a KPI's "who reports its value?"). Through the local chat."""
from __future__ import annotations

import io

from sqlalchemy import select

from bot.console.chat import ConsoleChat
from storage.tables import Kpi, ScorecardAnswer
from tests.support import factories
from tests.support.harness import Harness

ANNA = "anna.owner@example.com"


async def chat(h: Harness, email: str, lines: list[str]) -> str:
    out = io.StringIO()
    console = ConsoleChat(h.app.engine, h.app.dispatcher, email, stdin=io.StringIO("\n".join(lines) + "\n"), out=out)
    await console.run()
    return " ".join(out.getvalue().split())


async def use_case(h: Harness, stage: str) -> int:
    async with h.app.db.write() as s:
        return (await factories.use_case(s, stage=stage, now=h.app.clock())).id


async def answers(h: Harness) -> dict[str, int]:
    async with h.app.db.read() as s:
        return {a.item_key: a.value for a in (await s.execute(select(ScorecardAnswer))).scalars().all()}


async def test_a_typed_number_on_a_readiness_area_is_a_score_or_a_polite_range(harness: Harness):
    uc = await use_case(harness, "pilot")
    text = await chat(harness, ANNA, [f"score UC-{uc} readiness", "6", "3.5", "three", "-1", "0", "4", "/quit"])
    for typed in ("6", "3.5", "three", "-1", "0"):
        assert (f"“{typed}” is not a score for Problem clarity: please pick a whole number from 1 to 5 "
                "(1 Not in place … 5 Ready with confidence). Nothing was saved.") in text, typed
    # None of them clicked a button: no Review answers list, no pause, no step back.
    assert "Paused UC-" not in text and "Your answers so far" not in text
    assert await answers(harness) == {"problem_clarity": 4}
    assert "Readiness 1/18 answered · area 2 of 18" in text


async def test_a_typed_4_on_a_pilot_selection_criterion_says_pick_1_to_3(harness: Harness):
    uc = await use_case(harness, "exploration")
    text = await chat(harness, ANNA, [f"score UC-{uc} pilot", "4", "5", "2", "/quit"])
    assert "“4” is not a score for Business problem: please pick a whole number from 1 to 3" in text
    assert "“5” is not a score for Business problem" in text
    assert "Paused UC-" not in text
    assert await answers(harness) == {"business_problem": 2}


async def test_a_kpi_is_not_thrown_away_when_who_reports_it_is_answered_6(harness: Harness):
    uc = await use_case(harness, "controlled_rollout")
    text = await chat(harness, ANNA, [f"kpi UC-{uc} add", "Business outcome", "Claims cycle time", "min",
                                      "Lower is better", "30", "20", "6", "2", "weekly", "1", "/quit"])
    assert "Please pick one of the options, 1 to 4" in text
    assert "Cancelled" not in text and "cancelled" not in text
    assert "Saved: “Claims cycle time”" in text
    async with harness.app.db.read() as s:
        [kpi] = (await s.execute(select(Kpi))).scalars().all()
    assert (kpi.name, kpi.baseline, kpi.target) == ("Claims cycle time", 30, 20)


async def test_the_conditions_list_numbers_each_close_button_and_1_closes_the_first(harness: Harness):
    from datetime import date

    from storage.tables import Condition

    uc = await use_case(harness, "pilot")
    texts = ["Pen test before rollout", "Agree the pilot user group with HR and the works council",
             "Bias test on last year's claims", "Train the claims handlers"]
    async with harness.app.db.write() as s:
        from storage.repo import people

        bob = await people.by_email(s, "bob.delivery@example.com")
        for t in texts:
            s.add(Condition(use_case_id=uc, text=t, owner_id=bob.id, due_date=date(2027, 1, 15), status="open",
                            created_by_id=bob.id, created_at=harness.app.clock()))
    text = await chat(harness, ANNA, ["conditions", "1", "The pen test report PT-114 shows no findings", "/quit"])
    assert "4 open conditions:" in text
    assert "[1] Close #1: Pen test before rollout" in text
    assert "[2] Close #2: Agree the pilot user group with…" in text and "[4] Close #4: Train the claims handlers" in text
    assert "Closed condition #1, with your evidence on record. 3 open conditions left" in text
    async with harness.app.db.read() as s:
        rows = {c.id: c.status for c in (await s.execute(select(Condition))).scalars().all()}
    assert rows == {1: "closed", 2: "open", 3: "open", 4: "open"}
    status = await chat(harness, ANNA, [f"status UC-{uc}", "/quit"])
    assert "Open conditions: • #2 Agree the pilot user group" in status


async def test_a_kpi_baseline_typed_1_comma_5_is_stored_as_1_5_and_echoed(harness: Harness):
    uc = await use_case(harness, "controlled_rollout")
    text = await chat(harness, ANNA, [f"kpi UC-{uc} add", "Model quality", "Error rate", "%", "Lower is better",
                                      "1,5", "1,500", "0.5", "1", "weekly", "1", "/quit"])
    assert "Baseline: 1.5" in text  # the stored value, echoed
    assert "Did you mean 1.5 or 1500? Please type it without the comma." in text
    async with harness.app.db.read() as s:
        [kpi] = (await s.execute(select(Kpi))).scalars().all()
    assert (kpi.baseline, kpi.target) == (1.5, 0.5)
