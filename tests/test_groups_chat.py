"""Review groups managed in chat: admins only, stored over the policy file, in effect at once in every process,
audited with before and after."""
from __future__ import annotations

import asyncio
import json
import subprocess

import pytest

from bot.app import with_admins
from conversations.groups.changes import AUDIT_ACTION
from storage import audit
from tests.support import factories
from tests.conftest import TEST_POLICY
from tests.support.harness import Harness
from tests.support.proc import AIOM, clean_env
from tests.support.reviewing import button, card, flat, make_ready, review_for, reviewer

ADMIN, ADMIN2, OWNER = "ada.admin@example.com", "abe.admin@example.com", "anna.owner@example.com"


@pytest.fixture
def admin_policy(policy):
    return with_admins(policy, [ADMIN, ADMIN2])


@pytest.fixture
async def h(db_url, admin_policy, clock):
    h = await Harness.start(db_url, policy=admin_policy, clock=clock)
    yield h
    await h.stop()


async def test_only_admins_change_groups_and_everyone_else_is_told_politely(h):
    seen = await h.person("sam.security@example.com").say("group security add eve@example.com")
    assert "Only an aiom admin can change review groups" in flat(seen.text)
    assert ADMIN in flat(seen.text)
    listing = flat((await h.person("sam.security@example.com").say("groups")).text)
    assert "eve@example.com" not in listing
    assert "Security" in listing and "sam.security@example.com" in listing


async def test_an_admin_adds_a_member_who_can_decide_at_once_in_another_process(h, db_url, admin_policy, clock):
    other = await Harness.start(db_url, policy=admin_policy, clock=clock)  # a second process on the same database
    try:
        async with h.app.db.write() as s:
            uc = await factories.use_case(s, now=h.app.clock())
            await make_ready(s, h.app.policy, uc, h.app.clock())
        await h.person(OWNER).say(f"move UC-{uc.id}")
        rr = await review_for(h, uc.id, "product")
        refused = await reviewer(other, "nina.new@example.com", "product").press(button(await card(h, rr.id), "Approve"))
        assert "not listed in that group" in flat(refused.text)

        seen = await h.person(ADMIN).say("group product add nina.new@example.com")
        assert "Added nina.new@example.com to Product" in flat(seen.text), seen.text

        ok = await reviewer(other, "nina.new@example.com", "product").press(button(await card(h, rr.id), "Approve"))
        assert "not listed" not in flat(ok.text)
        assert (await review_for(h, uc.id, "product")).status == "approved"
        assert "nina.new@example.com" in flat((await other.person("x@example.com").say("groups")).text)
    finally:
        await other.stop()


async def test_a_change_is_audited_with_before_and_after(h):
    await h.person(ADMIN).say("group security remove sue.security@example.com")
    async with h.app.db.read() as s:
        entries = [e async for e in audit.entries(s) if e.action == AUDIT_ACTION]
    assert len(entries) == 1
    e = entries[0]
    assert e.actor_label == ADMIN and e.entity_id == "security"
    assert e.data["before"]["members"] == ["sam.security@example.com", "sue.security@example.com"]
    assert e.data["after"]["members"] == ["sam.security@example.com"]


async def test_bad_input_names_what_is_wrong_and_changes_nothing(h):
    admin = h.person(ADMIN)
    assert "There is no review group called “secruity”" in flat((await admin.say("group secruity add a@b.com")).text)
    assert "I do not know who “bob”" in flat((await admin.say("group security add bob")).text)
    assert "not in Security" in flat((await admin.say("group security remove zed@example.com")).text)
    assert "not a channel" in flat((await admin.say("group security channel here")).text)
    assert "I do not know how to “promote”" in flat((await admin.say("group security promote x")).text)
    async with h.app.db.read() as s:
        assert not [e async for e in audit.entries(s) if e.action == AUDIT_ACTION]


async def test_channel_here_in_the_local_chat_says_it_has_no_channels(h):
    admin = h.person(ADMIN, platform="console", conversation="#sec-room", kind="channel")
    seen = await admin.say("group security channel here")
    assert "not a channel" in flat(seen.text)  # the local chat has no channels of its own


async def test_reset_returns_to_the_policy_file(h):
    admin = h.person(ADMIN)
    await admin.say("group security add eve@example.com")
    seen = await admin.say("group security reset")
    assert "back to what the policy file says" in flat(seen.text)
    listing = flat((await admin.say("groups")).text)
    assert "eve@example.com" not in listing and "sue.security@example.com" in listing


