"""A new person's first messages arriving at once (two devices, a double send, Slack and Teams together): every
one is answered and the person exists once. On Postgres the turns really run side by side; on SQLite writes
take turns, and the same test checks nothing changed there."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.config import load_settings
from conversations.engine import SORRY
from vocabulary.interaction import Actor, Inbound, Where
from storage.tables import PlatformIdentity, Person


@pytest.fixture
async def app(db_url, policy, clock):
    a = App.create(load_settings({"DATABASE_URL": db_url}, env_file=None), clock=clock, policy=policy)
    await a.start(migrate=False, background=False, scheduler=False)
    yield a
    await a.stop()


def _inbound(platform: str, n: int, *, email: str | None, user: str = "UNEW1") -> Inbound:
    actor = Actor(platform=platform, external_id=user, tenant="T1", email=email, email_verified=email is not None,
                  name="Nina New")
    where = Where(platform=platform, conversation_id=f"D-{platform}", kind="personal", tenant="T1")
    return Inbound(actor=actor, where=where, text="help", event_id=f"{platform}-first-{n}")


def _texts(outcome) -> str:
    return " ".join(b.text if hasattr(b, "text") else str(b) for op in outcome.ops
                    for b in getattr(getattr(op, "message", None), "blocks", []))


async def _count(app, table, *where) -> int:
    async with app.db.read() as s:
        return (await s.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


async def _all_answered(outcomes) -> None:
    for o in outcomes:
        assert not o.failed and not o.duplicate
        assert SORRY not in repr(o.ops)


async def test_simultaneous_first_messages_with_a_verified_email_all_succeed(app):
    outcomes = await asyncio.gather(*(app.engine.handle(_inbound("slack", n, email="nina@example.com"))
                                      for n in range(12)))
    await _all_answered(outcomes)
    assert await _count(app, Person, Person.email == "nina@example.com") == 1
    assert await _count(app, PlatformIdentity) == 1


async def test_simultaneous_first_messages_without_an_email_make_one_person(app):
    outcomes = await asyncio.gather(*(app.engine.handle(_inbound("teams", n, email=None, user="aad-1"))
                                      for n in range(12)))
    await _all_answered(outcomes)
    assert await _count(app, Person) == 1 and await _count(app, PlatformIdentity) == 1


async def test_the_same_person_on_slack_and_teams_at_once_is_one_person_with_two_accounts(app):
    outcomes = await asyncio.gather(*(app.engine.handle(_inbound(p, n, email="nina@example.com"))
                                      for n in range(6) for p in ("slack", "teams")))
    await _all_answered(outcomes)
    assert await _count(app, Person) == 1 and await _count(app, PlatformIdentity) == 2


@pytest.mark.postgres_only
async def test_first_contact_race_over_many_new_people_on_postgres(app):
    """Ten new people, each sending four first messages at once: 40 answers, ten people."""
    work = [app.engine.handle(_inbound("slack", f"{u}-{n}", email=f"p{u}@example.com", user=f"U{u}"))
            for u in range(10) for n in range(4)]
    outcomes = await asyncio.gather(*work)
    await _all_answered(outcomes)
    assert await _count(app, Person) == 10 and await _count(app, PlatformIdentity) == 10


async def test_control_characters_in_answers_are_stripped_on_both_databases(harness):
    """A NUL (Postgres refuses it in text) and other control characters pasted into answers: the intake goes on,
    and what is stored is the text without them."""
    from tests.test_intake import ANSWERS, answer_all  # noqa: PLC0415
    from storage.tables import UseCase  # noqa: PLC0415

    zoe = harness.person("zoe@example.com")
    answers = ["Claims\x00 triage\x07 assistant", *ANSWERS[1:]]
    answers[2] = answers[2] + "\x00\x1b[31m"
    seen = await answer_all(zoe, answers=answers)
    assert "risk" in seen.text
    await zoe.click("That tier is right")
    seen = await zoe.click("Submit the idea")
    assert "UC-1 submitted" in seen.text
    async with harness.app.db.read() as s:
        uc = (await s.execute(select(UseCase))).scalar_one()
    assert uc.title == "Claims triage assistant"
    assert "\x00" not in uc.outcome + uc.problem and "\x1b" not in uc.outcome + uc.problem
