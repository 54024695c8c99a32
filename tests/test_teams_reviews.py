"""A review card in a Teams channel: members decide with Action.Execute, the card updates for everyone."""
from __future__ import annotations

from storage.repo import use_cases
from tests.support import factories
from tests.support.fake_connector import card_actions
from tests.support.reviewing import make_ready
from tests.support.teams_activities import (  # noqa: F401,F811 (the teams fixture)
    OTHER_TENANT, TeamsAiom, channel, execute, teams, user,
)

PRODUCT = "19:product@thread.tacv2"


async def _review_card(teams: TeamsAiom, clock) -> tuple[int, str]:
    """A low-tier use case whose owner asks for the pilot gate in Teams; the card lands in #product."""
    pat = teams.chat(user("Pat Product", "pat.product@example.com"), conversation=channel(PRODUCT, root="500"))
    await pat.say("hello", mention_bot=True)  # aiom learns the product channel (as on install)
    async with teams.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), business_owner="anna.owner@example.com", tier="low")
        await make_ready(s, teams.app.policy, uc, clock())
    anna = teams.chat(user("Anna Owner", "anna.owner@example.com"))
    r = await anna.say(f"move UC-{uc.id}")
    assert "review requested" in r.text.lower(), r.text
    await teams.drain()
    cards = teams.fake.sent_to(PRODUCT)
    assert len(cards) == 1 and f"UC-{uc.id}" in cards[0].text
    return uc.id, cards[0].id


def _click_on_card(teams: TeamsAiom, who, card_id: str, label: str) -> dict:
    card = teams.current_card(card_id)
    action = next(a for a in card_actions(card) if a["title"] == label)
    return execute(who, dict(action["data"]), reply_to=card_id, service_url=teams.service_url,
                   conversation=channel(PRODUCT, root=card_id))


async def test_a_decision_updates_the_review_card_for_everyone(teams: TeamsAiom, clock):
    uc_id, card_id = await _review_card(teams, clock)
    card = teams.current_card(card_id)
    stop = [a for a in card_actions(card) if a["data"]["aiom"] == "review.stop"]
    assert stop and stop[0]["style"] == "destructive"  # behind a confirmation (Action.ShowCard)
    assert any(a.get("type") == "Action.ShowCard" for s in card["body"] if s["type"] == "ActionSet"
               for a in s["actions"])

    pia = user("Pia Product", "pia.product@example.com")
    teams.fake.add_member(pia.user_id, name=pia.name, aad=pia.aad, email=pia.email, tenant=pia.tenant)
    r = await teams.post(_click_on_card(teams, pia, card_id, "Approve"))
    # the clicker gets a private note; the card itself changes through the outbox, for everyone
    assert r.body["type"] == "application/vnd.microsoft.activity.message" and "Recorded" in r.body["value"]
    await teams.drain()
    now = teams.current_card(card_id)
    labels = [a["title"] for a in card_actions(now)]
    assert "Approve" not in labels and "Details" in labels
    assert any(u.activity_id == card_id and u.conversation_id == PRODUCT for u in teams.fake.updates)
    async with teams.app.db.read() as s:
        assert (await use_cases.get(s, uc_id)).stage == "pilot"


async def test_refusals_on_a_review_card_are_private_and_change_nothing(teams: TeamsAiom, clock):
    uc_id, card_id = await _review_card(teams, clock)
    before = teams.current_card(card_id)
    outsiders = [user("Sam Security", "sam.security@example.com"),  # another group
                 user("Pat Elsewhere", "pat.product@example.com", tenant=OTHER_TENANT)]  # another tenant
    for who in outsiders:
        teams.fake.add_member(who.user_id, name=who.name, aad=who.aad, email=who.email, tenant=who.tenant)
        r = await teams.post(_click_on_card(teams, who, card_id, "Approve"))
        assert r.status == 200 and r.body["type"] == "application/vnd.microsoft.activity.message", r.body
        assert not r.sent and not r.updates
    await teams.drain()
    assert teams.current_card(card_id) == before
    async with teams.app.db.read() as s:
        assert (await use_cases.get(s, uc_id)).stage == "exploration"


async def test_a_reason_form_from_a_channel_card_opens_in_the_private_chat(teams: TeamsAiom, clock):
    uc_id, card_id = await _review_card(teams, clock)
    pia = user("Pia Product", "pia.product@example.com")
    teams.fake.add_member(pia.user_id, name=pia.name, aad=pia.aad, email=pia.email, tenant=pia.tenant)
    r = await teams.post(_click_on_card(teams, pia, card_id, "Ask for more information"))
    assert "private chat" in r.body["value"]
    dm = f"a:dm-{pia.user_id}"
    assert [s.conversation_id for s in r.sent] == [dm] and not r.updates  # the shared card is untouched
    chat = teams.chat(pia, conversation={"id": dm, "conversationType": "personal", "tenantId": pia.tenant})
    r = await chat.submit({"question": "no"})  # too short: errors on the form, in place
    assert r.answer_card is not None and "Please write the question" in r.text
    r = await chat.submit({"question": "Which claims are excluded from the pilot?"})
    assert "Asked" in r.text
    await teams.drain()
    assert "Which claims are excluded" in teams.fake.updates[-1].text or any(
        "Which claims are excluded" in u.text for u in teams.fake.updates)


async def test_typing_a_decision_in_the_card_thread_gets_a_private_nudge(teams: TeamsAiom, clock):
    uc_id, card_id = await _review_card(teams, clock)
    pia = teams.chat(user("Pia Product", "pia.product@example.com"), conversation=channel(PRODUCT, root=card_id))
    r = await pia.say("approved", mention_bot=True)
    # not in the channel: Teams has no ephemeral messages, so the nudge goes to Pia's 1:1 chat
    assert [s.conversation_id for s in r.sent] == [f"a:dm-{pia.user.user_id}"]
    assert "button" in r.sent[0].text.lower()
    async with teams.app.db.read() as s:
        assert (await use_cases.get(s, uc_id)).stage == "exploration"  # typing decides nothing
