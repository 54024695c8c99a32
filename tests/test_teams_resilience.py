"""Retries from Teams and towards Teams: a repeated activity changes nothing twice; a 429 is retried once more
and the message lands once; user text arrives escaped."""
from __future__ import annotations

import json

from sqlalchemy import select

from storage.tables import ConversationState
from tests.support.teams_activities import TeamsAiom, execute, message, teams, user  # noqa: F401,F811 (fixture)


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


async def test_a_429_from_teams_is_retried_and_the_message_lands_once(teams: TeamsAiom):
    zoe = teams.chat(user("Zoe", "zoe@example.com"))
    await zoe.say("hello")
    teams.fake.fail_next(2, status=429, retry_after=0.05, method="POST", path_contains="/activities")
    r = await zoe.say("propose")
    assert r.status == 200
    posts = [c for c in teams.fake.calls if c[0] == "POST" and "/activities" in c[1]]
    assert [c[2] for c in posts[-4:]] == [429, 429, 200, 200]  # the first reply retried twice, the next one fine
    assert [s.text.split("\n")[0] for s in r.sent] == ["Let's capture your AI idea",
                                                      "What should we call this idea? A short name is enough."]
    assert teams.app.engine is not None and teams.fake.sent[-2].text.startswith("Let's capture")


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
