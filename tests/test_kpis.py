"""KPIs from chat: owners define them, the cadence sweep asks for values, one reply records, drift is flagged."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from vocabulary.interaction import OpenForm
from vocabulary.messages import Facts
from notifications import kpi_prompts
from storage import audit
from storage.tables import AuditEntry, Kpi, KpiValue, UseCase
from tests.support import factories
from tests.support.harness import Harness

ANNA, BOB = "anna.owner@example.com", "bob.delivery@example.com"


def flat(text: str) -> str:
    return " ".join(text.split())


def facts(seen) -> dict[str, str]:
    """Label -> value of every fact the person was shown (what the platforms render as fields)."""
    out: dict[str, str] = {}
    for op in seen.outcome.ops:
        for block in getattr(getattr(op, "message", None), "blocks", []):
            if isinstance(block, Facts):
                out.update(block.items)
    return out


async def live_use_case(h: Harness, stage: str = "controlled_rollout") -> int:
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, stage=stage, now=h.app.clock())
        return uc.id


async def define_cycle_time(h: Harness, uc_id: int, cadence: str = "weekly") -> int:
    anna = h.person(ANNA)
    seen = await anna.say(f"kpi UC-{uc_id} add")
    assert "Which layer does it measure?" in seen.text
    for answer in ("Business outcome", "Claims cycle time", "min", "Lower is better", "30", "20"):
        seen = await anna.say(answer)
        assert "Please" not in seen.text.split("\n")[0], seen.text
    assert "Who reports its value?" in seen.text
    seen = await anna.click("The delivery owner")
    assert "How often should I ask" in seen.text and "Monthly (usual for this layer)" in seen.text
    seen = await anna.say(cadence)
    assert "please check" in seen.text and "Claims cycle time" in seen.text and "Reported by Bob.Delivery" in seen.text
    seen = await anna.click("Save the KPI")
    assert "Saved: “Claims cycle time”" in seen.text
    async with h.app.db.read() as s:
        return (await s.execute(select(Kpi.id))).scalar_one()


async def kpi(h: Harness, kpi_id: int) -> Kpi:
    async with h.app.db.read() as s:
        return await s.get(Kpi, kpi_id)


async def sweep(h: Harness) -> int:
    n = await kpi_prompts.sweep(h.app.notifications, h.app.clock())
    await h.app.dispatcher.drain()
    return n


async def test_owner_defines_a_kpi_and_its_owner_is_told(harness: Harness):
    uc_id = await live_use_case(harness)
    kpi_id = await define_cycle_time(harness, uc_id)
    k = await kpi(harness, kpi_id)
    assert (k.layer, k.unit, k.direction, k.baseline, k.target, k.cadence) == \
        ("business_outcome", "min", "lower", 30.0, 20.0, "weekly")
    async with harness.app.db.read() as s:
        bob = await factories.person(s, BOB)
        assert k.owner_id == bob.id
        actions = (await s.execute(select(AuditEntry.action))).scalars().all()
        assert "kpi.defined" in actions
    assert any("owner of the KPI “Claims cycle time”" in t for t in harness.out.dms_to(BOB))
    seen = await harness.person("zoe@example.com").say(f"kpis UC-{uc_id}")
    assert facts(seen)["Claims cycle time (business outcome)"].startswith("none yet → target 20 min")
    assert "Add KPI" not in seen.text  # only owners may add


async def test_only_owners_define_kpis(harness: Harness):
    uc_id = await live_use_case(harness)
    seen = await harness.person("zoe@example.com").say(f"kpi UC-{uc_id} add")
    assert "Only the business owner or the delivery owner" in seen.text


async def test_cadence_prompt_one_reply_records_and_drift_is_flagged_once(harness: Harness, clock):
    uc_id = await live_use_case(harness)
    kpi_id = await define_cycle_time(harness, uc_id)
    bob = harness.person(BOB)

    clock.advance(days=6, hours=23)
    assert await sweep(harness) == 0  # not due yet
    clock.advance(hours=1)
    assert await sweep(harness) == 1
    prompt = harness.out.dms_to(BOB)[-1]
    assert "Time for a KPI update" in prompt and "last none yet · target 20 min · baseline 30 min" in prompt
    assert "reply with the current value of “Claims cycle time”" in prompt
    assert await sweep(harness) == 0  # asked once per period

    seen = await bob.say("25")
    assert "Recorded 25 min for “Claims cycle time”" in seen.text
    k = await kpi(harness, kpi_id)
    assert k.last_value == 25 and k.next_due_at == clock.now + __import__("datetime").timedelta(days=7)
    assert k.flagged_at is None

    # the next two values move the wrong way: flagged on the second, and the owners told once
    for value, flagged in (("27", False), ("28 min", True), ("29", True)):
        clock.advance(days=7)
        assert await sweep(harness) == 1
        seen = await bob.say(value)
        assert "Recorded" in seen.text
        assert ((await kpi(harness, kpi_id)).flagged_at is not None) is flagged
    for email in (ANNA, BOB):
        flags = [t for t in harness.out.dms_to(email) if "KPI flagged" in t]
        assert len(flags) == 1 and "moving away from its target: latest 28 min" in flags[0]
    async with harness.app.db.read() as s:
        assert (await s.execute(select(func.count()).select_from(KpiValue))).scalar_one() == 4
        n_flag = (await s.execute(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "kpi.flagged"))).scalar_one()
        assert n_flag == 1

    # reaching the target clears the flag and sets the use case's time-to-value
    clock.advance(days=7)
    await sweep(harness)
    seen = await bob.say("19")
    assert "first KPI of UC-1 at its target: 35 days from idea to value" in seen.text
    assert (await kpi(harness, kpi_id)).flagged_at is None
    async with harness.app.db.read() as s:
        uc = await s.get(UseCase, uc_id)
        assert uc.value_reached_at == clock.now
        assert (await audit.verify(s))[1] == []


async def test_not_reported_for_two_cadences_is_flagged_once(harness: Harness, clock):
    uc_id = await live_use_case(harness)
    kpi_id = await define_cycle_time(harness, uc_id)
    clock.advance(days=7)
    await sweep(harness)
    clock.advance(days=6)
    await sweep(harness)
    assert (await kpi(harness, kpi_id)).flagged_at is None
    clock.advance(days=1)  # two whole weeks without a value
    await sweep(harness)
    k = await kpi(harness, kpi_id)
    assert k.flagged_at == clock.now and k.flag_reason == "not_reported"
    clock.advance(days=7)
    await sweep(harness)
    flags = [t for t in harness.out.dms_to(ANNA) if "KPI flagged" in t]
    assert len(flags) == 1 and "no value for 2 weekly cadences" in flags[0]
    # one prompt per period, never a burst for the missed ones
    prompts = [t for t in harness.out.dms_to(BOB) if "Time for a KPI update" in t]
    assert len(prompts) == 3


async def test_skip_and_the_form_when_the_owner_is_busy_elsewhere(harness: Harness, clock):
    uc_id = await live_use_case(harness)
    kpi_id = await define_cycle_time(harness, uc_id)
    bob = harness.person(BOB)
    await bob.say("propose")  # bob is in the middle of proposing an idea: the prompt must not interrupt it
    clock.advance(days=7)
    await sweep(harness)
    prompt = harness.out.dms[-1][1]
    assert "Click Record the value" in harness.out.dms_to(BOB)[-1]
    seen = await bob.say("Invoice matching assistant")
    assert "What problem does it solve" in seen.text  # intake continues untouched

    record = next(b for b in prompt.buttons if b.label == "Record the value")
    seen = await bob.press(record)
    form = seen.outcome.ops[0].form
    assert form.form_id == "kpi.value"
    seen = await bob.submit(form.form_id, form.payload, {"value": "soon"})
    assert "[form errors] value: I need a number" in seen.text
    seen = await bob.submit(form.form_id, form.payload, {"value": "24"})
    assert "Recorded 24 min" in seen.text

    clock.advance(days=7)
    await sweep(harness)
    skip = next(b for b in harness.out.dms[-1][1].buttons if b.label == "Skip this time")
    seen = await bob.press(skip)
    assert "Skipped “Claims cycle time” this time. I will ask again on 14 Dec 2026" in seen.text
    seen = await bob.press(skip)
    assert "Nothing is due" in seen.text
    seen = await harness.person("zoe@example.com").press(skip)
    assert "Only the owner of “Claims cycle time”" in seen.text
    assert await sweep(harness) == 0
    assert (await kpi(harness, kpi_id)).last_value == 24


async def test_a_typed_command_leaves_the_value_question(harness: Harness, clock):
    uc_id = await live_use_case(harness)
    await define_cycle_time(harness, uc_id)
    clock.advance(days=7)
    await sweep(harness)
    bob = harness.person(BOB)
    seen = await bob.say("about 20")
    assert "I need a number" in seen.text and "current value of “Claims cycle time”" in flat(seen.text)
    seen = await bob.say(f"kpis UC-{uc_id}")
    assert "KPIs of UC-1" in seen.text


async def change_form(person, uc_id: int):
    seen = await person.say(f"kpi UC-{uc_id} change")
    button = next(b for b in seen.buttons if b.label == "Change: Claims cycle time")
    seen = await person.press(button)
    op = seen.outcome.ops[0]
    assert isinstance(op, OpenForm), seen.text
    return op.form, button


async def audit_of(h: Harness, action: str) -> list[dict]:
    async with h.app.db.read() as s:
        return [e.data for e in (await s.execute(select(AuditEntry).where(AuditEntry.action == action)
                                                 .order_by(AuditEntry.seq))).scalars()]


async def test_owners_change_a_kpi_and_others_may_not(harness: Harness, clock):
    uc_id = await live_use_case(harness)
    kpi_id = await define_cycle_time(harness, uc_id)
    zoe, anna = harness.person("zoe@example.com"), harness.person(ANNA)
    assert "Only the business owner or the delivery owner" in (await zoe.say(f"kpi UC-{uc_id} change")).text

    form, button = await change_form(anna, uc_id)
    initial = {f.name: f.initial for f in form.fields}
    assert (initial["target"], initial["baseline"], initial["cadence"], initial["retire"]) == \
        (20.0, 30.0, "weekly", "keep")
    assert "Only the business owner or the delivery owner" in (await zoe.press(button)).text
    values = {"target": "18", "baseline": "30", "cadence": "monthly", "owner": "", "retire": "keep",
              "reason": "The team agreed a stretch goal"}
    seen = await zoe.submit(form.form_id, form.payload, values)
    assert "Only the business owner or the delivery owner" in seen.text
    assert (await kpi(harness, kpi_id)).target == 20

    seen = await anna.submit(form.form_id, form.payload, {**values, "target": "soon"})
    assert "[form errors] target: I need a number" in seen.text
    seen = await anna.submit(form.form_id, form.payload, values)
    assert ("Changed “Claims cycle time” of UC-1: target 18 min, baseline 30 min; asked for monthly, next on "
            "23 Dec 2026.") in flat(seen.text)
    k = await kpi(harness, kpi_id)
    assert (k.target, k.cadence, k.next_due_at, k.owner_id is not None) == \
        (18, "monthly", clock.now + timedelta(days=30), True)
    assert await audit_of(harness, "kpi.changed") == [
        {"kpi": "Claims cycle time", "changes": {"target": [20.0, 18.0], "cadence": ["weekly", "monthly"]},
         "reason": "The team agreed a stretch goal", "next_due_at": (clock.now + timedelta(days=30)).isoformat()}]

    # a form opened before that change is refused rather than undoing it
    seen = await anna.submit(form.form_id, form.payload, {**values, "target": "25"})
    assert "Someone changed this KPI since you opened the form" in seen.text
    assert (await kpi(harness, kpi_id)).target == 18

    form, _ = await change_form(anna, uc_id)
    seen = await anna.submit(form.form_id, form.payload, {"target": "18", "baseline": "30", "cadence": "monthly",
                                                          "owner": "carl@example.com", "retire": "keep"})
    assert "reported by carl@example.com" in seen.text  # a new person, known by email until they talk to aiom
    assert any("made you the owner of the KPI “Claims cycle time”" in t for t in harness.out.dms_to("carl@example.com"))
    assert (await audit_kinds(harness)).count("kpi.changed") == 2


async def audit_kinds(h: Harness) -> list[str]:
    async with h.app.db.read() as s:
        return list((await s.execute(select(AuditEntry.action).order_by(AuditEntry.seq))).scalars())


async def test_retiring_a_kpi_stops_its_prompts_and_needs_a_reason(harness: Harness, clock):
    uc_id = await live_use_case(harness)
    kpi_id = await define_cycle_time(harness, uc_id)
    bob = harness.person(BOB)  # the delivery owner may retire it too
    form, _ = await change_form(bob, uc_id)
    values = {"target": "20", "baseline": "30", "cadence": "weekly", "retire": "retire"}
    seen = await bob.submit(form.form_id, form.payload, values)
    assert "[form errors] reason: Please say in a sentence why it is retired." in seen.text
    seen = await bob.submit(form.form_id, form.payload, {**values, "reason": "Replaced by the end-to-end time"})
    assert "Retired “Claims cycle time” of UC-1: I will no longer ask for it, and its past values are kept." in \
        flat(seen.text)
    assert "has no KPIs left" in seen.text
    assert (await kpi(harness, kpi_id)).active is False
    assert await audit_of(harness, "kpi.retired") == [
        {"kpi": "Claims cycle time", "reason": "Replaced by the end-to-end time", "last_value": None}]
    assert "No KPIs defined yet" in (await bob.say(f"kpis UC-{uc_id}")).text
    clock.advance(days=30)
    assert await sweep(harness) == 0  # no prompt, no "not reported" flag for a retired KPI
    assert "no longer tracked" in (await bob.submit(form.form_id, form.payload, values)).text
