"""Retries from Teams and towards Teams: a repeated activity changes nothing twice (and two chats that reuse an
activity id are both answered); 412 / 429 / 502 / 504 are retried and the message lands once; a reply or card
update that still fails is kept in the outbox and delivered later; user text arrives escaped."""
from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.tables import ConversationState, Outbox
from tests.support import factories
from tests.support.teams_activities import (  # noqa: F401,F811 (the teams fixture)
    TeamsAiom, channel, execute, message, quick_retries, teams, user,
)

PRODUCT, LEGAL = "19:product@thread.tacv2", "19:legal@thread.tacv2"


async def _states(t: TeamsAiom) -> list[tuple]:
    async with t.app.db.read() as s:
        rows = (await s.execute(select(ConversationState))).scalars().all()
        return [(r.step, r.version, dict(r.data)) for r in rows]


async def test_a_duplicated_activity_changes_nothing_twice(teams: TeamsAiom):
    zoe = teams.chat(user("Zoe", "zoe@example.com"))
    await zoe.say("propose")
    answer = message(zoe.user, "Claims triage assistant", service_url=teams.service_url)
    first = await teams.post(answer)
    assert "What problem does it solve" in first.text
    before = (await _states(teams), len(teams.fake.sent), len(teams.fake.updates))
    again = await teams.post(answer)  # Teams delivered the same activity (same id) again
    assert again.status == 200 and not again.sent and not again.updates
    assert (await _states(teams), len(teams.fake.sent), len(teams.fake.updates)) == before

    mid, action = zoe.find("Cancel")
    click = execute(zoe.user, dict(action["data"]), reply_to=mid, service_url=teams.service_url)
    r1 = await teams.post(click)
    assert "Cancelled" in r1.text
    r2 = await teams.post(click)
    assert r2.body == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                       "value": "Already done."}
    assert not r2.sent and not r2.updates


@pytest.mark.parametrize("status", [412, 429, 502, 504])
async def test_a_refusal_teams_documents_as_retryable_is_retried_and_the_message_lands_once(
        teams: TeamsAiom, caplog, status):
    """412, 429, 502 and 504 are retried with exponential backoff and jitter; a 429's Retry-After is waited for."""
    caplog.set_level(logging.INFO, logger="bot.teams.connector")
    zoe = teams.chat(user("Zoe", "zoe@example.com"))
    await zoe.say("hello")
    hint = 0.3 if status == 429 else None  # longer than the first two backoffs (at most 0.25 s and 0.5 s)
    teams.fake.fail_next(2, status=status, retry_after=hint, method="POST", path_contains="/activities")
    r = await zoe.say("help")
    assert r.status == 200
    posts = [c for c in teams.fake.calls if c[0] == "POST" and "/activities" in c[1]]
    assert [c[2] for c in posts[-3:]] == [status, status, 200]
    assert [s.text.split("\n")[0] for s in r.sent] == ["What I can do"]  # it landed, once
    waits = [float(w) for w in re.findall(r"retry \d in ([\d.]+)s", caplog.text)]
    assert len(waits) == 2
    if status == 429:
        assert all(w >= 0.3 for w in waits)  # Retry-After is a floor
    else:
        assert 0.12 <= waits[0] <= 0.25 and 0.25 <= waits[1] <= 0.5  # 0.25 s doubling, with jitter in each half


async def test_a_retry_after_too_long_to_wait_in_a_turn_is_kept_in_the_outbox_until_then(teams: TeamsAiom, clock):
    zoe = teams.chat(user("Zoe", "zoe@example.com"))
    await zoe.say("hello")
    teams.fake.fail_next(1, status=429, retry_after=120, method="POST", path_contains="/activities")
    r = await zoe.say("help")
    assert r.status == 200 and not r.sent  # not waited for inside the request
    async with teams.app.db.read() as s:
        row = (await s.execute(select(Outbox).where(Outbox.purpose == "reply"))).scalar_one()
        assert (row.status, row.target, row.not_before) == ("pending", zoe.base, clock() + timedelta(seconds=120))
    await teams.drain()
    assert await _outbox_status(teams, row.id) == "pending"  # Teams asked for two minutes
    clock.advance(seconds=121)
    await teams.drain()
    assert await _outbox_status(teams, row.id) == "sent"
    assert teams.fake.sent_to(zoe.base)[-1].text.startswith("What I can do")