async def test_two_admins_adding_at_once_both_changes_are_kept(h, db_url, admin_policy, clock):
    other = await Harness.start(db_url, policy=admin_policy, clock=clock)  # another process
    try:
        await h.person(ADMIN).say("groups")
        await other.person(ADMIN2).say("groups")
        seen = await asyncio.gather(*[
            (h.person(ADMIN) if i % 2 else other.person(ADMIN2)).say(f"group legal add person{i}@example.com")
            for i in range(6)])
        assert all("Added" in flat(x.text) for x in seen), [x.text for x in seen]
        listing = flat((await h.person(ADMIN).say("group legal")).text)
        for i in range(6):
            assert f"person{i}@example.com" in listing, listing
        assert "lee.legal@example.com" in listing
    finally:
        await other.stop()


def _aiom(args: list[str], tmp_path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*AIOM, *args], env=clean_env(**env), cwd=tmp_path, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


async def test_policy_check_effective_and_the_export_show_the_changes_made_in_chat(h, db_url, tmp_path):
    await h.person(ADMIN).say("group privacy add pam.privacy@example.com")
    r = await asyncio.to_thread(_aiom, ["policy", "check", "--effective"], tmp_path, DATABASE_URL=db_url,
                                AIOM_POLICY=str(TEST_POLICY), AIOM_ADMINS=ADMIN)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    privacy = out[out.index("  privacy:"):out.index("  legal:")]
    assert "(changed in chat)" in privacy and "pam.privacy@example.com, priya.privacy@example.com" in privacy
    assert "members from: set in chat" in privacy and "can decide: yes" in privacy
    assert f"Admins: {ADMIN}" in out
    r = await asyncio.to_thread(_aiom, ["export", "--format", "json", "--out", "-", "--quiet"], tmp_path,
                                DATABASE_URL=db_url, AIOM_POLICY=str(TEST_POLICY))
    assert r.returncode == 0, r.stderr
    groups = {g["key"]: g for g in json.loads(r.stdout)["review_groups"]}
    assert groups["privacy"]["members"] == ["pam.privacy@example.com", "priya.privacy@example.com"]


def test_policy_check_names_every_group_that_cannot_decide(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("review:\n  groups:\n    - {key: security, name: Security, members: [sam@example.com]}\n")
    r = _aiom(["policy", "check", str(f)], tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == f"{f}: OK"
    assert "6 review groups cannot decide a review" in r.stderr
    assert "legal: Legal has no members" in r.stderr and "security:" not in r.stderr


async def test_start_up_names_the_groups_that_cannot_decide(db_url, caplog):
    from vocabulary.policy import load_policy

    with caplog.at_level("WARNING"):
        h = await Harness.start(db_url, policy=load_policy(None))
        await h.stop()
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "7 review groups cannot decide a review" in text
    assert "security (Security has no members)" in text


def test_whoever_starts_the_local_chat_is_an_admin_and_aiom_admins_names_more(tmp_path):
    db = f"sqlite:///{tmp_path / 'aiom.db'}"
    lines = "group security add eve@example.com\n/as zed@example.com\ngroup security add sam@example.com\n/quit\n"
    r = subprocess.run([*AIOM, "chat", "--as", "ada@example.com"], env=clean_env(DATABASE_URL=db, AIOM_ADMINS=
                       "abe@example.com"), cwd=tmp_path, capture_output=True, text=True, input=lines, timeout=120)
    out = " ".join(r.stdout.split())
    assert r.returncode == 0, r.stderr
    assert "Added eve@example.com to Security" in out
    assert "Only an aiom admin can change review groups" in out and "sam@example.com" not in out
    assert "abe@example.com" in out.split("Only an aiom admin")[1]  # AIOM_ADMINS named among the admins
    assert "7 review groups cannot decide a review" in r.stderr  # named at start-up
    r = subprocess.run([*AIOM, "chat", "--as", "x@example.com"], env=clean_env(DATABASE_URL=db, AIOM_ADMINS="bob"),
                       cwd=tmp_path, capture_output=True, text=True, input="/quit\n", timeout=120)
    assert r.returncode == 2 and "AIOM_ADMINS" in r.stderr and "not an email: bob" in r.stderr
