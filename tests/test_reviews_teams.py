"""A gate review decided in Teams through the real botbuilder adapter: approve with conditions from the
channel card (the form opens in the reviewer's private chat), the card updated for everyone."""
from __future__ import annotations

from sqlalchemy import select

from storage.repo import use_cases
from storage.tables import Condition
from tests.support import factories
from tests.support.fake_connector import card_actions
from tests.support.reviewing import make_ready
from tests.support.teams_activities import TeamsAiom, channel, execute, teams, user  # noqa: F401

PRODUCT = "19:product@thread.tacv2"


async def test_approve_with_conditions_from_a_teams_card(teams: TeamsAiom, clock):
    pat = user("Pat Product", "pat.product@example.com")
    teams.fake.add_member(pat.user_id, name=pat.name, aad=pat.aad, email=pat.email, tenant=pat.tenant)
    await teams.chat(pat, conversation=channel(PRODUCT, root="700")).say("hello", mention_bot=True)
    async with teams.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), tier="low")
        await make_ready(s, teams.app.policy, uc, clock())
    r = await teams.chat(user("Anna Owner", "anna.owner@example.com")).say(f"move UC-{uc.id}")
    assert "review requested" in r.text.lower(), r.text
    await teams.drain()
    [posted] = teams.fake.sent_to(PRODUCT)
    action = next(a for a in card_actions(teams.current_card(posted.id)) if a["title"] == "Approve with conditions")
    r = await teams.post(execute(pat, dict(action["data"]), reply_to=posted.id, service_url=teams.service_url,
                                 conversation=channel(PRODUCT, root=posted.id)))
    dm = f"a:dm-{pat.user_id}"
    chat = teams.chat(pat, conversation={"id": dm, "conversationType": "personal", "tenantId": pat.tenant})
    r = await chat.submit({"c1_text": "Run a privacy impact assessment", "c1_owner": "bob.delivery@example.com",
                           "c1_due": "2026-12-15", "more": "no"})
    assert "with 1 condition;" in " ".join(r.text.split()), r.text
    await teams.drain()
    async with teams.app.db.read() as s:
        assert (await use_cases.get(s, uc.id)).stage == "pilot"
        [cond] = (await s.execute(select(Condition))).scalars().all()
    assert cond.text == "Run a privacy impact assessment"
    card = teams.current_card(posted.id)
    labels = [a["title"] for a in card_actions(card)]
    assert labels == ["Details"], labels
    assert "Approved with conditions by Pat Product" in str(card)
