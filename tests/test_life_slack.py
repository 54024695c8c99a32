"""A use case's whole life in Slack, exploration to ongoing operation, through the real bolt app: signed event,
block_actions and view_submission requests against the fake Web API.

Proposed by DM; each gate asked for by DM; the review cards land in the groups' channels and are updated in place;
approve with conditions and ask for more information go through modals; conditions are closed with evidence
(from the owner's DM, by button and by typed command); the KPI is defined by DM; leadership takes the scale
decision. The instruments each gate needs are filled at storage level (tests/support/reviewing.make_ready).
The audit trail records every step with the platform and the Slack message it came from.
"""
from __future__ import annotations

import pytest

from tests.support.life import checked_life, conditions, ready, the_use_case
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.test_slack_intake import ANSWERS

ZOE, ANNA, BOB = "U111", "U222", "U333"
PAT, PIA, SAM, SUE, LENA = "U444", "U445", "U555", "U556", "U666"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    for uid, email, name in ((ZOE, "zoe@example.com", "Zoe Proposer"), (ANNA, "anna.owner@example.com", "Anna Owner"),
                             (BOB, "bob.delivery@example.com", "Bob Delivery"),
                             (PAT, "pat.product@example.com", "Pat Product"),
                             (PIA, "pia.product@example.com", "Pia Product"),
                             (SAM, "sam.security@example.com", "Sam Security"),
                             (SUE, "sue.security@example.com", "Sue Security"),
                             (LENA, "lena.lead@example.com", "Lena Lead")):
        w.fake.add_user(uid, email, name, tz="UTC")
    yield w
    assert w.fake.violations == []
    await w.stop()


def whisper_to(world: SlackWorld, user: str) -> str:
    """The last private message aiom showed this person (an ephemeral message in a channel)."""
    calls = [c for c in world.calls("chat.postEphemeral") if c["user"] == user]
    return world.fake.seen_text(calls[-1:])


async def propose(world: SlackWorld) -> int:
    dm = dm_channel(ZOE)
    await world.dm(ZOE, "propose")
    for answer in ANSWERS:
        assert await world.dm(ZOE, answer) == 200
    for _ in range(6):  # the risk questions: the first option of each (a low tier)
        prompt = world.last(dm)
        await world.click(ZOE, prompt.buttons()[0]["text"]["text"], prompt)
    await world.click(ZOE, "That tier is right")
    await world.click(ZOE, "Submit the idea", world.last(dm, with_button="Submit the idea"))
    assert "UC-1 submitted" in world.last(dm).all_text
    return (await the_use_case(world.app)).id


async def modal(world: SlackWorld, user: str, label: str, message, values: dict) -> dict:
    """Click a button that opens a modal, submit it with `values`; returns Slack's answer to the submission."""
    views = len(world.calls("views.open"))
    await world.click(user, label, message)
    assert len(world.calls("views.open")) == views + 1, f"{label!r} opened no modal"
    status, answer = await world.submit(user, world.last_view(), values)
    assert status == 200 and answer.get("response_action") != "errors", answer
    return answer


