"""The EU AI Act at intake, through the neutral engine (the local chat's path): each classification, asked only
when relevant, stored with the use case, shown on status, with its consequences (the legal group told of a
prohibited practice; obligations with owners for a high-risk use case)."""
from __future__ import annotations

from sqlalchemy import select

from storage.tables import AiActObligation, AuditEntry, UseCase
from tests.support.harness import Harness
from tests.test_intake import ANSWERS

# Risk picks (option numbers): data sensitivity, audience, decision impact, vendor, regulated, scale.
PLAIN = ("1", "1", "1", "1", "1", "1")            # public data, staff only: no AI Act question is relevant
PERSONAL = ("4", "1", "2", "1", "1", "2")         # personal data, recommendations about people
PUBLIC_FACING = ("1", "2", "1", "1", "1", "3")    # public data, customers see the output

# AI Act picks by option number.
PATHS = {
    "minimal": (PERSONAL, ["1", "1"]),                         # no banned practice, no Annex III area
    "transparency": (PUBLIC_FACING, ["2", "1"]),               # a chatbot; we are the deployer
    "high_risk": (PERSONAL, ["1", "5", "1", "1"]),             # employment; no transparency; deployer
    "prohibited": (PERSONAL, ["3", "1"]),                      # social scoring; no Annex III area
}


NOT_THE_SAME = ("No, a different idea", "Continue as a new idea")


async def propose(person, risk, act, *, submit=True):
    await person.say("propose")
    for a in ANSWERS:
        await person.say(a)
        for label in NOT_THE_SAME:  # an earlier idea looks similar (asked right after the outcome): a new idea
            if any(b.label == label for b in person.buttons):
                await person.click(label)
    seen = None
    for pick in (*risk, *act):
        seen = await person.say(pick)
    assert "Does that sound right?" in seen.text, seen.text
    seen = await person.click("That tier is right")
    if submit:
        seen = await person.click("Submit the idea")
    return seen


def plain(seen) -> str:
    """What was said, unwrapped, without the local chat's "·" marks at the start of wrapped context lines."""
    return " ".join(seen.text.replace("·", " ").split())


async def the_use_case(h: Harness) -> UseCase:
    async with h.app.db.read() as s:
        return (await s.execute(select(UseCase))).scalar_one()


async def obligations(h: Harness) -> list[AiActObligation]:
    async with h.app.db.read() as s:
        return list((await s.execute(select(AiActObligation).order_by(AiActObligation.id))).scalars().all())


