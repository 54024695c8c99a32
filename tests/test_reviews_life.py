"""A use case's whole life, exploration to ongoing operation: through the neutral harness and the local chat.

The instruments each gate needs are filled at storage level (tests/support/reviewing.py); everything else —
proposing, asking to move on, reviewing, conditions, a question to the owners — goes through chat.
"""
from __future__ import annotations

import io
from collections import deque

from sqlalchemy import select

from bot.app import App
from bot.config import load_settings
from bot.console.chat import ConsoleChat
from bot.console.deliverer import ConsoleDeliverer
from vocabulary.messages import Button
from storage import audit
from storage.repo import use_cases
from storage.tables import Condition, UseCase
from tests.support.harness import Harness
from tests.support.reviewing import button, card, delivered, flat, make_ready, review_for, reviewer
from tests.test_intake import ANSWERS

OWNER, DELIVERY = "anna.owner@example.com", "bob.delivery@example.com"
STAGES = ["exploration", "pilot", "controlled_rollout", "scale_decision", "ongoing_operation"]


async def ready(db, policy, clock, uc_id: int, **kw) -> None:
    async with db.write() as s:
        await make_ready(s, policy, await use_cases.get(s, uc_id), clock.now, **kw)


async def the_use_case(db) -> UseCase:
    async with db.read() as s:
        return (await s.execute(select(UseCase))).scalar_one()


def dm_button(h: Harness, email: str, label: str) -> Button:
    for r, m in reversed(h.out.dms):
        if r.email == email and any(b.label == label for b in m.buttons):
            return button(m, label)
    raise AssertionError(f"no {label!r} button in messages to {email}")


async def open_conditions(db) -> list[Condition]:
    async with db.read() as s:
        return list((await s.execute(select(Condition).where(Condition.status == "open"))).scalars().all())


async def test_full_life_through_the_harness(harness: Harness, clock):
    h, db, policy = harness, harness.app.db, harness.app.policy
    zoe = h.person("zoe@example.com")
    await zoe.say("propose")
    for a in ANSWERS:
        await zoe.say(a)
    for _ in range(6):
        await zoe.say("1")
    await zoe.click("That tier is right")
    assert "UC-1 submitted" in (await zoe.click("Submit the idea")).text
    uc = await the_use_case(db)
    anna, bob = h.person(OWNER), h.person(DELIVERY)

    # Exploration -> pilot: product approves with one condition.
    await ready(db, policy, clock, uc.id)
    assert "review requested for Pilot" in (await anna.say("move UC-1")).text
    pat = reviewer(h, "pat.product@example.com", "product")
    rr = await review_for(h, uc.id, "product")
    await pat.submit("review.conditions", {"r": rr.id}, {"c1_text": "Agree the pilot user group with HR",
                                                         "c1_owner": DELIVERY, "c1_due": "2026-12-18"})
    assert (await the_use_case(db)).stage == "pilot"

    # Pilot -> controlled rollout: the condition blocks the gate until closed; moderate readiness needs conditions.
    clock.advance(days=20)
    await ready(db, policy, clock, uc.id, readiness=4)
    assert "still open" in flat((await bob.say("next UC-1")).text)
    [cond] = await open_conditions(db)
    await bob.press(dm_button(h, DELIVERY, "Close condition"))
    await bob.submit("condition.close", {"c": cond.id}, {"evidence": "HR approved the 12-person pilot group"})
    seen = await bob.say("next UC-1")
    assert "review requested for Controlled rollout" in seen.text and "only with conditions" in flat(seen.text)
    product, security = await review_for(h, uc.id, "product"), await review_for(h, uc.id, "security")
    assert "Approve" not in [b.label for b in (await card(h, product.id)).buttons]
    refused = await pat.press(Button("Approve", "review.approve", {"r": product.id}))
    assert "only with conditions" in flat(refused.text)
    sam = reviewer(h, "sam.security@example.com", "security")
    await sam.submit("review.info", {"r": security.id}, {"question": "Where is the model hosted?"})
    await anna.press(dm_button(h, OWNER, "Answer"))
    info_id = dm_button(h, OWNER, "Answer").payload["i"]
    await anna.submit("info.answer", {"i": info_id}, {"answer": "In our own cloud tenant, EU region."})
    assert "In our own cloud tenant, EU region." in delivered(h, "#security", "UC-1")
    await sam.submit("review.conditions", {"r": security.id}, {"c1_text": "Pen test before rollout",
                                                              "c1_owner": DELIVERY, "c1_due": "2027-01-15"})
    await pat.submit("review.conditions", {"r": product.id}, {"c1_text": "Raise user adoption readiness to 4",
                                                             "c1_owner": OWNER, "c1_due": "2027-01-20"})
    assert (await the_use_case(db)).stage == "controlled_rollout"

    # Controlled rollout -> scale decision: both conditions closed first.
    for c in await open_conditions(db):
        closer = bob if c.owner_id == (await the_use_case(db)).delivery_owner_id else anna
        await closer.say(f"close condition {c.id} done and evidenced in the rollout log")
    await ready(db, policy, clock, uc.id, readiness=5)  # gaps closed, re-scored: strong
    await anna.say("move UC-1")
    for group, email in (("product", "pia.product@example.com"), ("security", "sue.security@example.com")):
        rr = await review_for(h, uc.id, group)
        await reviewer(h, email, group).press(button(await card(h, rr.id), "Approve"))
    assert (await the_use_case(db)).stage == "scale_decision"

    # Scale decision -> ongoing operation: leadership decides.
    await ready(db, policy, clock, uc.id)
    await anna.say("move UC-1")
    lead = await review_for(h, uc.id, "leadership")
    assert "] Pause" in flat(h.out.posts_in("#leadership")[-1])
    await reviewer(h, "lena.lead@example.com", "leadership").press(button(await card(h, lead.id), "Approve"))

    final = await the_use_case(db)
    assert (final.stage, final.status) == ("ongoing_operation", "active")
    async with db.read() as s:
        history = await use_cases.stage_history(s, uc.id)
        assert [x.to_stage for x in history] == STAGES
        count, problems = await audit.verify(s)
        assert problems == []
        acts = [e.action async for e in audit.entries(s, use_case_id=uc.id)]
    assert acts.count("gate.passed") == 4 and acts.count("condition.closed") == 3
    assert "review.info_answered" in acts and "use_case.proposed" in acts
    assert any("is now in Ongoing operation" in flat(t) for t in h.out.dms_to("zoe@example.com"))