async def test_a_whole_life_in_slack(world: SlackWorld, clock):
    app = world.app
    uc_id = await propose(world)

    # Exploration -> pilot: product approves with a condition, in the modal.
    await ready(app, uc_id)
    await world.dm(ANNA, f"move UC-{uc_id}")
    assert "review requested for Pilot" in world.last(dm_channel(ANNA)).all_text
    card1 = world.last("CPRODUCT", with_button="Approve with conditions")
    await modal(world, PAT, "Approve with conditions", card1, {
        "c1_text": "Agree the pilot user group with HR", "c1_owner": BOB, "c1_due": "2026-12-18", "more": "no"})
    shown = world.screens[("CPRODUCT", card1.ts)]
    assert "Approved with conditions by Pat Product" in shown.all_text
    assert "Agree the pilot user group with HR" in shown.all_text and [b["text"]["text"] for b in shown.buttons()] \
        == ["Details"]
    assert "with 1 condition;" in whisper_to(world, PAT)
    told = world.last(dm_channel(BOB), with_button="Close condition")  # the condition's owner is told
    assert "Agree the pilot user group with HR" in told.all_text and "Due 18 Dec 2026" in told.all_text
    assert "approved the review of UC-1" in world.seen_in(dm_channel(ZOE))
    assert "is now in Pilot" in world.seen_in(dm_channel(ANNA))
    assert (await the_use_case(app)).stage == "pilot"

    # Pilot -> controlled rollout: the open condition blocks the gate until Bob closes it with evidence.
    clock.advance(days=20)
    await ready(app, uc_id, readiness=4)  # 72 of 90: moderate, passes only with conditions
    await world.dm(BOB, f"move UC-{uc_id}")
    assert "still open" in " ".join(world.last(dm_channel(BOB)).all_text.split())
    [cond1] = await conditions(app)
    await modal(world, BOB, "Close condition", told, {"evidence": "HR approved the 12-person pilot group"})
    assert "Closed condition" in world.last(dm_channel(BOB)).all_text
    assert "Closed: #1 by Bob Delivery" in world.screens[("CPRODUCT", card1.ts)].all_text
    await world.dm(BOB, f"move UC-{uc_id}")
    assert "review requested for Controlled rollout" in world.last(dm_channel(BOB)).all_text
    sec = world.last("CSECURITY", with_button="Ask for more information")
    prod = world.last("CPRODUCT", with_button="Approve with conditions")
    assert [b["text"]["text"] for b in prod.buttons()][0] == "Approve with conditions"  # no plain Approve
    await modal(world, SAM, "Ask for more information", sec, {"question": "Where is the model hosted?"})
    assert "Waiting for the owners' answer" in world.screens[("CSECURITY", sec.ts)].all_text
    asked = world.last(dm_channel(ANNA), with_button="Answer")
    assert "Where is the model hosted?" in asked.all_text
    assert "Where is the model hosted?" in world.seen_in(dm_channel(ZOE))  # the proposer may answer too
    await modal(world, ANNA, "Answer", asked, {"answer": "In our own cloud tenant, EU region."})
    assert "In our own cloud tenant, EU region." in world.screens[("CSECURITY", sec.ts)].all_text
    assert "answered your question" in world.seen_in(dm_channel(SAM))
    await modal(world, SAM, "Approve with conditions", sec, {
        "c1_text": "Pen test before rollout", "c1_owner": BOB, "c1_due": "2027-01-15", "more": "no"})
    await modal(world, PAT, "Approve with conditions", prod, {
        "c1_text": "Raise user adoption readiness to 4", "c1_owner": ANNA, "c1_due": "2027-01-20", "more": "no"})
    assert "Approved with conditions by Sam Security" in world.screens[("CSECURITY", sec.ts)].all_text
    assert (await the_use_case(app)).stage == "controlled_rollout"

    # Controlled rollout -> scale decision: both conditions closed first (by typed command and by button).
    pen, adoption = await conditions(app)
    await world.dm(BOB, f"close condition {pen.id} pen test report PT-114 shows no open findings")
    assert f"Closed condition #{pen.id}" in world.last(dm_channel(BOB)).all_text
    await modal(world, ANNA, "Close condition", world.last(dm_channel(ANNA), with_button="Close condition"),
                {"evidence": "Adoption readiness re-scored at 4 after the training"})
    assert await conditions(app) == []
    assert "pen test report PT-114" in world.screens[("CSECURITY", sec.ts)].all_text
    await ready(app, uc_id, readiness=5)  # gaps closed, re-scored: strong
    await world.dm(ANNA, f"move UC-{uc_id}")
    prod3 = world.last("CPRODUCT", with_button="Approve")
    sec3 = world.last("CSECURITY", with_button="Approve")
    # The channel's card says what changed since the group's last decision (the closed conditions), the same for
    # everyone; "since you last looked" is said only privately, to the member who opens the details.
    assert prod3.ts != prod.ts and "Changed since Product and delivery's last decision on UC-1" in prod3.all_text
    assert "you last looked" not in prod3.all_text
    await world.click(PAT, "Details", prod3)
    mine = " ".join(whisper_to(world, PAT).split()).split("Changed since you last looked", 1)[1]
    assert "Condition #1 closed" not in mine and "Pen test before rollout; evidence: pen test report PT-114" in mine
    assert "you last looked" not in world.screens[("CPRODUCT", prod3.ts)].all_text
    await world.click(PIA, "Approve", prod3)
    await world.click(SUE, "Approve", sec3)
    assert "Approved by Sue Security" in world.screens[("CSECURITY", sec3.ts)].all_text
    assert (await the_use_case(app)).stage == "scale_decision"

    # Scale decision -> ongoing operation: the KPI defined by DM, then leadership decides.
    await world.dm(ANNA, f"move UC-{uc_id}")
    assert "KPI" in world.last(dm_channel(ANNA)).all_text  # not ready: no KPI yet, and how to add one
    await define_kpi(world, uc_id)
    await world.dm(ANNA, f"move UC-{uc_id}")
    lead = world.last("CLEADERSHIP", with_button="Approve")
    assert {"Pause", "Redirect"} <= {b["text"]["text"] for b in lead.buttons()}
    await world.click(LENA, "Approve", lead)
    assert "Approved by Lena Lead" in world.screens[("CLEADERSHIP", lead.ts)].all_text

    for user in (ZOE, ANNA, BOB):
        assert "is now in Ongoing operation" in world.seen_in(dm_channel(user))
    entries, decided = await checked_life(app, uc_id, "slack")
    decided = {(e.data["group"], e.data["decision"]): e for e in reversed(decided)}  # the first of each kind
    assert decided[("product", "approve_with_conditions")].message_ref == f"slack:CPRODUCT/{card1.ts}"  # modal
    assert decided[("security", "approve_with_conditions")].message_ref == f"slack:CSECURITY/{sec.ts}"
    assert decided[("security", "approve")].message_ref == f"slack:CSECURITY/{sec3.ts}"  # button
    assert decided[("leadership", "approve")].message_ref == f"slack:CLEADERSHIP/{lead.ts}"
    assert decided[("leadership", "approve")].actor_label == "lena.lead@example.com"
    asked_entry = next(e for e in entries if e.action == "review.info_requested")
    assert asked_entry.message_ref == f"slack:CSECURITY/{sec.ts}"
    closed = [e for e in entries if e.action == "condition.closed"]
    assert closed[0].message_ref == f"slack:{dm_channel(BOB)}/{told.ts}"
    assert closed[0].data["evidence"] == "HR approved the 12-person pilot group"
    assert next(e for e in entries if e.action == "use_case.proposed").message_ref.startswith(
        f"slack:{dm_channel(ZOE)}/")


async def define_kpi(world: SlackWorld, uc_id: int) -> None:
    dm = dm_channel(ANNA)
    await world.dm(ANNA, f"kpi UC-{uc_id} add")
    for answer in ("Business outcome", "Claims triage time", "min", "Lower is better", "120", "80"):
        await world.dm(ANNA, answer)
    await world.click(ANNA, "The delivery owner", world.last(dm, with_button="The delivery owner"))
    await world.dm(ANNA, "monthly")
    await world.click(ANNA, "Save the KPI", world.last(dm, with_button="Save the KPI"))
    assert "Saved: “Claims triage time”" in world.last(dm).all_text