async def audit_actions(h: Harness) -> list[str]:
    async with h.app.db.read() as s:
        return [e.action for e in (await s.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars().all()]


async def test_no_ai_act_question_when_nothing_makes_it_relevant(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    for a in ANSWERS:
        await zoe.say(a)
    seen = None
    for pick in PLAIN:
        seen = await zoe.say(pick)
    assert "Does that sound right?" in seen.text and "banned" not in seen.text
    await zoe.click("That tier is right")
    seen = await zoe.click("Submit the idea")
    assert "EU AI Act: Minimal risk" in seen.text
    uc = await the_use_case(harness)
    assert (uc.ai_act_class, uc.ai_act_role) == ("minimal", "")
    assert await obligations(harness) == []


async def test_minimal_after_the_questions(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    for a in ANSWERS:
        await zoe.say(a)
    seen = None
    for pick in PERSONAL:
        seen = await zoe.say(pick)
    assert "These uses are banned in the EU" in seen.text  # personal data about people: the question appears
    seen = await zoe.say("1")
    assert "Is it used in any of these areas?" in seen.text and "Employment" in seen.text
    seen = await zoe.say("1")
    assert "Does that sound right?" in seen.text  # staff-facing, minimal: no transparency or role question
    seen = await zoe.click("That tier is right")
    assert "EU AI Act: Minimal risk" in seen.text
    await zoe.click("Submit the idea")
    assert (await the_use_case(harness)).ai_act_class == "minimal"


async def test_transparency_deployer(harness: Harness):
    zoe = harness.person("zoe@example.com")
    await zoe.say("propose")
    for a in ANSWERS:
        await zoe.say(a)
    seen = None
    for pick in PUBLIC_FACING:
        seen = await zoe.say(pick)
    assert "Does it do any of these?" in seen.text and "chatbot" in seen.text
    seen = await zoe.say("2")
    assert "Who is it from?" in seen.text
    seen = await zoe.say("1")
    seen = await zoe.click("That tier is right")
    assert "EU AI Act: Transparency obligations deployer (Art. 50(1)). Applies from 02 Aug 2026." in plain(seen)
    seen = await zoe.click("Submit the idea")
    uc = await the_use_case(harness)
    assert (uc.ai_act_class, uc.ai_act_role) == ("transparency", "deployer")
    assert [o.key for o in await obligations(harness)] == ["tell_people_ai"]
    status = await zoe.say(f"status UC-{uc.id}")
    assert "Transparency obligations · deployer" in status.text


async def test_high_risk_deployer_gets_its_obligations_with_owners(harness: Harness):
    zoe = harness.person("zoe@example.com")
    seen = await propose(zoe, *PATHS["high_risk"])
    assert "EU AI Act" in seen.text and "High-risk · deployer" in seen.text
    uc = await the_use_case(harness)
    assert (uc.ai_act_class, uc.ai_act_role) == ("high_risk", "deployer")
    assert uc.ai_act["reasons"][0][2] == ["Art. 6(2)", "Annex III point 4"]
    rows = await obligations(harness)
    keys = [o.key for o in rows]
    assert keys == ["deployer_instructions", "deployer_oversight", "deployer_input_data", "deployer_monitoring",
                    "deployer_logs", "deployer_inform_workers", "deployer_inform_people", "deployer_fria"]
    by_key = {o.key: o for o in rows}
    assert by_key["deployer_oversight"].owner_id == uc.business_owner_id
    assert by_key["deployer_logs"].owner_id == uc.delivery_owner_id
    assert all(o.status == "open" for o in rows)
    # the owners were told what they owe
    assert any("Name the people who oversee it" in t for t in harness.out.dms_to("anna.owner@example.com"))
    assert any("Keep the logs it generates" in t for t in harness.out.dms_to("bob.delivery@example.com"))
    actions = await audit_actions(harness)
    assert "use_case.ai_act_classified" in actions and "ai_act.obligations_opened" in actions


async def test_prohibited_goes_to_legal_at_once(harness: Harness):
    zoe = harness.person("zoe@example.com")
    seen = await propose(zoe, *PATHS["prohibited"], submit=False)
    assert "Applies from 02 Feb 2025. A prohibited practice cannot move on" in plain(seen)
    await zoe.click("Submit the idea")
    uc = await the_use_case(harness)
    assert uc.ai_act_class == "prohibited"
    legal = harness.out.posts_in("#legal")
    assert legal and "Prohibited AI practice: UC-1" in legal[0] and "Art. 5(1)(c)" in legal[0]
    assert await obligations(harness) == []


async def test_the_application_dates_come_from_the_policy(db_url, policy, clock):
    """An organisation moves a date in its policy file: the proposer and the owners see the new one."""
    from vocabulary.policy import policy_from_data

    moved = policy_from_data({"organisation": "Test", "review": {"groups": [
        {"key": g.key, "members": list(g.members), "channels": dict(g.channels)} for g in policy.review.groups]},
        "eu_ai_act": {"dates": [{"key": "general", "date": "2027-12-02", "what": "Moved (example)."}]}})
    h = await Harness.start(db_url, policy=moved, clock=clock)
    try:
        zoe = h.person("zoe@example.com")
        seen = await propose(zoe, *PATHS["high_risk"], submit=False)
        assert "Applies from 02 Dec 2027." in plain(seen)
        await zoe.click("Submit the idea")
        assert any("Applies from 02 Dec 2027" in " ".join(t.replace("·", " ").split())
                   for t in h.out.dms_to("anna.owner@example.com"))
    finally:
        await h.stop()
