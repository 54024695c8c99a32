"""The similar-ideas check beyond the notice itself: vectors on edit, import and reindex, the form path, the
portfolio's likely duplicates (`aiom similar --all`, the digest), and the report of what proposers answered."""
from __future__ import annotations

import asyncio
import subprocess

from vocabulary.interaction import OpenForm
from notifications.digest import runs
from storage.repo import vectors
from tests.support import factories
from tests.support.proc import AIOM, ROOT, clean_env
from tests.support.reviewing import flat
from tests.test_similarity import MAX_IDEA, first_idea, propose_until_similar
from tests.test_intake import ANSWERS
from tests.test_teams_forms import GOOD

# Two teams' words for one idea, and an idea from the same department in the same words (the evaluation set's).
INVOICES = dict(title="Invoice three-way matching",
                problem="Accounts payable clerks spend hours pairing supplier invoices with purchase orders and "
                        "goods receipts before payment.",
                outcome="Cut matching time per invoice by 60% while a clerk still approves every exception above "
                        "10,000 EUR.")
BILLS = dict(title="PO and receipt reconciliation for AP",
             problem="Our payables team manually compares each vendor bill against the purchase order and the goods "
                     "receipt note.",
             outcome="Automate the matching of bills to orders and receipts, keeping a human approval for large "
                     "exceptions.")
# The intake example and another team's words for it: close enough to ask "the same idea?".
CLAIMS = dict(zip(("title", "problem", "outcome"), ANSWERS[:3]))
URGENT = dict(zip(("title", "problem", "outcome"), MAX_IDEA[:3]))
HOLIDAYS = dict(title="Holiday booking chatbot", problem="Staff email HR to book annual leave and wait days for an "
                                                          "answer.",
                outcome="Answer 80% of leave requests in chat within a minute while HR still approves exceptions")


def aiom(db_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*AIOM, "similar", *args], env=clean_env(DATABASE_URL=db_url), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


