"""Similar-idea detection: reworded duplicates are found, unrelated ideas are not."""
from __future__ import annotations

import pytest

from vocabulary.rules.similarity import LEXICAL_THRESHOLD, Doc, similar, stem, tokens
from tests.test_intake import ANSWERS

THRESHOLD = LEXICAL_THRESHOLD  # the lexical matcher, kept for use cases that have no vector yet

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
    """Start an intake and answer title, problem and outcome: what the proposer sees next."""
    await person.say("propose")
    seen = None
    for a in answers[:3]:
        seen = await person.say(a)
    return seen.text


async def finish(person, answers: list[str] = ANSWERS) -> str:
    """Answer the rest of the intake after the similar-ideas notice, up to the summary."""
    from tests.test_intake import RISK

    for a in answers[3:]:
        seen = await person.say(a)
        assert "Please" not in seen.text.split("\n")[0], seen.text
    for _ in RISK:
        await person.press(person.buttons[0])
    seen = await person.click("That tier is right")
    return said(seen)


async def test_a_second_team_proposing_the_same_idea_is_asked_after_the_third_question(harness):
    await first_idea(harness)
    max_ = harness.person("max@example.com")
    text = " ".join((await propose_until_similar(max_, MAX_IDEA)).split())
    assert "this looks like the same idea as UC-1 “Claims triage assistant”. Is it?" in text
    assert "question 3 of" in text  # before the fourth question
    labels = [b.label for b in max_.buttons]
    assert labels[:3] == ["Yes, the same: join UC-1", "Related: link to UC-1", "No, a different idea"]


async def test_an_unrelated_idea_goes_straight_on_to_the_fourth_question(harness):
    await first_idea(harness)
    mia = harness.person("mia.marketing@example.com")
    text = await propose_until_similar(mia, reworded(
        "Launch banner generator",
        "The brand team draws social media banners by hand for every product launch.",
        "Produce launch banners in an hour instead of three days while a designer approves each one"))
    assert "same idea" not in text and "Related ideas" not in text
    assert "Which process or value stream" in text


# -- link, join, continue: end to end --------------------------------------------------------------------
MAX_IDEA = reworded(
    "Urgent claims first",
    "Handlers lose time working out which new insurance claims are urgent.",
    "Prioritise new claims by urgency so urgent ones are handled 50% sooner while people still review "
    "high-risk cases")


def said(seen) -> str:
    from tests.test_intake_paths import said as _said

    return _said(seen)


async def first_idea(harness) -> None:
    from tests.test_intake import propose

    zoe = harness.person("zoe@example.com")
    await propose(zoe)
    await zoe.click("That tier is right")
    await zoe.click("Submit the idea")


