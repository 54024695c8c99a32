"""Help: two screens at most, with buttons that start things; every button the bot offers is wired up."""
from __future__ import annotations

import re

from bot.console.render import render
from vocabulary.interaction import ReplaceSource, Say
from tests.support.harness import Harness


def flat(seen) -> str:
    return " ".join(seen.text.split())


async def test_help_overview_then_all_commands_and_back(harness: Harness):
    zoe = harness.person("zoe@example.com")
    seen = await zoe.say("help")
    assert "What I can do" in seen.text
    assert [b.label for b in seen.buttons] == ["Propose an AI idea", "My ideas", "Portfolio", "All commands"]
    seen = await zoe.click("All commands")
    assert seen.op(ReplaceSource) is not None  # the second screen replaces the first
    text = flat(seen)
    commands_screen = list(seen.buttons)
    for command in ("propose:", "my:", "status UC-4:", "score UC-4 [pilot|readiness|rollout|vendor]:",
                    "risk UC-4 / risks UC-4:", "portfolio:", "help <command>:"):
        assert command in text, command
    others = [n for n in harness.app.engine.command_help
              if n not in ("propose", "my", "status", "score", "risk", "risks", "portfolio", "help")]
    assert others  # what other parts of the bot registered: named on the screen, explained by help <name>
    for name in others:
        assert re.search(rf"More:.*\b{name}\b", text), name
        one = flat(await zoe.say(f"help {name}"))
        assert " ".join(harness.app.engine.command_help[name].split()) in one, name
    seen = await zoe.click("Back", buttons=commands_screen)
    assert "What I can do" in seen.text and seen.op(ReplaceSource) is not None


async def test_help_buttons_start_things(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await zoe.say("help")
    seen = await zoe.click("Propose an AI idea")
    assert "What should we call this idea?" in seen.text
    await zoe.say("cancel")
    await zoe.say("help")
    seen = await zoe.click("My ideas")
    assert "Your AI ideas" in seen.text
    await zoe.say("help")
    seen = await zoe.click("Portfolio")
    assert "AI portfolio" in seen.text


async def test_typed_help_variants_and_the_fallback_button(harness: Harness):
    zoe = harness.person("zoe@example.com")
    assert "Commands" in (await zoe.say("help commands")).text
    assert "Commands" in (await zoe.say("commands")).text
    assert "What I can do" in (await zoe.say("?")).text
    seen = await zoe.say("what is this")
    assert "did not understand" in seen.text
    seen = await zoe.click("Help")
    assert "What I can do" in seen.text and seen.op(Say) is not None


async def test_every_button_the_bot_offers_here_is_registered(harness: Harness):
    actions = harness.app.engine.actions
    for name in ("scorecard.start", "scorecard.answer", "scorecard.show", "scorecard.review", "scorecard.pause",
                 "scorecard.summary", "scorecard.again", "scorecard.record_review", "risk.add", "risk.list",
                 "risk.update", "risk.reviewed", "status.show", "status.mine", "portfolio.show", "help.show",
                 "propose.start"):
        assert name in actions, name
    assert "scorecard.review_note" in harness.app.engine.forms


async def test_help_screens_are_short(harness: Harness):
    """Two screens at most, each fitting a terminal screen (20 lines in the local chat's rendering)."""
    zoe = harness.person("zoe@example.com")
    for seen in (await zoe.say("help"), await zoe.say("help more")):
        msg = seen.op(Say).message
        lines = render(msg)[0].split("\n")
        assert len(lines) <= 20, "\n".join(lines)
        assert max(len(line) for line in lines) <= 90


async def test_help_for_one_command_and_an_unknown_one(harness: Harness):
    zoe = harness.person("zoe@example.com")
    seen = await zoe.say("help move")
    assert "ask to move a use case to its next stage: move UC-4" in flat(seen)
    assert [b.label for b in seen.buttons] == ["All commands"]
    seen = await zoe.say("help score")
    assert "without a name it opens what the next gate needs" in flat(seen)
    seen = await zoe.say("help frobnicate")
    assert "I do not know a command called “frobnicate”" in flat(seen) and "== Commands ==" in seen.text