async def run(db_url: str, *args: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(aiom, db_url, *args)


async def seed(harness, *ideas: dict, restricted: tuple[int, ...] = ()) -> list[int]:
    """Use cases written straight into the database (as an import does): no vectors yet."""
    ids = []
    async with harness.app.db.write() as s:
        for i, idea in enumerate(ideas):
            uc = await factories.use_case(s, **idea, restricted=i in restricted)
            ids.append(uc.id)
    return ids


async def vector_count(harness) -> int:
    async with harness.app.db.read() as s:
        from vocabulary.rules import embedding

        return await vectors.count(s, embedding.MODEL)


async def test_reindex_computes_the_missing_vectors_with_a_progress_bar_then_finds_nothing_to_do(harness, db_url):
    await seed(harness, INVOICES, BILLS, HOLIDAYS)
    assert await vector_count(harness) == 0
    r = await run(db_url, "--reindex")
    assert r.returncode == 0, r.stderr
    assert "3 use cases; 3 need a vector" in r.stdout and "Done: 3 vectors computed." in r.stdout
    assert "Computing vectors [" in r.stderr and "3/3" in r.stderr
    assert await vector_count(harness) == 3
    again = await run(db_url, "--reindex")
    assert "3 use cases; 0 need a vector" in again.stdout and "Computing vectors" not in again.stderr


async def test_all_lists_the_pairs_that_look_like_the_same_idea(harness, db_url):
    r = await run(db_url, "--all")
    assert r.returncode == 0 and "No two open use cases look like the same idea" in r.stdout
    await seed(harness, CLAIMS, INVOICES, HOLIDAYS, URGENT, BILLS, restricted=(3,))
    r = await run(db_url, "--all")
    assert "5 use cases have no vector yet and are left out: run aiom similar --reindex first." in r.stdout
    await run(db_url, "--reindex")
    r = await run(db_url, "--all")
    assert r.returncode == 0, r.stderr
    assert "1 pair of open use cases look like the same idea (cosine 0.65 or more)" in r.stdout
    assert "UC-1 “Claims triage assistant” and UC-4 “Urgent claims first”" in r.stdout
    assert "(restricted)" in r.stdout  # the operator sees restricted ones, marked
    assert "Holiday" not in r.stdout and "Invoice" not in r.stdout  # related, but not the same idea
    r = await run(db_url, "--all", "--threshold", "0.55")
    assert "2 pairs" in r.stdout and "UC-2 “Invoice three-way matching” and UC-5" in r.stdout


async def test_the_cli_refuses_unclear_requests_politely(db_url):
    r = await run(db_url)
    assert r.returncode == 2 and "Say what to do: aiom similar --reindex, --report or --all" in r.stderr
    r = await run(db_url, "--all", "--threshold", "7")
    assert r.returncode == 2 and "--threshold is a cosine between 0 and 1" in r.stderr
    assert "Traceback" not in r.stderr


async def test_the_report_counts_what_proposers_answered(harness, db_url):
    r = await run(db_url, "--report")
    assert "No proposer has answered a similar-ideas notice yet." in r.stdout
    await first_idea(harness)
    for email, choice in (("max@example.com", "Yes, the same: join UC-1"), ("mia@example.com", "No, a different idea"),
                          ("mo@example.com", "Related: link to UC-1")):
        p = harness.person(email)
        await propose_until_similar(p, MAX_IDEA)
        await p.click(choice)
    r = await run(db_url, "--report")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "“This looks like the same idea” questions: 3" in out
    assert "the same idea (joined): 1 (33%)" in out and "not related (went on as a new idea): 1 (33%)" in out
    assert "related (linked, or told its owners): 1 (33%)" in out
    assert "the question was right (same or related) 67% of the time" in out


async def test_an_idea_written_without_a_vector_is_still_found_beyond_the_in_turn_backfill(harness):
    from conversations.similar import search as similar_search

    fillers = [dict(title=f"Warehouse idea {i}", problem=f"Forklift route number {i} is planned on paper.",
                    outcome="Plan forklift routes in the warehouse system while supervisors keep approval.")
               for i in range(similar_search.BACKFILL + 3)]
    ids = await seed(harness, *fillers, INVOICES)  # the invoice idea comes last: not among the first backfilled
    p = harness.person("max@example.com")
    await p.say("propose")
    for answer in (BILLS["title"], BILLS["problem"]):
        await p.say(answer)
    await p.say(BILLS["outcome"])
    seen = await p.click("Keep my answer")  # the outcome coach asks for a metric first
    text = flat(seen.text)
    assert f"UC-{ids[-1]} “Invoice three-way matching”" in text, text
    assert await vector_count(harness) == similar_search.BACKFILL  # the rest wait for the next check or --reindex


async def test_an_edit_recomputes_the_vector_so_the_new_wording_is_matched(harness):
    await first_idea(harness)  # UC-1, the claims triage idea, proposed by zoe
    zoe = harness.person("zoe@example.com")
    await zoe.say("edit UC-1")
    seen = await zoe.submit("uc.edit", {"uc": 1}, HOLIDAYS)
    assert "Saved UC-1" in flat(seen.text)
    hana = harness.person("hana.hr@example.com")
    text = flat(await propose_until_similar(hana, [
        "Annual leave requests in chat", "Employees write to HR to request vacation days and wait for a reply.",
        "Handle 80% of vacation requests in a chat within a minute while HR still approves exceptions"]))
    assert "UC-1 “Holiday booking chatbot”" in text
    max_ = harness.person("max@example.com")
    text = flat(await propose_until_similar(max_, MAX_IDEA))
    assert "UC-1" not in text  # the old wording no longer matches


async def test_after_the_form_the_notice_comes_before_the_tier(harness):
    await first_idea(harness)
    max_ = harness.person("max@example.com")
    await max_.say("propose")
    seen = await max_.click("Fill in a form instead")
    form = seen.op(OpenForm).form
    values = {**GOOD, "title": MAX_IDEA[0], "problem": MAX_IDEA[1], "outcome": MAX_IDEA[2]}
    seen = await max_.submit(form.form_id, form.payload, values)
    text = flat(seen.text)
    assert "this looks like the same idea as UC-1" in text and "sound right" not in text
    seen = await max_.click("No, a different idea")
    assert "Does that sound right?" in flat(seen.text)  # then the tier, and on to the summary


async def test_the_digest_names_pairs_that_look_like_the_same_idea_and_hides_restricted_ones(harness):
    await seed(harness, CLAIMS, URGENT, HOLIDAYS)
    async with harness.app.db.write() as s:
        from conversations.similar import search as similar_search

        await similar_search.backfill(s, 10)
    lead = flat(str(await _digest(harness, "CLEADERSHIP")))
    assert "LIKELY DUPLICATES 1 pair of use cases look like the same idea (new or edited since the last digest): " \
           "UC-1 Claims triage assistant and " \
           "UC-2 Urgent claims first." in lead
    async with harness.app.db.write() as s:
        from storage.repo import use_cases

        await use_cases.update_fields(s, 2, restricted=True)
    other = flat(str(await _digest(harness, "CPRODUCT")))
    assert "LIKELY DUPLICATES" not in other and "Urgent claims first" not in other
    from datetime import timedelta

    from storage.types import utcnow

    weeks_later = flat(str(await _digest(harness, "CLEADERSHIP", utcnow() + timedelta(days=21))))
    assert "LIKELY DUPLICATES" not in weeks_later  # named once, in the digest after they were written


async def _digest(harness, channel, now=None):
    from tests.support import portfolio
    from tests.support.harness import as_text

    msg = await runs.preview(harness.app.notifications, "weekly", now or portfolio.NOW, platform="slack", channel=channel)
    return as_text(msg)


async def test_the_background_sweep_computes_missing_vectors_a_batch_at_a_time(harness, clock):
    from notifications import sweeps

    await seed(harness, CLAIMS, URGENT, HOLIDAYS)
    out = await sweeps.run_all(harness.app.notifications, clock.now)
    assert out["similar_vectors"] == 3 and await vector_count(harness) == 3
    assert (await sweeps.run_all(harness.app.notifications, clock.now))["similar_vectors"] == 0