async def _outbox_status(t: TeamsAiom, row_id: int) -> str:
    async with t.app.db.read() as s:
        return (await s.get(Outbox, row_id, populate_existing=True)).status


async def test_two_chats_that_reuse_an_activity_id_are_both_answered(teams: TeamsAiom):
    """Teams message ids are epoch milliseconds, unique only within one conversation."""
    same = "1763888400123"
    zoe, amy = teams.chat(user("Zoe", "zoe@example.com")), teams.chat(user("Amy", "amy@example.com"))
    product = teams.chat(user("Pat Product", "pat.product@example.com"), conversation=channel(PRODUCT, root=same))
    legal = teams.chat(user("Lou Legal", "lou.legal@example.com"), conversation=channel(LEGAL, root=same))
    for chat in (zoe, amy, product, legal):
        r = await teams.post(message(chat.user, "help", service_url=teams.service_url,
                                     conversation=chat.conversation, activity_id=same,
                                     mention_bot=chat.conversation["conversationType"] == "channel"))
        assert [s.text.split("\n")[0] for s in r.sent] == ["What I can do"], chat.user.name
    # a click whose invoke id another chat already used is carried out too
    await teams.post(message(amy.user, "my", service_url=teams.service_url, activity_id="f:42"))
    mid, action = zoe.find("Portfolio")
    r = await teams.post(execute(zoe.user, dict(action["data"]), reply_to=mid, service_url=teams.service_url,
                                 activity_id="f:42"))
    assert "AI portfolio" in r.text
    # the same activity again in the same chat is still a repeat
    again = await teams.post(message(amy.user, "help", service_url=teams.service_url, activity_id=same))
    assert again.status == 200 and not again.sent


async def test_replies_and_card_updates_that_fail_in_a_turn_are_delivered_from_the_outbox(teams: TeamsAiom):
    """Five 502s use up every retry of a card update and of the next question; the outbox sends both
    afterwards, and the question it delivered is the one the flow replaces in place once answered."""
    quick_retries(teams)
    async with teams.app.db.write() as s:
        uc = await factories.use_case(s, business_owner="anna.owner@example.com")
    anna = teams.chat(user("Anna Owner", "anna.owner@example.com"))
    r = await anna.say(f"risk UC-{uc.id}")
    question_1 = r.sent[-1]
    assert "Which risk area" in question_1.text

    teams.fake.fail_next(5, status=502, retry_after=None, method="PUT")
    teams.fake.fail_next(5, status=502, retry_after=None, method="POST", path_contains="/activities")
    r = await anna.click("Data privacy")
    assert r.status == 200 and not r.sent and not r.updates  # Teams kept failing
    assert "Risk area: Data privacy" in r.text  # the clicker still sees the answered card (the invoke answer)
    async with teams.app.db.read() as s:
        queued = (await s.execute(select(Outbox).where(Outbox.status == "pending"))).scalars().all()
    assert sorted((row.kind, row.target) for row in queued) == [("post", anna.base), ("update", anna.base)]

    await teams.drain()
    assert "Risk area: Data privacy" in teams.fake.updates_of(question_1.id)[-1].text  # for everyone else
    question_2 = teams.fake.sent_to(anna.base)[-1]
    assert "describe" in question_2.text.lower() or "what could go wrong" in question_2.text.lower(), \
        question_2.text
    assert {await _outbox_status(teams, row.id) for row in queued} == {"sent"}

    r = await anna.say("Customer records could be shown to the wrong claims handler.")
    answered = [u for u in r.updates if u.activity_id == question_2.id]
    assert answered and answered[-1].text.startswith("Description: Customer records")  # replaced in place


