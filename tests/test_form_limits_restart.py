"""A form's declared length limits are kept with the form in the database: a submission after a restart (a new
process over the same database, nothing in memory) is held to the limits the form declared when it was opened,
not to the 4,000-character default. Through the engine and through the real Slack modal."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from vocabulary.interaction import OpenForm
from vocabulary.messages import Button
from storage.tables import Condition
from tests.support import factories
from tests.support.harness import Harness
from tests.support.reviewing import make_ready, review_for, reviewer
from tests.support.slack_driver import SlackWorld

OWNER, BOB = "anna.owner@example.com", "bob.delivery@example.com"
PAT, BOB_U = "U444", "U333"
ROOT = Path(__file__).parent.parent
LONG = "x" * 1200  # over a condition's 1,000, well under the default 4,000


async def gate_in_review(h_app, clock) -> int:
    async with h_app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), stage="pilot")
        await make_ready(s, h_app.policy, uc, clock())
    return uc.id


async def conditions(app) -> list[Condition]:
    async with app.db.read() as s:
        return list((await s.execute(select(Condition))).scalars().all())


def elsewhere(mode: str, db_url: str, args: dict) -> dict:
    """Run the submission in a new Python process over the same database (tests/support/submit_elsewhere.py)."""
    r = subprocess.run([sys.executable, "-m", "tests.support.submit_elsewhere", mode, db_url, json.dumps(args)],
                       capture_output=True, text=True, timeout=240, cwd=ROOT, env={**os.environ})
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


async def test_a_condition_submitted_after_a_restart_keeps_the_forms_limit(db_url, policy, clock):
    h = await Harness.start(db_url, policy=policy, clock=clock)
    try:
        uc_id = await gate_in_review(h.app, clock)
        await h.person(OWNER).say(f"move UC-{uc_id}")
        rr = await review_for(h, uc_id, "product")
        seen = await reviewer(h, "pat.product@example.com", "product").press(
            Button("Approve with conditions", "review.conditions", {"r": rr.id}))
        form = seen.op(OpenForm).form
        assert next(f for f in form.fields if f.name == "c1_text").max_length == 1000
    finally:
        await h.stop()

    said = elsewhere("engine", db_url, {"email": "pat.product@example.com", "group": "product",
                                        "form_id": "review.conditions", "payload": form.payload,
                                        "values": {"c1_text": LONG, "c1_owner": BOB, "c1_due": "2027-03-31"}})
    assert said["errors"] is not None, said
    assert said["errors"]["c1_text"].startswith("Condition 1 is 1,200 characters long; please keep it to 1,000 or "
                                                "fewer")
    assert said["title"] == form.title and said["conditions"] == []  # the same form again, nothing stored
    said = elsewhere("engine", db_url, {"email": "pat.product@example.com", "group": "product",
                                        "form_id": "review.conditions", "payload": form.payload,
                                        "values": {"c1_text": "y" * 1000, "c1_owner": BOB, "c1_due": "2027-03-31"}})
    assert said["errors"] is None and said["conditions"] == ["y" * 1000]  # at the limit: accepted


async def test_a_slack_modal_submitted_after_a_restart_keeps_the_forms_limit(db_url, policy, clock):
    users = [[PAT, "pat.product@example.com", "Pat Product"], [BOB_U, BOB, "Bob Delivery"], ["U222", OWNER, "Anna"]]
    world = await SlackWorld.start(db_url, policy=policy, clock=clock)
    try:
        for uid, email, name in users:
            world.fake.add_user(uid, email, name, tz="UTC")
        uc_id = await gate_in_review(world.app, clock)
        await world.dm("U222", f"move UC-{uc_id}")
        card = world.last("CPRODUCT", with_button="Approve with conditions")
        await world.click(PAT, "Approve with conditions", card)
        view = world.last_view()
        assert world.fake.violations == []
    finally:
        await world.stop()

    said = elsewhere("slack", db_url, {"users": users, "user": PAT, "view": view, "values": {
        "c1_text": LONG, "c1_owner": BOB_U, "c1_due": "2027-03-31", "more": "no"}})
    assert said["status"] == 200 and said["answer"].get("response_action") == "errors", said
    assert "1,200 characters long; please keep it to 1,000 or fewer" in " ".join(said["answer"]["errors"].values())
    assert said["conditions"] == [] and said["violations"] == []


async def test_a_teams_form_card_submitted_after_a_restart_keeps_the_forms_limit(db_url, policy, clock):
    from tests.support.fake_connector import card_actions
    from tests.support.life import teams_click, teams_chats
    from tests.support.teams_activities import TeamsAiom, channel, user

    product = "19:product@thread.tacv2"
    pat, anna = user("Pat Product", "pat.product@example.com"), user("Anna Owner", OWNER)
    t = await TeamsAiom.start(db_url, policy=policy, clock=clock)
    try:
        for u in (pat, anna):
            t.fake.add_member(u.user_id, name=u.name, aad=u.aad, email=u.email, tenant=u.tenant)
        await t.chat(pat, conversation=channel(product, root="1")).say("hello", mention_bot=True)
        uc_id = await gate_in_review(t.app, clock)
        await t.chat(anna).say(f"move UC-{uc_id}")
        await t.drain()
        turn, _ = await teams_click(t, pat, [product], "Approve with conditions")
        assert turn.status == 200, turn.body
        await t.drain()
        convs = set(teams_chats(pat))
        form = next((s.id, s.conversation_id.split(";messageid=")[0], a["data"]) for s in reversed(t.fake.sent)
                    if s.conversation_id.split(";messageid=")[0] in convs and s.card is not None
                    for a in card_actions(t.current_card(s.id)) if (a.get("data") or {}).get("aiom") == "form")
    finally:
        await t.stop()

    said = elsewhere("teams", db_url, {"user": [pat.name, pat.email], "card": form[0], "conversation": form[1],
                                       "data": form[2], "values": {"c1_text": LONG, "c1_owner": BOB,
                                                                   "c1_due": "2027-03-31", "more": "no"}})
    assert said["status"] == 200, said
    assert "1,200 characters long; please keep it to 1,000 or fewer" in " ".join(said["text"].split()), said
    assert said["conditions"] == []
