"""The platform contract (bot/platform.py): every adapter declares its name and capabilities, the served ones
attach through one interface, and none depends on the composition root that wires them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.console.adapter import PLATFORM as CONSOLE
from bot.console.deliverer import ConsoleDeliverer
from bot.platform import Platform, ServedPlatform
from bot.slack.adapter import PLATFORM as SLACK
from bot.slack.deliverer import SlackDeliverer
from bot.teams.adapter import PLATFORM as TEAMS
from bot.teams.deliverer import TeamsDeliverer
from bot.wiring import PLATFORMS
from storage.db import Database
from storage.repo import outbox_enqueue, people
from vocabulary.platforms import Capabilities, Platforms

ROOT = Path(__file__).resolve().parents[1]
COMPOSITION_ROOT = ("bot.app", "bot.config", "bot.server", "bot.cli", "bot.commands", "bot.wiring")


@pytest.mark.parametrize("platform, deliverer, by_email", [
    (SLACK, SlackDeliverer, True), (TEAMS, TeamsDeliverer, False), (CONSOLE, ConsoleDeliverer, True)])
def test_each_adapter_declares_its_name_and_capabilities(platform, deliverer, by_email):
    assert isinstance(platform, Platform)
    assert isinstance(platform.capabilities, Capabilities)
    assert platform.capabilities.finds_people_by_email is by_email
    assert deliverer.platform == platform.name
    assert deliverer.capabilities == platform.capabilities  # what the outbox reads is what the adapter declares


def test_the_served_platforms_are_wired_by_one_list():
    assert [p.name for p in PLATFORMS] == ["slack", "teams"]
    assert all(isinstance(p, ServedPlatform) for p in PLATFORMS)
    assert not isinstance(CONSOLE, ServedPlatform)  # the local chat reads a terminal: its commands wire it


@pytest.mark.parametrize("adapter", ["slack", "teams", "console"])
def test_no_adapter_imports_the_composition_root(adapter):
    found = []
    for path in sorted((ROOT / "bot" / adapter).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            found += [f"{path.relative_to(ROOT)} imports {n}" for n in names
                      if any(n == m or n.startswith(m + ".") for m in COMPOSITION_ROOT)]
    assert found == []


def test_platforms_keep_their_capabilities_when_narrowed():
    running = Platforms({"slack": SLACK.capabilities, "teams": TEAMS.capabilities, "console": CONSOLE.capabilities})
    assert running == {"slack", "teams", "console"}
    chat = running - {"console"}
    assert isinstance(chat, Platforms) and chat == {"slack", "teams"}
    assert chat.can("slack").finds_people_by_email and not chat.can("teams").finds_people_by_email
    assert not Platforms(["slack"]).can("slack").finds_people_by_email  # names alone promise nothing


async def test_a_person_with_no_identity_is_reached_only_where_email_finds_them(db_url):
    db = Database(db_url)
    try:
        async with db.write() as s:
            p = await people.create(s, email="new.person@example.com", display_name="New Person")
            teams_only = Platforms({"teams": TEAMS.capabilities})
            both = Platforms({"slack": SLACK.capabilities, "teams": TEAMS.capabilities})
            assert await outbox_enqueue.choose_platform(s, p.id, teams_only) is None
            assert await outbox_enqueue.choose_platform(s, p.id, both) == "slack"
            # A platform that declares it finds people by email is used, whatever its name.
            other = Platforms({"chat": Capabilities(finds_people_by_email=True), "teams": TEAMS.capabilities})
            assert await outbox_enqueue.choose_platform(s, p.id, other) == "chat"
    finally:
        await db.dispose()
