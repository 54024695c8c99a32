"""Leavers: recorded from a signed Slack `user_change` (deleted), a Teams roster miss, or a leader's `leaver …`;
one handover message lists every kind of item they held; reassignment by a click (and its form) and typed text;
their reminders stop; what they recorded stays exactly as it was."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from storage import audit
from storage.repo import absences, people
from storage.tables import (
    AuditEntry,
    Condition,
    Kpi,
    Leaver,
    Outbox,
    RiskEntry,
    Scorecard,
    ScorecardAnswer,
    UseCase,
)
from tests.support import factories
from tests.support.fake_slack import HOME_TEAM
from tests.support.fake_connector import card_text, unescape
from tests.support.harness import Harness
from tests.support.reviewing import flat
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.support.teams_activities import TeamsAiom, card_actions, user

PAT, LENA, CAROL = "pat.product@example.com", "lena.lead@example.com", "carol.new@example.com"
KINDS = ["business owner of UC-", "delivery owner of UC-", "sponsor of UC-", "condition owner: #",
         "KPI owner: KPI #", "risk owner: risk #", "review group member: Product and delivery",
         "pending scorecard: readiness for UC-"]


async def pat_holds_everything(app, now) -> dict:
    """Pat owns UC-a, delivers and sponsors UC-b, owns a condition, a KPI and a risk, owes a scorecard, and has
    answered scorecards before."""
    async with app.db.write() as s:
        await factories.person(s, CAROL)
        a = await factories.use_case(s, now=now, title="Claims triage", business_owner=PAT, stage="pilot")
        b = await factories.use_case(s, now=now, title="Invoice matching", delivery_owner=PAT, sponsor_id=None)
        pat = await people.by_email(s, PAT)
        b.sponsor_id = pat.id
        s.add(b)
        c = Condition(use_case_id=b.id, text="Run a privacy impact assessment", owner_id=pat.id,
                      due_date=date(2026, 12, 20), status="open", created_by_id=pat.id, created_at=now)
        k = Kpi(use_case_id=a.id, layer="business_outcome", name="Triage time", unit="minutes", baseline=120,
                target=80, direction="lower", owner_id=pat.id, cadence="monthly", created_at=now)
        r = RiskEntry(use_case_id=a.id, area_key="data_privacy", description="Personal data in claim forms",
                      likelihood="medium", impact="high", owner_id=pat.id, status="open", created_by_id=pat.id,
                      created_at=now, updated_at=now)
        sc = Scorecard(use_case_id=a.id, instrument="readiness", status="in_progress", answered=1,
                       started_by_id=pat.id, started_at=now, last_answer_at=now)
        s.add_all([c, k, r, sc])
        await s.flush()
        s.add(ScorecardAnswer(scorecard_id=sc.id, item_key="data_quality", value=3, answered_by_id=pat.id,
                              answered_at=now))
        await audit.append(s, action="scorecard.answered", actor_id=pat.id, actor_label=PAT, entity="scorecard",
                           entity_id=sc.id, use_case_id=a.id, data={"item": "data_quality", "value": 3}, at=now)
        # A reminder to Pat already waiting in the outbox: it must never go out now.
        s.add(Outbox(dedupe_key="reminder:test:pat", platform="console", kind="dm", target=str(pat.id),
                     message={"blocks": [], "fallback": "x"}, purpose="reminder", person_id=pat.id,
                     not_before=now + timedelta(hours=5), created_at=now))
        await s.flush()
        return {"a": a.id, "b": b.id, "condition": c.id, "kpi": k.id, "risk": r.id, "pat": pat.id}


async def recorded(app) -> tuple:
    """Everything already on record: the audit chain and Pat's answers."""
    async with app.db.read() as s:
        chain = [(e.seq, e.hash, e.action, e.actor_label) for e in
                 (await s.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars().all()]
        answers = [(x.id, x.value, x.answered_by_id) for x in (await s.execute(select(ScorecardAnswer))).scalars()]
        return chain, answers


async def holders(app, ids: dict) -> dict:
    async with app.db.read() as s:
        a, b = await s.get(UseCase, ids["a"]), await s.get(UseCase, ids["b"])
        for x in (a, b):
            await s.refresh(x)
        cond = (await s.execute(select(Condition.owner_id).where(Condition.id == ids["condition"]))).scalar()
        kpi = (await s.execute(select(Kpi.owner_id).where(Kpi.id == ids["kpi"]))).scalar()
        return {"a_business": a.business_owner_id, "b_delivery": b.delivery_owner_id, "b_sponsor": b.sponsor_id,
                "condition": cond, "kpi": kpi}


async def check_unchanged(app, before: tuple) -> None:
    chain, answers = await recorded(app)
    assert chain[:len(before[0])] == before[0]  # nothing rewritten: only appended
    assert answers == before[1]
    async with app.db.read() as s:
        n, problems = await audit.verify(s)
        assert problems == [] and n == len(chain)


# -- Slack ---------------------------------------------------------------------------------------------------
PAT_U, LENA_U, CAROL_U = "U444", "U666", "U777"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    for uid, email, name in ((PAT_U, PAT, "Pat Product"), (LENA_U, LENA, "Lena Lead"), (CAROL_U, CAROL, "Carol New")):
        w.fake.add_user(uid, email, name, tz="UTC")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def test_a_deactivated_slack_account_is_handed_over_and_reassigned_by_click_and_by_typing(world, clock):
    app = world.app
    assert await world.dm(PAT_U, "hello") == 200  # aiom knows Pat's Slack account, with a verified email
    await world.settle()
    ids = await pat_holds_everything(app, clock.now)
    before = await recorded(app)

    # A profile change that is not a deactivation changes nothing.
    assert await world.event({"type": "user_change", "user": {"id": PAT_U, "team_id": HOME_TEAM, "deleted": False,
                                                              "profile": {"email": PAT}}}) == 200
    await world.settle()
    async with app.db.read() as s:
        assert (await s.execute(select(Leaver))).first() is None
    event = {"type": "user_change", "user": {"id": PAT_U, "team_id": HOME_TEAM, "deleted": True,
                                             "profile": {"email": PAT}}}
    assert await world.event(event) == 200
    await world.settle()
    async with app.db.read() as s:
        [left] = (await s.execute(select(Leaver))).scalars().all()
        assert (left.person_id, left.source, left.left_at) == (ids["pat"], "slack", clock.now)
        reminder = (await s.execute(select(Outbox).where(Outbox.dedupe_key == "reminder:test:pat"))).scalar_one()
        assert reminder.status != "pending"
        [entry] = [e async for e in audit.entries(s) if e.action == "person.left"]
        assert entry.data["source"] == "slack" and entry.platform == "slack"
    handover = world.last("CLEADERSHIP", with_button=f"UC-{ids['a']} business owner")
    text = flat(handover.all_text)
    assert "Pat Product (pat.product@example.com) was deactivated in Slack" in text
    for kind in KINDS:
        assert kind in text, (kind, text)
    labels = [b["text"]["text"] for b in handover.buttons()]
    assert labels == [f"UC-{ids['a']} business owner", f"UC-{ids['b']} delivery owner", f"UC-{ids['b']} sponsor",
                      f"Condition #{ids['condition']}", f"KPI #{ids['kpi']}", f"Risk #{ids['risk']}"]

    # The same event again (a retry, or Slack sending it twice) records nothing more.
    assert await world.event(event) == 200
    await world.settle()
    async with app.db.read() as s:
        assert len([e async for e in audit.entries(s) if e.action == "person.left"]) == 1

    # One click: the form asks whom; the new owner is told.
    await world.click(LENA_U, f"UC-{ids['a']} business owner", handover)
    status, answer = await world.submit(LENA_U, world.last_view(), {"to": CAROL_U})
    assert status == 200 and answer.get("response_action") != "errors", answer
    await world.settle()
    assert f"made you the business owner of UC-{ids['a']}" in flat(world.seen_in(dm_channel(CAROL_U)))

    # Typed, from Lena's DM.
    await world.dm(LENA_U, f"reassign condition {ids['condition']} to {CAROL}")
    await world.dm(LENA_U, f"reassign UC-{ids['b']} sponsor to <@{CAROL_U}>")
    await world.settle()
    assert "is now the condition owner" in flat(world.seen_in(dm_channel(LENA_U)))
    carol = (await holders(app, ids))
    async with app.db.read() as s:
        carol_id = (await people.by_email(s, CAROL)).id
    assert carol == {"a_business": carol_id, "b_delivery": ids["pat"], "b_sponsor": carol_id,
                     "condition": carol_id, "kpi": ids["pat"]}

    # Someone outside leadership may not reassign.
    await world.dm(CAROL_U, f"reassign KPI {ids['kpi']} to {CAROL}")
    await world.settle()
    assert "is for members of" in flat(world.seen_in(dm_channel(CAROL_U)))
    assert (await holders(app, ids))["kpi"] == ids["pat"]
    await check_unchanged(app, before)


# -- Teams ---------------------------------------------------------------------------------------------------
async def test_a_teams_roster_miss_records_the_leaver_and_lists_the_handover(db_url, policy, clock):
    t = await TeamsAiom.start(db_url, policy=policy, clock=clock)
    try:
        pat = user("Pat Product", PAT)
        chat = t.chat(pat)
        await chat.say("hello")
        ids = await pat_holds_everything(t.app, clock.now)
        before = await recorded(t.app)
        # Still in the roster an hour later: nothing happens.
        clock.advance(hours=2)
        await chat.say("hello")
        async with t.app.db.read() as s:
            assert (await s.execute(select(Leaver))).first() is None
        # Removed from the tenant: the next look-up misses.
        t.fake.roster.pop(pat.user_id)
        t.fake.roster.pop(pat.aad)
        clock.advance(hours=2)
        await chat.say("hello")
        await t.drain()
        async with t.app.db.read() as s:
            [left] = (await s.execute(select(Leaver))).scalars().all()
            assert (left.person_id, left.source) == (ids["pat"], "teams")
        cards = [card for _, card in t.cards_in("19:leadership@thread.tacv2")]
        assert cards, "no handover message in the leadership channel"
        text = flat(unescape(card_text(cards[-1])))
        assert "Pat Product (pat.product@example.com) is no longer in the Teams organisation" in text
        for kind in KINDS:
            assert kind in text, kind
        assert f"UC-{ids['a']} business owner" in [a.get("title") for a in card_actions(cards[-1])]  # one click
        await check_unchanged(t.app, before)
    finally:
        await t.stop()


# -- typed, through the neutral engine -----------------------------------------------------------------------
async def test_a_leader_marks_a_leaver_and_their_reminders_stop(harness: Harness, clock):
    ids = await pat_holds_everything(harness.app, clock.now)
    seen = await harness.person("zoe@example.com").say(f"leaver {PAT}")
    assert "is for members of" in flat(seen.text)
    seen = await harness.person(LENA).say("leaver")
    assert "Whom?" in flat(seen.text)
    seen = await harness.person(LENA).say("leaver pat.prodcut@example.com")
    assert "I do not know anyone called “pat.prodcut@example.com”" in flat(seen.text)
    seen = await harness.person(LENA).say(f"leaver {PAT}")
    assert "Recorded: Pat.Product has left" in flat(seen.text)
    handover = [t for t in harness.out.posts_in("#leadership") if "has left" in t]
    assert handover and all(k in flat(handover[-1]) for k in KINDS)
    seen = await harness.person(LENA).say(f"leaver {PAT}")
    assert "already recorded as having left" in flat(seen.text)
    async with harness.app.db.read() as s:
        assert (await absences.leaver_of(s, ids["pat"])).source == "admin"

    seen = await harness.person(LENA).say("reassign the lot to carol")
    assert "Type for example" in flat(seen.text)
    seen = await harness.person(LENA).say(f"reassign risk {ids['risk']} to {PAT}")
    assert "has left the organisation" in flat(seen.text)
    seen = await harness.person(LENA).say(f"reassign KPI {ids['kpi']} to {CAROL}")
    assert f"Carol.New is now the KPI owner of KPI #{ids['kpi']}" in flat(seen.text)
    assert (await holders(harness.app, ids))["kpi"] != ids["pat"]


async def test_no_reminder_goes_to_a_leaver(harness: Harness, clock):
    from datetime import datetime, timezone

    from notifications import sweeps

    ids = await pat_holds_everything(harness.app, clock.now)
    async with harness.app.db.write() as s:
        carol = await people.by_email(s, CAROL)
        s.add(Condition(use_case_id=ids["b"], text="Name the pilot users", owner_id=carol.id,
                        due_date=date(2026, 12, 20), status="open", created_by_id=carol.id, created_at=clock.now))
    await harness.person(LENA).say(f"leaver {PAT}")
    clock.set(datetime(2026, 12, 22, 10, tzinfo=timezone.utc))
    await sweeps.run_all(harness.app.notifications, clock.now)
    await harness.app.dispatcher.drain()
    assert any("still open: Name the pilot users" in flat(t) for t in harness.out.dms_to(CAROL))
    assert not any("still open" in flat(t) or "Time for a KPI update" in flat(t) for t in harness.out.dms_to(PAT))


async def test_a_teams_member_removed_from_the_personal_chat_is_a_leaver_and_a_one_member_group_is_reported(
        db_url, policy, clock):
    from tests.support.reviewing import make_ready
    from tests.support.teams_activities import _base, personal

    t = await TeamsAiom.start(db_url, policy=policy, clock=clock)
    try:
        priya = user("Priya Privacy", "priya.privacy@example.com")
        await t.chat(priya).say("hello")
        anna = t.chat(user("Anna Owner", "anna.owner@example.com"))
        async with t.app.db.write() as s:
            uc = await factories.use_case(s, now=clock.now, tier="high")
            await make_ready(s, t.app.policy, uc, clock.now)
        await anna.say(f"move UC-{uc.id}")
        turn = await t.post(_base("conversationUpdate", priya, personal(priya), t.service_url,
                                  membersRemoved=[priya.account()]))
        assert turn.status in (200, 201), turn.body
        await t.drain()
        async with t.app.db.read() as s:
            [left] = (await s.execute(select(Leaver))).scalars().all()
            assert left.source == "teams"
            [stuck] = [e async for e in audit.entries(s, use_case_id=uc.id)
                       if e.action == "review.undecidable" and e.data["group"] == "privacy"]
            assert stuck.data["group"] == "privacy"
        told = [c for _, c in t.cards_in(anna.base) if "Privacy cannot decide" in unescape(card_text(c))]
        assert told, "the owner was not told that Privacy cannot decide"
    finally:
        await t.stop()
