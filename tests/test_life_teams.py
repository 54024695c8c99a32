"""A use case's whole life in Teams, exploration to ongoing operation, through the real botbuilder adapter:
activities over HTTP against the fake connector.

Proposed in the personal chat (tests/test_teams_intake.py's walk-through); the owners ask for each gate in
theirs; the review cards land in the groups' channels and are updated in place for everyone; approve with
conditions and ask for more information are card forms (opened in the reviewer's private chat with aiom);
conditions are closed with evidence from the owner's chat (by button and by typed command); the KPI is defined
in chat; leadership takes the scale decision. The instruments each gate needs are filled at storage level
(tests/support/reviewing.make_ready). The audit trail records every step with the platform and the Teams
message it came from.
"""
from __future__ import annotations

from tests.support.fake_connector import card_actions
from tests.support.life import (
    checked_life, conditions, ready, teams_card, teams_chats, teams_click, teams_form, teams_seen, the_use_case,
)
from tests.support.teams_activities import TeamsAiom, channel, teams, user  # noqa: F401 (the teams fixture)
from tests.test_teams_intake import propose_in_teams

PRODUCT, SECURITY, LEADERSHIP = "19:product@thread.tacv2", "19:security@thread.tacv2", "19:leadership@thread.tacv2"
ZOE, ANNA, BOB = (user("Zoe Proposer", "zoe@example.com"), user("Anna Owner", "anna.owner@example.com"),
                  user("Bob Delivery", "bob.delivery@example.com"))
PAT, PIA = user("Pat Product", "pat.product@example.com"), user("Pia Product", "pia.product@example.com")
SAM, SUE = user("Sam Security", "sam.security@example.com"), user("Sue Security", "sue.security@example.com")
LENA = user("Lena Lead", "lena.lead@example.com")


def card_now(t: TeamsAiom, mid: str) -> str:
    from tests.support.fake_connector import card_text, unescape

    return " ".join(unescape(card_text(t.current_card(mid))).split())


def labels(t: TeamsAiom, mid: str) -> list[str]:
    return [a["title"] for a in card_actions(t.current_card(mid))]


