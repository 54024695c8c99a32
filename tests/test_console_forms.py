"""Inside every form of the local chat, cancel, back, help, /as and /quit (or plain quit) mean what they say;
a field is never filled with them. Through the real ConsoleChat adapter, with scripted input."""
from __future__ import annotations

import io

from bot.console.chat import ConsoleChat
from storage.tables import UseCase
from tests.support import factories
from tests.support.harness import Harness

LEAD = "lena.lead@example.com"


async def chat(h: Harness, email: str, lines: list[str]) -> str:
    out = io.StringIO()
    console = ConsoleChat(h.app.engine, h.app.dispatcher, email, stdin=io.StringIO("\n".join(lines) + "\n"), out=out)
    await console.run()
    return " ".join(out.getvalue().split())


async def use_case(h: Harness, stage: str = "pilot") -> int:
    async with h.app.db.write() as s:
        return (await factories.use_case(s, stage=stage, now=h.app.clock())).id


async def state(h: Harness, uc_id: int) -> tuple[str, str]:
    async with h.app.db.read() as s:
        uc = await s.get(UseCase, uc_id)
        await s.refresh(uc)
        return uc.status, uc.status_reason


async def test_cancel_in_a_pause_reason_cancels_the_form_and_pauses_nothing(harness: Harness):
    uc = await use_case(harness)
    text = await chat(harness, LEAD, [f"pause UC-{uc}", "cancel", "status", "/quit"])
    assert "Cancelled “Pause UC-1”: nothing from it was sent." in text
    assert await state(harness, uc) == ("active", "")
    assert not harness.out.dms_to("anna.owner@example.com")  # nobody was told of a pause


async def test_back_and_help_inside_a_form_then_a_real_answer(harness: Harness):
    uc = await use_case(harness)
    text = await chat(harness, LEAD, [f"stop UC-{uc}", "help", "Budget withdrawn for next year", "back",
                                      "Budget withdrawn for good", "1", "/quit"])
    assert "Type back for the previous field, cancel to leave the form" in text
    assert await state(harness, uc) == ("stopped", "Budget withdrawn for good")


async def test_as_and_quit_inside_a_form_are_never_field_values(harness: Harness):
    uc = await use_case(harness)
    text = await chat(harness, LEAD, [f"pause UC-{uc}", "/as anna.owner@example.com", "my", "quit",
                                      "this line is never read"])
    assert "Left “Pause UC-1”: nothing from it was sent." in text and "you are now anna.owner@example.com" in text
    assert await state(harness, uc) == ("active", "")
    text = await chat(harness, LEAD, [f"pause UC-{uc}", "quit", "status"])
    assert "Left the form; nothing from it was sent." in text and "== UC-" not in text.split("Left the form")[1]
    assert await state(harness, uc) == ("active", "")


async def test_a_refused_value_can_be_left_with_cancel(harness: Harness):
    uc = await use_case(harness)
    text = await chat(harness, LEAD, [f"pause UC-{uc}", "no", "cancel", "/quit"])
    assert "Please give the reason" in text and "Cancelled “Pause UC-1”" in text
    assert await state(harness, uc) == ("active", "")


async def test_plain_quit_leaves_the_chat(harness: Harness):
    text = await chat(harness, LEAD, ["quit", "help"])
    assert "What I can do" not in text


async def test_declared_length_limits_hold_for_a_pause_reason_and_a_condition(harness: Harness):
    from sqlalchemy import select

    from storage.tables import Condition
    from tests.support.reviewing import make_ready, review_for

    uc = await use_case(harness)
    long = "x" * 5000
    text = await chat(harness, LEAD, [f"pause UC-{uc}", long, "cancel", f"pause UC-{uc} {long}", "/quit"])
    assert "Reason is 5,000 characters long; please keep it to 1,500 or fewer" in text
    assert "The reason is 5,000 characters long; please keep it to 1,500 or fewer" in text
    assert await state(harness, uc) == ("active", "")
    assert not harness.out.dms_to("anna.owner@example.com")

    async with harness.app.db.write() as s:
        from storage.repo import use_cases

        await make_ready(s, harness.app.policy, await use_cases.get(s, uc), harness.app.clock(), readiness=4)
    await harness.person("anna.owner@example.com").say(f"move UC-{uc}")
    rr = await review_for(harness, uc, "product")
    text = await chat(harness, "pat.product@example.com", [
        f"review {rr.id}", "Approve with conditions", long, "bob.delivery@example.com", "2027-03-31", "", "",
        "1", "cancel", "/quit"])
    assert "Condition 1 is 5,000 characters long; please keep it to 1,000 or fewer" in text
    async with harness.app.db.read() as s:
        assert (await s.execute(select(Condition))).first() is None


async def test_after_details_the_card_buttons_keep_their_numbers(harness: Harness):
    from tests.support.reviewing import make_ready, review_for

    async with harness.app.db.write() as s:
        uc = await factories.use_case(s, now=harness.app.clock(), tier="low")
        await make_ready(s, harness.app.policy, uc, harness.app.clock())
    await harness.person("anna.owner@example.com").say(f"move UC-{uc.id}")
    rr = await review_for(harness, uc.id, "product")
    text = await chat(harness, "pat.product@example.com", [f"review {rr.id}", "Details", "1", "/quit"])
    assert "[1] Approve" in text
    assert f"Recorded: you approved UC-{uc.id} for Product and delivery" in text.split("Details")[-1]
