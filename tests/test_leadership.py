"""Leadership: pause (review clocks stop), resume (due dates move), redirect to an earlier stage, stop."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

from vocabulary.interaction import OpenForm
from storage.repo import use_cases
from tests.support import factories
from tests.support.harness import Harness
from tests.support.reviewing import button, card, delivered, flat, make_ready, review_for, reviewer

OWNER, LEAD = "anna.owner@example.com", "lena.lead@example.com"


async def gate_open(h: Harness, **kw):
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock(), **kw)
        await make_ready(s, h.app.policy, uc, h.app.clock())
    seen = await h.person(OWNER).say(f"move UC-{uc.id}")
    assert "review requested" in seen.text, seen.text
    return uc


async def fresh(h: Harness, uc_id: int):
    async with h.app.db.read() as s:
        return await use_cases.get(s, uc_id), await use_cases.stage_history(s, uc_id)


async def test_pause_stops_the_clock_and_resume_moves_due_dates(harness: Harness, clock):
    uc = await gate_open(harness, tier="medium")
    before = await review_for(harness, uc.id, "risk")
    lena = harness.person(LEAD)
    seen = await lena.say(f"pause UC-{uc.id} Waiting for the budget decision")
    assert f"Paused UC-{uc.id}" in seen.text
    now, hist = await fresh(harness, uc.id)
    assert (now.status, now.status_reason) == ("paused", "Waiting for the budget decision")
    assert (hist[-1].kind, hist[-1].reason) == ("pause", "Waiting for the budget decision")
    paused = await review_for(harness, uc.id, "risk")
    assert paused.paused_at == clock.now and paused.next_reminder_at is None
    assert any("was paused" in t for t in harness.out.dms_to(OWNER))
    assert "clock is paused" in delivered(harness, "#risk", f"UC-{uc.id}")
    seen = await harness.person(OWNER).say(f"move UC-{uc.id}")
    assert "is paused" in seen.text

    clock.advance(days=3)
    seen = await lena.say(f"resume UC-{uc.id}")
    assert f"Resumed UC-{uc.id}" in seen.text
    after = await review_for(harness, uc.id, "risk")
    assert after.paused_at is None and after.due_at == before.due_at + timedelta(days=3)
    assert after.next_reminder_at == after.due_at
    assert (await fresh(harness, uc.id))[0].status == "active"


async def test_only_leadership_may_and_not_as_guests(harness: Harness):
    uc = await gate_open(harness, tier="low")
    for email in (OWNER, "pat.product@example.com"):
        seen = await harness.person(email).say(f"pause UC-{uc.id} because I say so")
        assert "Only members of Executive sponsors / leadership" in seen.text
    guest = harness.person(LEAD)
    guest.actor = dataclasses.replace(guest.actor, guest=True, tenant="T-OTHER")
    seen = await guest.say(f"stop UC-{uc.id} not needed")
    assert "another workspace" in seen.text
    assert (await fresh(harness, uc.id))[0].status == "active"


async def test_redirect_sends_it_back_and_cancels_the_review(harness: Harness, clock):
    uc = await gate_open(harness, tier="low", stage="controlled_rollout")
    rr = await review_for(harness, uc.id, "product")
    lena = harness.person(LEAD)
    seen = await lena.say(f"redirect UC-{uc.id} scale decision not yet")
    assert "earlier stage" in seen.text
    seen = await lena.say(f"redirect UC-{uc.id} pilot")
    assert isinstance(seen.op(OpenForm), OpenForm)  # no reason given: asked for one
    seen = await lena.say(f"redirect UC-{uc.id} pilot Workflow fit is not proven in the second region")
    assert "Redirected" in seen.text
    now, hist = await fresh(harness, uc.id)
    assert (now.stage, now.status) == ("pilot", "active")
    assert now.pilot_exit_date == (clock.now + timedelta(days=45)).date()
    assert (hist[-1].kind, hist[-1].from_stage, hist[-1].to_stage) == ("redirect", "controlled_rollout", "pilot")
    assert (await review_for(harness, uc.id, "product")).status == "cancelled"
    assert "Cancelled on" in delivered(harness, "#product", f"UC-{uc.id}")
    assert any("back from Controlled rollout to Pilot" in flat(t) for t in harness.out.dms_to(OWNER))
    seen = await reviewer(harness, "pat.product@example.com", "product").press(button(await card(harness, rr.id),
                                                                                      "Details"))
    assert "cancelled" in seen.text.lower()


async def test_scale_decision_card_offers_pause_and_redirect(harness: Harness):
    uc = await gate_open(harness, tier="low", stage="scale_decision")
    rr = await review_for(harness, uc.id, "leadership")
    leo = reviewer(harness, "leo.lead@example.com", "leadership")
    c = await card(harness, rr.id)
    seen = await leo.press(button(c, "Redirect"))
    form = seen.op(OpenForm).form
    assert [k for k, _ in form.fields[0].options] == ["exploration", "pilot", "controlled_rollout"]
    seen = await leo.submit(form.form_id, form.payload, {"stage": "controlled_rollout", "reason": ""})
    assert "[form errors]" in seen.text
    seen = await leo.press(button(c, "Pause"))
    form = seen.op(OpenForm).form
    seen = await leo.submit(form.form_id, form.payload, {"reason": "Board review next month"})
    assert "Paused" in seen.text
    assert "] Resume" in delivered(harness, "#leadership", f"UC-{uc.id}")
    seen = await leo.press(button(await card(harness, rr.id), "Resume"))
    assert "Resumed" in seen.text
    await leo.press(button(await card(harness, rr.id), "Approve"))
    assert (await fresh(harness, uc.id))[0].stage == "ongoing_operation"


async def test_leadership_stop_asks_for_a_confirmation_then_tells_everyone(harness: Harness):
    uc = await gate_open(harness, tier="medium")
    lena = harness.person(LEAD)
    seen = await lena.say(f"stop UC-{uc.id} Duplicates the group platform")
    form = seen.op(OpenForm).form  # typed with a reason: still only a confirmation form, nothing stopped
    assert "Stopped" not in seen.text and (await fresh(harness, uc.id))[0].status == "active"
    assert {f.name: f.initial for f in form.fields}["reason"] == "Duplicates the group platform"
    assert "for good" in form.intro
    seen = await lena.submit(form.form_id, form.payload, {"reason": "Duplicates the group platform"})
    assert "[form errors] confirm: Please confirm that the use case should stop." in seen.text
    assert (await fresh(harness, uc.id))[0].status == "active"
    seen = await lena.submit(form.form_id, form.payload, {"reason": "Duplicates the group platform",
                                                          "confirm": "stop"})
    assert "Stopped" in seen.text
    now, hist = await fresh(harness, uc.id)
    assert (now.status, hist[-1].kind) == ("stopped", "stop")
    for email in (OWNER, "bob.delivery@example.com", "zoe@example.com"):
        assert any("Duplicates the group platform" in flat(t) for t in harness.out.dms_to(email))
    seen = await lena.say(f"resume UC-{uc.id}")
    assert "not paused" in seen.text
    seen = await lena.say(f"stop UC-{uc.id} once more")
    assert "already stopped" in seen.text and seen.op(OpenForm) is None


async def test_a_leader_who_sponsors_or_owns_a_use_case_may_not_pause_redirect_or_stop_it(harness: Harness):
    async with harness.app.db.write() as s:
        lena = await factories.person(s, LEAD, "Lena Lead")
    uc = await gate_open(harness, tier="low", stage="controlled_rollout", sponsor_id=lena.id)
    for typed in (f"pause UC-{uc.id} Budget review", f"redirect UC-{uc.id} pilot Not proven yet",
                  f"stop UC-{uc.id} Not needed any more"):
        seen = await harness.person(LEAD).say(typed)
        assert "You are the executive sponsor of UC-" in flat(seen.text), typed
        assert seen.op(OpenForm) is None
    seen = await harness.person(LEAD).submit("leadership.stop", {"uc": uc.id},
                                             {"reason": "Not needed any more", "confirm": "stop"})
    assert "You are the executive sponsor" in flat(seen.text)
    now, _ = await fresh(harness, uc.id)
    assert (now.stage, now.status) == ("controlled_rollout", "active")
    # Another leader may.
    seen = await harness.person("leo.lead@example.com").say(f"pause UC-{uc.id} Budget review next month")
    assert f"Paused UC-{uc.id}" in seen.text


async def test_a_leader_who_delivers_a_use_case_may_not_pause_it(harness: Harness):
    uc = await gate_open(harness, tier="low", delivery_owner=LEAD)
    seen = await harness.person(LEAD).say(f"pause UC-{uc.id} Waiting for the budget")
    assert "You are the delivery owner" in flat(seen.text)
    assert (await fresh(harness, uc.id))[0].status == "active"
