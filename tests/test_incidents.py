"""Incidents from report to closure: the right people told at once, the card updated everywhere, rollback
only by the people the policy names (by verified email), closure needing cause and corrective action."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from vocabulary.interaction import Actor, OpenForm
from vocabulary.messages import Message
from storage import audit
from storage.repo import use_cases
from storage.tables import AuditEntry, Incident, UseCase
from tests.support import factories
from tests.support.harness import Harness, as_text

ANNA, BOB, ZOE = "anna.owner@example.com", "bob.delivery@example.com", "zoe@example.com"
SAM, LENA, PAT = "sam.security@example.com", "lena.lead@example.com", "pat.product@example.com"


def flat(text: str) -> str:
    return " ".join(text.split())


async def live_use_case(h: Harness, stage: str = "controlled_rollout") -> int:
    async with h.app.db.write() as s:
        return (await factories.use_case(s, stage=stage, now=h.app.clock())).id


async def report(h: Harness, uc_id: int, severity: str = "Critical", who: str = ZOE):
    person = h.person(who)
    seen = await person.say(f"incident UC-{uc_id}")
    assert "What happened?" in seen.text, seen.text
    await person.say("Since 10:00 the assistant marks every motor claim as low urgency.")
    seen = await person.say(severity)
    assert "Who is affected" in seen.text
    await person.say("About 40 claims handlers and the customers whose claims wait")
    return await person.click("Report the incident")


def last_card(h: Harness, channel: str) -> Message:
    return [m for c, m, _ in h.out.posts if c == channel and "Incident #" in m.fallback][-1]


def button(message: Message, label: str):
    return next(b for b in message.buttons if b.label == label)


async def incident(h: Harness, incident_id: int = 1) -> Incident:
    async with h.app.db.read() as s:
        return await s.get(Incident, incident_id)


async def form_of(person, card: Message, label: str):
    seen = await person.press(button(card, label))
    op = seen.op(OpenForm)
    assert op is not None, seen.text
    return op.form


async def test_an_incident_from_report_to_closure(harness: Harness):
    uc_id = await live_use_case(harness)
    seen = await report(harness, uc_id)
    assert "Incident #1 is recorded" in seen.text and "Incident #1 on UC-1" in seen.text

    # told at once: the severity's review groups in their channels and the delivery owner directly
    for channel in ("#security", "#risk", "#leadership"):
        assert "Since 10:00 the assistant marks every motor claim" in harness.out.posts_in(channel)[-1]
    assert "#product" not in {c for c, _, _ in harness.out.posts}
    assert any("Incident #1 on UC-1" in t for t in harness.out.dms_to(BOB))

    # someone outside the incident cannot act on it
    card = last_card(harness, "#security")
    seen = await harness.person(PAT).press(button(card, "Acknowledge"))
    assert "handled by the owners of UC-1" in seen.text
    assert (await incident(harness)).status == "open"

    sam = harness.person(SAM)
    seen = await sam.press(button(card, "Acknowledge"))
    assert "You acknowledged incident #1" in seen.text
    assert "Acknowledged by Sam.Security" in flat(seen.text)
    updated = {c for c, _, m in harness.out.updates if "Acknowledged by Sam.Security" in flat(as_text(m))}
    assert {"#security", "#risk", "#leadership", f"dm:{BOB}"} <= updated  # the card changed everywhere
    seen = await harness.person(LENA).press(button(card, "Acknowledge"))
    assert "already acknowledged by Sam.Security" in seen.text

    form = await form_of(sam, card, "Assign responder")
    seen = await sam.submit(form.form_id, form.payload, {"responder": "nobody"})
    assert "[form errors] responder" in seen.text
    seen = await sam.submit(form.form_id, form.payload, {"responder": BOB})
    assert "Bob.Delivery now leads the response to incident #1" in seen.text
    assert any("asked you to lead the response to incident #1" in t for t in harness.out.dms_to(BOB))

    bob = harness.person(BOB)
    form = await form_of(bob, card, "Record response")
    seen = await bob.submit(form.form_id, form.payload, {"response": "Switched triage to manual; model rolled "
                                                                    "back to last week's version in test."})
    assert "Recorded on incident #1" in seen.text

    # rollback: refused for the delivery owner (not in the policy's rollback groups) and for an unverified email
    seen = await bob.press(button(card, "Roll back"))
    assert "rolling back is reserved for members of Executive sponsors / leadership or Security" in flat(seen.text)
    impostor = harness.person(LENA)
    impostor.actor = Actor(platform="console", external_id="not-lena", email=LENA, email_verified=False,
                           name="Lena?")
    seen = await impostor.press(button(card, "Roll back"))
    assert "reserved for members" in seen.text
    guest = harness.person(LENA)
    guest.actor = replace(guest.actor, guest=True)
    seen = await guest.submit("incident.rollback", {"i": 1}, {"action": "pause", "reason": "Stop it now"})
    assert "reserved for members" in seen.text
    inc = await incident(harness)
    assert inc.rollback_action is None

    lena = harness.person(LENA)
    form = await form_of(lena, card, "Roll back")
    assert [k for k, _ in form.fields[0].options] == ["pause", "limit", "reverse"]
    seen = await lena.submit(form.form_id, form.payload, {"action": "pause", "reason": "x"})
    assert "[form errors] reason" in seen.text
    seen = await lena.submit(form.form_id, form.payload,
                             {"action": "pause", "reason": "Wrong urgencies put customers at risk"})
    assert "UC-1 (Claims triage assistant) is paused for everyone" in flat(seen.text)
    async with harness.app.db.read() as s:
        uc = await s.get(UseCase, uc_id)
        assert uc.status == "paused" and "incident #1" in uc.status_reason
        history = await use_cases.stage_history(s, uc_id)
        assert (history[-1].kind, history[-1].by_person_id is not None) == ("pause", True)
    for email in (ANNA, BOB, ZOE):  # told once each, by the use case's own pause notice
        told = [t for t in harness.out.dms_to(email) if "paused" in t]
        assert len(told) == 1 and "was paused by Lena.Lead. Reason: After incident #1: Wrong urgencies" in \
            flat(told[0]), email

    # closing needs a cause and a corrective action
    form = await form_of(sam, card, "Close")
    seen = await sam.submit(form.form_id, form.payload, {"cause": "", "corrective_action": "More tests"})
    assert "Closing needs the cause" in seen.text
    seen = await sam.submit(form.form_id, form.payload,
                            {"cause": "A feature pipeline sent empty claim descriptions after a schema change",
                             "corrective_action": "Schema contract test on the pipeline; alert on empty inputs"})
    assert "Incident #1 is closed" in seen.text
    inc = await incident(harness)
    assert inc.status == "closed" and inc.closed_at is not None and inc.cause.startswith("A feature pipeline")
    seen = await sam.press(button(card, "Record response"))
    assert "already closed by Sam.Security" in seen.text
    closed_card = [m for c, _, m in harness.out.updates if c == "#security"][-1]
    assert not closed_card.buttons and "Corrective action" in flat(as_text(closed_card))

    async with harness.app.db.read() as s:
        actions = [a for a in (await s.execute(select(AuditEntry.action).order_by(AuditEntry.seq))).scalars()
                   if a.startswith(("incident.", "use_case.status_changed"))]
        assert actions == ["incident.reported", "incident.acknowledged", "incident.responder_assigned",
                           "incident.response_recorded", "incident.rolled_back", "use_case.status_changed",
                           "incident.closed"]
        assert (await audit.verify(s))[1] == []


async def test_incidents_only_on_live_use_cases(harness: Harness):
    uc_id = await live_use_case(harness, stage="pilot")
    seen = await harness.person(ZOE).say(f"incident UC-{uc_id}")
    assert "not live yet" in seen.text
    seen = await harness.person(ZOE).say("incident UC-99")
    assert "could not find UC-99" in seen.text


async def test_open_incidents_listed_for_the_status_view(harness: Harness):
    from conversations.incidents.cards import open_incident_lines

    uc_id = await live_use_case(harness, stage="ongoing_operation")
    await report(harness, uc_id, severity="Minor")
    async with harness.app.db.read() as s:
        lines = await open_incident_lines(s, uc_id, harness.app.policy)
    assert [(ln.incident_id, ln.severity, ln.acknowledged) for ln in lines] == [(1, "sev3", False)]
    assert "Minor (sev3)" in lines[0].text
    assert harness.out.posts_in("#product") and not harness.out.posts_in("#security")
    seen = await harness.person(ANNA).say(f"incidents UC-{uc_id}")
    assert "Incident #1" in seen.text and "Minor (sev3)" in flat(seen.text)


async def escalation_sweep(h: Harness) -> int:
    from notifications import incident_escalation

    n = await incident_escalation.sweep(h.app.notifications, h.app.clock())
    await h.app.dispatcher.drain()
    return n


async def test_unacknowledged_critical_incident_escalates_once_after_the_allowed_time(harness: Harness, clock):
    uc_id = await live_use_case(harness)
    await report(harness, uc_id, severity="Critical")  # sev1: acknowledge within 60 minutes
    clock.advance(minutes=59)
    assert await escalation_sweep(harness) == 0
    assert (await incident(harness)).escalated_at is None
    clock.advance(minutes=1)
    assert await escalation_sweep(harness) == 1
    inc = await incident(harness)
    assert inc.escalated_at == clock.now
    posts = [(c, t) for c, m, t in harness.out.posts if m.fallback.startswith("Escalated")]
    assert [c for c, _ in posts] == ["#leadership"]
    assert posts[0][1]  # threaded under the incident card there
    assert any("nobody has acknowledged it in the 60 minutes" in flat(t) for t in harness.out.dms_to(BOB))
    assert any("Escalated" in as_text(m) for c, _, m in harness.out.updates if c == "#security")
    clock.advance(hours=5)
    assert await escalation_sweep(harness) == 0  # once
    async with harness.app.db.read() as s:
        n = (await s.execute(select(AuditEntry).where(AuditEntry.action == "incident.escalated"))).scalars().all()
        assert len(n) == 1


async def test_acknowledged_or_minor_incidents_do_not_escalate(harness: Harness, clock):
    uc_id = await live_use_case(harness)
    await report(harness, uc_id, severity="Major")  # sev2: 240 minutes
    await report(harness, uc_id, severity="Minor")  # sev3: no acknowledgement time
    card = last_card(harness, "#security")
    await harness.person(SAM).press(button(card, "Acknowledge"))
    clock.advance(days=2)
    assert await escalation_sweep(harness) == 0
    assert not [m for _, m, _ in harness.out.posts if m.fallback.startswith("Escalated")]


async def rollback_as(h: Harness, email: str, action: str, reason: str, incident_id: int = 1):
    return await h.person(email).submit("incident.rollback", {"i": incident_id}, {"action": action, "reason": reason})


async def use_case(h: Harness, uc_id: int) -> UseCase:
    async with h.app.db.read() as s:
        return await s.get(UseCase, uc_id)


async def test_limit_restricts_the_scope_until_lifted_and_only_rollback_groups_may_do_it(harness: Harness):
    uc_id = await live_use_case(harness)
    await report(harness, uc_id, severity="Major")
    seen = await rollback_as(harness, BOB, "limit", "Only the Leeds claims team uses it until the fix ships")
    assert "rolling back is reserved for members" in flat(seen.text)
    assert (await use_case(harness, uc_id)).scope_limit == ""

    seen = await rollback_as(harness, SAM, "limit", "Only the Leeds claims team uses it until the fix ships")
    assert "now runs in a limited scope: Only the Leeds claims team uses it until the fix ships" in flat(seen.text)
    uc = await use_case(harness, uc_id)
    assert (uc.status, uc.stage) == ("active", "controlled_rollout")
    assert uc.scope_limit == "Limited after incident #1 on 23 Nov 2026: Only the Leeds claims team uses it until " \
                             "the fix ships"
    assert any("limited scope" in flat(t) for t in harness.out.dms_to(ANNA))
    seen = await rollback_as(harness, LENA, "limit", "Only Leeds, again")
    assert "already taken by Sam.Security" in seen.text

    status = await harness.person(ANNA).say(f"status UC-{uc_id}")
    assert "Scope Limited after incident #1 on 23 Nov 2026: Only the Leeds claims team" in flat(status.text)
    assert "Lift the limit" not in [b.label for b in status.buttons]
    lift = next(b for b in (await harness.person(SAM).say(f"status UC-{uc_id}")).buttons if b.label == "Lift the limit")
    seen = await harness.person(ANNA).press(lift)
    assert "lifting a limit is reserved for members" in flat(seen.text)
    assert (await use_case(harness, uc_id)).scope_limit != ""
    seen = await harness.person(SAM).press(lift)
    assert f"Lifted: UC-{uc_id} runs in its full scope again" in seen.text
    assert (await use_case(harness, uc_id)).scope_limit == ""
    assert "Scope" not in flat((await harness.person(ANNA).say(f"status UC-{uc_id}")).text)
    assert "nothing to lift" in (await harness.person(SAM).press(lift)).text
    async with harness.app.db.read() as s:
        actions = [a for a in (await s.execute(select(AuditEntry.action).order_by(AuditEntry.seq))).scalars()
                   if a.startswith(("incident.rolled_back", "use_case."))]
        assert actions == ["incident.rolled_back", "use_case.limited", "use_case.limit_lifted"]
        assert (await audit.verify(s))[1] == []


async def test_reverse_takes_the_use_case_back_a_stage_and_only_rollback_groups_may_do_it(harness: Harness):
    from storage.tables import GateRequest, ReviewRequest

    uc_id = await live_use_case(harness)
    now = harness.app.clock()
    async with harness.app.db.write() as s:
        gate = GateRequest(use_case_id=uc_id, from_stage="controlled_rollout", to_stage="scale_decision",
                           requested_at=now)
        s.add(gate)
        await s.flush()
        rr = ReviewRequest(gate_request_id=gate.id, use_case_id=uc_id, group_key="leadership", due_at=now,
                           created_at=now)
        s.add(rr)
        await s.flush()
        rr_id = rr.id
    await report(harness, uc_id, severity="Critical")
    seen = await rollback_as(harness, PAT, "reverse", "Back to the pilot until the model is retrained")
    assert "rolling back is reserved for members" in flat(seen.text)
    assert (await use_case(harness, uc_id)).stage == "controlled_rollout"

    seen = await rollback_as(harness, LENA, "reverse", "Back to the pilot until the model is retrained")
    assert f"UC-{uc_id} (Claims triage assistant) was taken back from Controlled rollout to Pilot" in flat(seen.text)
    uc = await use_case(harness, uc_id)
    assert (uc.stage, uc.status, uc.stage_entered_at) == ("pilot", "active", now)
    assert uc.pilot_exit_date is not None  # a new pilot gets a new exit date
    async with harness.app.db.read() as s:
        assert (await s.get(ReviewRequest, rr_id)).status == "cancelled"  # the pending gate is backed out too
        history = await use_cases.stage_history(s, uc_id)
        assert (history[-1].kind, history[-1].from_stage, history[-1].to_stage) == \
            ("redirect", "controlled_rollout", "pilot")
        assert "After incident #1: Back to the pilot" in history[-1].reason
    told = [t for t in harness.out.dms_to(ANNA) if "back from Controlled rollout to Pilot" in flat(t)]
    assert len(told) == 1 and "Reason: After incident #1: Back to the pilot" in flat(told[0])
    seen = await rollback_as(harness, LENA, "reverse", "Once more")
    assert "already taken by Lena.Lead" in seen.text
    assert (await use_case(harness, uc_id)).stage == "pilot"


async def test_an_escalation_skips_a_delivery_owner_who_has_left_and_reaches_the_business_owner(
        harness: Harness, clock):
    uc_id = await live_use_case(harness)
    await report(harness, uc_id, severity="Critical")
    seen = await harness.person(LENA).say(f"leaver {BOB}")  # leadership records that Bob has left
    assert "has left" in flat(seen.text), seen.text
    harness.out.dms.clear()
    clock.advance(minutes=60)
    assert await escalation_sweep(harness) == 1
    assert not any("nobody has acknowledged it" in flat(t) for t in harness.out.dms_to(BOB))
    assert any("nobody has acknowledged it in the 60 minutes" in flat(t) for t in harness.out.dms_to(ANNA))