class Script:
    """Stdin for the local chat: lines are queued by the test just before they are needed."""

    def __init__(self) -> None:
        self.lines: deque[str] = deque()

    def readline(self) -> str:
        return self.lines.popleft() + "\n" if self.lines else ""


async def test_full_life_through_the_local_chat(db_url, policy, clock):
    settings = load_settings({"DATABASE_URL": db_url}, env_file=None)
    app = App.create(settings, policy=policy, clock=clock)
    printed = io.StringIO()
    app.add_deliverer(ConsoleDeliverer(printed.write))
    await app.start(migrate=False, background=False)
    script, out = Script(), io.StringIO()
    chat = ConsoleChat(app.engine, app.dispatcher, "zoe@example.com", stdin=script, out=out)

    async def line(text: str, *form_answers: str) -> str:
        start = out.tell()
        script.lines.extend(form_answers)
        await chat.on_line(text)
        return flat(out.getvalue()[start:])

    async def click(label: str, *form_answers: str) -> str:
        labels = [b.label for b in chat.buttons]
        assert label in labels, (label, labels)
        return await line(str(labels.index(label) + 1), *form_answers)

    async def as_(email: str) -> None:
        chat.switch(email)

    try:
        await line("propose")
        for a in ANSWERS:
            await line(a)
        for _ in range(6):
            await line("1")
        await click("That tier is right")
        assert "UC-1 submitted" in await click("Submit the idea")
        uc = await the_use_case(app.db)
        none3 = ["", ""]  # conditions 2 and 3 left empty: their owner and due date are not asked

        async def review(email: str, group: str, label: str, *answers: str) -> str:
            await as_(email)
            await line("reviews")
            rr = await review_for_db(app, uc.id, group)
            await click(f"Open review {rr}")
            return await click(label, *answers)

        # Exploration -> pilot, with a condition.
        await ready(app.db, policy, clock, uc.id)
        await as_(OWNER)
        assert "review requested for Pilot" in await line("move UC-1")
        said = await review("pat.product@example.com", "product", "Approve with conditions",
                            "Agree the pilot user group with HR", DELIVERY, "2026-12-18", *none3, "1")
        assert "with 1 condition;" in said
        assert "posted in #product" in printed.getvalue() and "UC-1 moved to Pilot" in printed.getvalue()

        # Pilot -> controlled rollout.
        await ready(app.db, policy, clock, uc.id)
        await as_(DELIVERY)
        assert "still open" in await line("move UC-1")
        [cond] = await open_conditions(app.db)
        assert "Closed condition" in await line(f"close condition {cond.id} HR approved the pilot group")
        assert "review requested for Controlled rollout" in await line("move UC-1")
        said = await review("sam.security@example.com", "security", "Ask for more information",
                            "Where is the model hosted?")
        assert "clock is paused" in said
        await as_(OWNER)
        await line("answer")
        assert "review clock runs again" in await click("Answer", "In our own cloud tenant, EU region.")
        assert "Recorded: you approved" in await review("sam.security@example.com", "security", "Approve")
        assert "Recorded: you approved" in await review("pat.product@example.com", "product", "Approve")

        # Controlled rollout -> scale decision -> ongoing operation.
        for next_stage, groups in (("Scale decision", [("pia.product@example.com", "product"),
                                                       ("sue.security@example.com", "security")]),
                                   ("Ongoing operation", [("leo.lead@example.com", "leadership")])):
            await ready(app.db, policy, clock, uc.id)
            await as_(OWNER)
            assert f"review requested for {next_stage}" in await line("move UC-1")
            for email, group in groups:
                assert "Recorded" in await review(email, group, "Approve")
        final = await the_use_case(app.db)
        assert (final.stage, final.status) == ("ongoing_operation", "active")
        assert "UC-1 moved to Ongoing operation" in printed.getvalue()
    finally:
        await app.stop()


async def review_for_db(app: App, uc_id: int, group: str) -> int:
    from storage.tables import ReviewRequest

    async with app.db.read() as s:
        q = (select(ReviewRequest.id).where(ReviewRequest.use_case_id == uc_id, ReviewRequest.group_key == group)
             .order_by(ReviewRequest.id.desc()).limit(1))
        return (await s.execute(q)).scalar_one()