async def test_markdown_and_mentions_typed_by_a_user_arrive_escaped(teams: TeamsAiom):
    zoe = teams.chat(user("Zoe", "zoe@example.com"))
    await zoe.say("propose")
    evil = "[Approve now](https://evil.example) **URGENT** <at>CEO</at>"
    r = await zoe.say(evil)
    replaced = r.updates[0]  # the answered question now shows the answer
    raw = json.dumps(replaced.card["body"])
    assert "[Approve now](" not in raw and "**URGENT**" not in raw and "<at>" not in raw
    assert "\\\\[Approve now\\\\]\\\\(https://evil\\\\.example\\\\)" in raw
    assert replaced.text == f"Name: {evil}"  # what people see is exactly what Zoe typed


async def test_a_throttled_turn_answers_within_its_budget_and_sends_the_rest_from_the_outbox(teams: TeamsAiom,
                                                                                             clock, monkeypatch):
    """Teams throttles with Retry-After hints the retries would honour one after another (15 s together, the
    whole of Bot Framework's budget): the turn stops retrying at its own budget, answers, and the reply follows
    from the outbox."""
    from bot.teams import endpoint  # noqa: PLC0415

    monkeypatch.setattr(endpoint, "TURN_BUDGET", 0.6)  # the same rule, scaled down so the test stays quick
    zoe = teams.chat(user("Zoe", "zoe@example.com"))
    await zoe.say("hello")
    teams.fake.fail_next(3, status=429, retry_after=0.5, method="POST", path_contains="/activities")
    r = await zoe.say("help")
    assert r.status == 200 and not r.sent
    posts = [c for c in teams.fake.calls if c[0] == "POST" and "/activities" in c[1]]
    assert [c[2] for c in posts[-2:]] == [429, 429]  # one retry fitted in the budget, the next did not
    async with teams.app.db.read() as s:
        row = (await s.execute(select(Outbox).where(Outbox.purpose == "reply"))).scalar_one()
    clock.advance(seconds=1)
    await teams.drain()  # the third 429 is answered by the outbox's own retries
    assert await _outbox_status(teams, row.id) == "sent"
    assert teams.fake.sent_to(zoe.base)[-1].text.startswith("What I can do")


async def test_a_connector_that_hangs_is_given_up_at_the_turns_budget_and_the_reply_follows_from_the_outbox(
        teams: TeamsAiom, clock, monkeypatch):
    """One request that never answers is not waited for until the HTTP timeout (30 s, past Bot Framework's 15 s):
    the turn abandons it at its own budget, answers, and the reply is kept in the outbox and sent afterwards."""
    import time  # noqa: PLC0415

    from bot.teams import endpoint  # noqa: PLC0415

    monkeypatch.setattr(endpoint, "TURN_BUDGET", 0.6)  # the same rule, scaled down so the test stays quick
    zoe = teams.chat(user("Zoe", "zoe@example.com"))
    await zoe.say("hello")
    teams.fake.hang_next(1, seconds=4, method="POST", path_contains="/activities")
    started = time.monotonic()
    r = await zoe.say("help")
    assert r.status == 200 and not r.sent
    assert time.monotonic() - started < 3  # answered at the budget, not when the connector gave up
    async with teams.app.db.read() as s:
        row = (await s.execute(select(Outbox).where(Outbox.purpose == "reply"))).scalar_one()
    clock.advance(seconds=1)
    await teams.drain()
    assert await _outbox_status(teams, row.id) == "sent"
    assert [s.text for s in teams.fake.sent_to(zoe.base)].count(teams.fake.sent_to(zoe.base)[-1].text) == 1
    assert teams.fake.sent_to(zoe.base)[-1].text.startswith("What I can do")
