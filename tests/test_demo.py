"""`aiom demo` loads a realistic demo organisation a newcomer can decide a review in within a minute, in the
local chat; `aiom demo --remove` takes it away and leaves real data alone; the local chat offers it when empty."""
from __future__ import annotations

import asyncio
import io
import subprocess

from sqlalchemy import func, select

from bot.console.chat import ConsoleChat
from conversations.groups.decidability import undecidable_groups
from conversations.groups.effective import effective_policy
from vocabulary.policy import load_policy
from storage.tables import (
    Condition, Incident, Kpi, KpiValue, Person, ReviewGroupSetting, ReviewRequest, RiskEntry, Scorecard, UseCase,
)
from tests.support import factories
from tests.support.harness import Harness
from tests.support.proc import AIOM, clean_env


def _aiom(args, tmp_path, db_url) -> subprocess.CompletedProcess:
    return subprocess.run([*AIOM, *args], env=clean_env(DATABASE_URL=db_url), cwd=tmp_path, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=120)


async def chat(h: Harness, email: str, lines: list[str]) -> str:
    out = io.StringIO()
    console = ConsoleChat(h.app.engine, h.app.dispatcher, email, stdin=io.StringIO("\n".join(lines) + "\n"), out=out)
    await console.run()
    return " ".join(out.getvalue().split())


async def count(h: Harness, model, *where) -> int:
    async with h.app.db.read() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_aiom_demo_then_a_demo_reviewer_decides_a_review_in_the_local_chat(db_url, tmp_path):
    r = await asyncio.to_thread(_aiom, ["demo"], tmp_path, db_url)
    assert r.returncode == 0, r.stderr
    assert "Loaded the demo organisation: 12 use cases across every stage" in r.stdout
    h = await Harness.start(db_url, policy=load_policy(None))  # the built-in policy: groups are empty in the file
    try:
        async with h.app.db.read() as s:
            stages = set((await s.execute(select(UseCase.stage))).scalars())
            assert stages == set(h.app.policy.stage_keys)  # all five stages
            assert undecidable_groups(await effective_policy(s, h.app.policy)) == []  # demo members everywhere
        for model in (Scorecard, RiskEntry, Condition, Kpi, KpiValue, Incident):
            assert await count(h, model) > 0, model.__name__
        pending = await count(h, ReviewRequest, ReviewRequest.status == "pending")
        assert pending >= 3

        text = await chat(h, "pat.park@demo.example.com", ["reviews", "1", "1", "/quit"])
        assert "Waiting for Product and delivery" in text
        assert "Recorded: you approved UC-1 for Product and delivery" in text
        async with h.app.db.read() as s:
            assert (await s.get(UseCase, 1)).stage == "pilot"
        assert await count(h, ReviewRequest, ReviewRequest.status == "pending") == pending - 1
    finally:
        await h.stop()
    r = await asyncio.to_thread(_aiom, ["demo"], tmp_path, db_url)
    assert r.returncode == 1 and "already loaded" in r.stderr


async def test_demo_remove_deletes_the_demo_and_leaves_real_data_alone(db_url, tmp_path):
    h = await Harness.start(db_url, policy=load_policy(None))
    try:
        async with h.app.db.write() as s:
            await factories.use_case(s, title="A real use case", now=h.app.clock())
    finally:
        await h.stop()
    assert (await asyncio.to_thread(_aiom, ["demo"], tmp_path, db_url)).returncode == 0
    h = await Harness.start(db_url, policy=load_policy(None))
    try:
        text = await chat(h, "pat.park@demo.example.com", ["reviews", "1", "1", "/quit"])  # some history too
        assert "Recorded" in text
    finally:
        await h.stop()
    r = await asyncio.to_thread(_aiom, ["demo", "--remove"], tmp_path, db_url)
    assert r.returncode == 0, r.stderr
    assert "Removed the demo organisation: 12 use cases" in r.stdout
    h = await Harness.start(db_url, policy=load_policy(None))
    try:
        async with h.app.db.read() as s:
            assert list((await s.execute(select(UseCase.title))).scalars()) == ["A real use case"]
            assert not (await s.execute(select(Person).where(Person.email.like("%@demo.example.com")))).all()
            assert [r.members for r in (await s.execute(select(ReviewGroupSetting))).scalars()
                    if r.members is not None] == []  # the groups are what the policy file says again
        for model in (Scorecard, RiskEntry, Condition, Kpi, KpiValue, Incident, ReviewRequest):
            assert await count(h, model) == 0, model.__name__
    finally:
        await h.stop()


async def test_the_local_chat_offers_the_demo_when_empty_and_only_admins_load_it(db_url):
    from bot.app import with_admins

    h = await Harness.start(db_url, policy=with_admins(load_policy(None), ["ada@example.com"]))
    try:
        text = await chat(h, "zoe@example.com", ["demo", "/quit"])
        assert "Type “demo” to load a demo organisation" in text
        assert "Only an aiom admin can load or remove the demo organisation" in text
        text = await chat(h, "ada@example.com", ["demo", "/quit"])
        assert "Loaded the demo organisation: 12 use cases" in text
        assert "Type “demo” to load" not in await chat(h, "ada@example.com", ["/quit"])  # not empty any more
    finally:
        await h.stop()