async def test_a_whole_life_in_teams(teams: TeamsAiom, clock):
    t, app = teams, teams.app
    for u in (ZOE, ANNA, BOB, PAT, PIA, SAM, SUE, LENA):
        t.fake.add_member(u.user_id, name=u.name, aad=u.aad, email=u.email, tenant=u.tenant)
    for ch, u in ((PRODUCT, PAT), (SECURITY, SAM), (LEADERSHIP, LENA)):  # aiom learns its channels
        await t.chat(u, conversation=channel(ch, root="1")).say("hello", mention_bot=True)
    zoe, anna, bob = t.chat(ZOE), t.chat(ANNA), t.chat(BOB)
    for c in (anna, bob):  # aiom can write to people in Teams once they have talked to it
        await c.say("hello")
    await propose_in_teams(t, zoe)
    uc_id = (await the_use_case(app)).id
    await t.drain()
    assert "business owner of UC-1" in teams_seen(t, ANNA)  # told in Teams, through the outbox

    # Exploration -> pilot: product approves with a condition, in the card form.
    await ready(app, uc_id)
    r = await anna.say(f"move UC-{uc_id}")
    assert "review requested for Pilot" in r.text, r.text
    await t.drain()
    done, card1 = await teams_form(t, PAT, "Approve with conditions", [PRODUCT], {
        "c1_text": "Agree the pilot user group with HR", "c1_owner": "bob.delivery@example.com",
        "c1_due": "2026-12-18", "more": "no"})
    assert "with 1 condition;" in " ".join(done.text.split())
    assert "Approved with conditions by Pat Product" in card_now(t, card1) and labels(t, card1) == ["Details"]
    assert any(u.activity_id == card1 and u.conversation_id == PRODUCT for u in t.fake.updates)  # in place
    assert "Agree the pilot user group with HR" in teams_seen(t, BOB)  # the condition's owner is told
    assert "approved the review of UC-1" in teams_seen(t, ZOE)
    assert "is now in Pilot" in teams_seen(t, ANNA)
    assert (await the_use_case(app)).stage == "pilot"

    # Pilot -> controlled rollout: the open condition blocks the gate until Bob closes it with evidence.
    clock.advance(days=20)
    await ready(app, uc_id, readiness=4)  # moderate: passes only with conditions
    r = await bob.say(f"move UC-{uc_id}")
    assert "still open" in " ".join(r.text.split()), r.text
    done, told = await teams_form(t, BOB, "Close condition", teams_chats(BOB),
                                  {"evidence": "HR approved the 12-person pilot group"})
    assert "Closed condition" in done.text
    assert "Closed: #1 by Bob Delivery" in card_now(t, card1)
    r = await bob.say(f"move UC-{uc_id}")
    assert "review requested for Controlled rollout" in r.text, r.text
    await t.drain()
    _, sec, _ = teams_card(t, [SECURITY], "Ask for more information")
    _, prod, _ = teams_card(t, [PRODUCT], "Approve with conditions")
    assert "Approve" not in labels(t, prod)
    await teams_form(t, SAM, "Ask for more information", [SECURITY], {"question": "Where is the model hosted?"})
    assert "Waiting for the owners' answer" in card_now(t, sec)
    assert "Where is the model hosted?" in teams_seen(t, ANNA) and "Where is the model hosted?" in teams_seen(t, ZOE)
    await teams_form(t, ANNA, "Answer", teams_chats(ANNA), {"answer": "In our own cloud tenant, EU region."})
    assert "In our own cloud tenant, EU region." in card_now(t, sec)
    assert "answered your question" in teams_seen(t, SAM)
    await teams_form(t, SAM, "Approve with conditions", [SECURITY], {
        "c1_text": "Pen test before rollout", "c1_owner": "bob.delivery@example.com", "c1_due": "2027-01-15",
        "more": "no"})
    await teams_form(t, PAT, "Approve with conditions", [PRODUCT], {
        "c1_text": "Raise user adoption readiness to 4", "c1_owner": "anna.owner@example.com",
        "c1_due": "2027-01-20", "more": "no"})
    assert "Approved with conditions by Sam Security" in card_now(t, sec)
    assert (await the_use_case(app)).stage == "controlled_rollout"

    # Controlled rollout -> scale decision: both conditions closed first (typed, and from the card).
    pen, _adoption = await conditions(app)
    r = await bob.say(f"close condition {pen.id} pen test report PT-114 shows no open findings")
    assert f"Closed condition #{pen.id}" in r.text
    await teams_form(t, ANNA, "Close condition", teams_chats(ANNA),
                     {"evidence": "Adoption readiness re-scored at 4 after the training"})
    assert await conditions(app) == []
    assert "pen test report PT-114" in card_now(t, sec)
    await ready(app, uc_id, readiness=5)  # gaps closed, re-scored: strong
    r = await anna.say(f"move UC-{uc_id}")
    await t.drain()
    _, prod3, _ = teams_card(t, [PRODUCT], "Approve")
    _, sec3, _ = teams_card(t, [SECURITY], "Approve")
    # The channel's card says what changed since the group's last decision (the closed conditions), the same for
    # everyone; "since you last looked" is said only privately, to the member who opens the details.
    assert prod3 != prod and "Changed since Product and delivery's last decision on UC-1" in card_now(t, prod3)
    assert "you last looked" not in card_now(t, prod3)
    r, _ = await teams_click(t, PAT, [PRODUCT], "Details")
    await t.drain()
    mine = " ".join(teams_seen(t, PAT).split()).split("Changed since you last looked", 1)[1]
    assert "Condition #1 closed" not in mine and "Pen test before rollout; evidence: pen test report PT-114" in mine
    assert "you last looked" not in card_now(t, prod3)
    for u, ch in ((PIA, PRODUCT), (SUE, SECURITY)):
        r, _ = await teams_click(t, u, [ch], "Approve")
        assert "Recorded" in str(r.body), r.body
    await t.drain()
    assert "Approved by Sue Security" in card_now(t, sec3)
    assert (await the_use_case(app)).stage == "scale_decision"

    # Scale decision -> ongoing operation: the KPI defined in chat, then leadership decides.
    r = await anna.say(f"move UC-{uc_id}")
    assert "KPI" in r.text, r.text
    await define_kpi(anna, uc_id)
    await anna.say(f"move UC-{uc_id}")
    await t.drain()
    _, lead, _ = teams_card(t, [LEADERSHIP], "Approve")
    assert {"Pause", "Redirect"} <= set(labels(t, lead))
    r, _ = await teams_click(t, LENA, [LEADERSHIP], "Approve")
    await t.drain()
    assert "Approved by Lena Lead" in card_now(t, lead)

    for u in (ZOE, ANNA, BOB):
        assert "is now in Ongoing operation" in teams_seen(t, u)
    entries, decided = await checked_life(app, uc_id, "teams")
    # A card form's decision points at the channel card it was opened from; a click at the card clicked.
    assert decided[0].message_ref == f"teams:{PRODUCT}/{card1}"
    assert decided[1].message_ref == f"teams:{SECURITY}/{sec}"
    assert decided[4].message_ref == f"teams:{SECURITY}/{sec3}"
    assert decided[5].message_ref == f"teams:{LEADERSHIP}/{lead}" and decided[5].actor_label == LENA.email
    asked = next(e for e in entries if e.action == "review.info_requested")
    assert asked.message_ref == f"teams:{SECURITY}/{sec}"
    closed = [e for e in entries if e.action == "condition.closed"]
    assert closed[0].message_ref.endswith(f"/{told}") and closed[0].data["evidence"].startswith("HR approved")
    assert closed[1].message_ref.startswith(f"teams:a:personal-{BOB.aad}/")  # typed in his chat
    proposed = next(e for e in entries if e.action == "use_case.proposed")
    assert proposed.message_ref.startswith(f"teams:a:personal-{ZOE.aad}/")


async def define_kpi(chat, uc_id: int) -> None:
    await chat.say(f"kpi UC-{uc_id} add")
    for answer in ("Business outcome", "Claims triage time", "min", "Lower is better", "120", "80"):
        await chat.say(answer)
    await chat.click("The delivery owner")
    await chat.say("monthly")
    r = await chat.click("Save the KPI")
    assert "Saved: “Claims triage time”" in r.text, r.text