async def use_cases_and_audit(harness):
    from sqlalchemy import select

    from storage.tables import AuditEntry, UseCase, UseCaseContributor

    async with harness.app.db.read() as s:
        ucs = list((await s.execute(select(UseCase).order_by(UseCase.id))).scalars())
        entries = list((await s.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars())
        contributors = [(c.use_case_id, c.person_id) for c in (await s.execute(select(UseCaseContributor))).scalars()]
    return ucs, entries, contributors


async def answers_recorded(harness) -> list[tuple]:
    from storage.repo import vectors

    async with harness.app.db.read() as s:
        return [(a.matched_id, a.notice, a.answer) for a in await vectors.answers(s)]


def told(harness, email: str, what: str) -> list[str]:
    return [t for t in harness.out.dms_to(email) if what in " ".join(t.split())]


async def test_link_creates_a_new_idea_linked_to_the_first_and_tells_both_its_owners(harness):
    await first_idea(harness)
    max_ = harness.person("max@example.com")
    await propose_until_similar(max_, MAX_IDEA)
    await max_.click("Related: link to UC-1")
    assert await answers_recorded(harness) == [(1, "same", "related")]
    summary = await finish(max_, MAX_IDEA)
    assert "submitting creates your idea as a new one, linked to UC-1 “Claims triage assistant” as related" \
        in summary
    assert "Submit the idea" in [b.label for b in max_.buttons]
    seen = await max_.click("Submit the idea")
    assert "UC-2 submitted" in seen.text and "Linked to: UC-1 “Claims triage assistant”" in said(seen)
    ucs, entries, _ = await use_cases_and_audit(harness)
    assert [(u.id, u.linked_to_id) for u in ucs] == [(1, None), (2, 1)]
    for owner in ("anna.owner@example.com", "bob.delivery@example.com"):  # both owners, not just the first
        assert len(told(harness, owner, "proposed UC-2 “Urgent claims first” and linked it to UC-1")) == 1, owner
    linked = [e for e in entries if e.action == "use_case.linked"]
    assert [(e.use_case_id, e.data) for e in linked] == [(2, {"linked_to": 1})]
    (choice,) = [e for e in entries if e.action == "use_case.similar_ideas"]
    assert choice.use_case_id == 2 and choice.data["choice"] == "link:1"
    assert [m["id"] for m in choice.data["matches"]] == [1]


async def test_saying_it_is_the_same_idea_joins_it_without_the_other_questions(harness):
    await first_idea(harness)
    max_ = harness.person("max@example.com")
    await propose_until_similar(max_, MAX_IDEA)
    seen = await max_.click("Yes, the same: join UC-1")
    labels = [b.label for b in seen.buttons]
    assert "Join UC-1" in labels and "Submit the idea" not in labels  # the summary, straight away
    assert "Submitting adds you to UC-1 as a contributor and tells its owners; no new idea is created" in said(seen)
    assert "Risk tier" not in said(seen)
    assert await answers_recorded(harness) == [(1, "same", "same")]
    seen = await max_.click("Join UC-1")
    assert "you have joined UC-1 “Claims triage assistant” instead of starting a duplicate" in said(seen)
    ucs, entries, contributors = await use_cases_and_audit(harness)
    assert [u.id for u in ucs] == [1]
    async with harness.app.db.read() as s:
        from storage.repo import people

        max_id = (await people.by_email(s, "max@example.com")).id
    assert contributors == [(1, max_id)]
    (joined,) = [e for e in entries if e.action == "use_case.joined"]
    assert joined.use_case_id == 1 and joined.actor_id == max_id
    assert joined.data["instead_of_new"] == "Urgent claims first"
    assert joined.data["facts"]["problem"].startswith("Handlers lose time")
    assert [e.data["choice"] for e in entries if e.action == "use_case.similar_ideas"] == ["join:1"]
    for owner in ("anna.owner@example.com", "bob.delivery@example.com"):
        assert len(told(harness, owner, "has a similar idea and joined UC-1")) == 1, owner


async def test_a_different_idea_goes_on_as_new_and_the_no_is_recorded(harness):
    await first_idea(harness)
    max_ = harness.person("max@example.com")
    await propose_until_similar(max_, MAX_IDEA)
    seen = await max_.click("No, a different idea")
    assert "Which process or value stream" in seen.text  # the fourth question
    summary = await finish(max_, MAX_IDEA)
    assert "Similar ideas: you chose to continue as a new idea." in summary
    await max_.click("Submit the idea")
    ucs, entries, contributors = await use_cases_and_audit(harness)
    assert [(u.id, u.linked_to_id) for u in ucs] == [(1, None), (2, None)] and contributors == []
    assert [e.data["choice"] for e in entries if e.action == "use_case.similar_ideas"] == ["new"]
    assert told(harness, "anna.owner@example.com", "similar") == []
    assert await answers_recorded(harness) == [(1, "same", "not_related")]


async def test_the_answer_is_kept_when_the_proposer_then_cancels(harness):
    await first_idea(harness)
    max_ = harness.person("max@example.com")
    await propose_until_similar(max_, MAX_IDEA)
    await max_.click("Related: link to UC-1")
    await max_.say("cancel")
    assert await answers_recorded(harness) == [(1, "same", "related")]


# -- restricted ideas ---------------------------------------------------------------------------------------
async def restricted_first(harness) -> None:
    from tests.support import factories

    async with harness.app.db.write() as s:
        sponsor = await factories.person(s, "sid.sponsor@example.com")
        await factories.use_case(s, restricted=True, sponsor_id=sponsor.id)


async def test_a_restricted_match_is_not_named_to_others_and_its_owners_are_told_on_submit(harness):
    await restricted_first(harness)
    max_ = harness.person("max@example.com")
    text = await propose_until_similar(max_, MAX_IDEA)
    flat_text = " ".join(text.split())
    assert "a similar idea that I cannot show you, because it is restricted" in flat_text
    assert "UC-1" not in text and "Claims triage assistant" not in text
    assert [b.label for b in max_.buttons][:2] == ["Tell its owners about my idea", "Continue as a new idea"]
    assert all("1" not in str(b.payload.get("c", "")) for b in max_.buttons)  # no id in the buttons either
    await max_.click("Tell its owners about my idea")
    summary = await finish(max_, MAX_IDEA)
    assert "tells the owners of the similar restricted idea about it" in summary and "UC-1" not in summary
    await max_.click("Cancel")  # cancelled: nobody is told
    assert told(harness, "anna.owner@example.com", "restricted") == []

    await propose_until_similar(max_, MAX_IDEA)
    await max_.click("Tell its owners about my idea")
    await finish(max_, MAX_IDEA)
    seen = await max_.click("Submit the idea")
    assert "UC-2 submitted" in seen.text and "UC-1" not in seen.text
    for owner in ("anna.owner@example.com", "bob.delivery@example.com"):
        got = told(harness, owner, "proposed UC-2 “Urgent claims first”, which looks similar to your restricted "
                                   "idea UC-1")
        assert len(got) == 1, owner
    assert told(harness, "sid.sponsor@example.com", "restricted") == []
    ucs, entries, _ = await use_cases_and_audit(harness)
    (entry,) = [e for e in entries if e.action == "use_case.similar_owners_told"]
    assert entry.use_case_id == 2 and entry.data["similar_to"] == 1 and len(entry.data["told"]) == 2
    assert [e.data["choice"] for e in entries if e.action == "use_case.similar_ideas"] == ["tell"]
    assert ucs[1].linked_to_id is None


@pytest.mark.parametrize("who", ["lena.lead@example.com", "sid.sponsor@example.com", "anna.owner@example.com"])
async def test_a_restricted_match_is_shown_in_full_to_those_who_may_see_it(harness, who):
    await restricted_first(harness)
    person = harness.person(who)
    text = await propose_until_similar(person, MAX_IDEA)
    assert "UC-1 “Claims triage assistant”" in text and "cannot show you" not in text
    assert {"Related: link to UC-1", "Link to UC-1"} & {b.label for b in person.buttons}


async def test_a_same_idea_question_also_mentions_a_related_restricted_idea_without_naming_it(harness):
    from tests.support import factories

    await first_idea(harness)
    async with harness.app.db.write() as s:
        sponsor = await factories.person(s, "sid.sponsor@example.com")
        await factories.use_case(s, title="Claims fraud scoring", restricted=True, sponsor_id=sponsor.id,
                                 problem="Claims handlers spot fraudulent claims only by experience.",
                                 outcome="Score every new claim for fraud while the investigations unit decides "
                                         "each referral")
    max_ = harness.person("max@example.com")
    text = " ".join((await propose_until_similar(max_, MAX_IDEA)).split())
    assert "this looks like the same idea as UC-1 “Claims triage assistant”" in text
    assert "a similar restricted idea I cannot show you" in text and "fraud" not in text and "UC-2" not in text
    await max_.click("Tell the restricted idea's owners")
    await finish(max_, MAX_IDEA)
    await max_.click("Submit the idea")
    assert len(told(harness, "anna.owner@example.com", "which looks similar to your restricted idea UC-2")) == 1
    assert await answers_recorded(harness) == [(1, "same", "other"), (2, "related", "related")]
