"""Changing a KPI after it was defined: its target, baseline, cadence or owner, or retiring it.

`kpi UC-4 change` (or Change a KPI on the KPI list) shows the use case's KPIs, each with a Change button; the
button opens a one-screen form with the current values. Only the use case's business and delivery owners may
change or retire a KPI; every click and submission re-reads the KPI and re-checks them. A change is audited
as kpi.changed with each field's value before and after; retiring (Kpi.active = false: no more prompts,
flags or status lines; its values are kept) as kpi.retired with the reason. A form opened before someone
else changed the KPI is refused with the KPI as it is now, so no change is undone unseen.
"""
from __future__ import annotations

import hashlib

from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.kpis import views as kpi_views
from conversations.kpis.values import active_kpi
from conversations.incidents.live_access import is_owner, person_from_form, use_case_for
from conversations.scorecards.views import rows
from vocabulary.labels import uc_ref
from vocabulary.messages import Button, Context, Form, FormField, Header, Message, Text
from conversations.people.lookup import display
from vocabulary.rules import kpis as rules
from vocabulary.text import day
from conversations.steps import Invalid, parse_number
from storage.repo import kpis as repo
from storage.repo import people
from storage.tables import Kpi, UseCase
from vocabulary.states import CLOSED_USE_CASE, KpiFlag

FORM = "kpi.change"
KEEP, RETIRE = "keep", "retire"
REASON_MIN = 5


def fingerprint(kpi: Kpi) -> str:
    """Changes whenever a field the form shows changes (the form is refused if it is stale)."""
    raw = f"{kpi.target!r}|{kpi.baseline!r}|{kpi.cadence}|{kpi.owner_id}|{kpi.active}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _cadence_label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def change_form(ctx: Ctx, kpi: Kpi, uc: UseCase, owner_name: str) -> Form:
    unit = f" ({kpi.unit})" if kpi.unit else ""
    cadences = [(k, _cadence_label(k)) for k in ctx.policy.kpis.cadence_days]
    return Form(form_id=FORM, title="Change a KPI", submit_label="Save",
                intro=f"UC-{uc.id} · {kpi.name}: change what needs changing and leave the rest as it is."[:300],
                fields=[FormField("target", f"Target{unit}", type="number", initial=kpi.target),
                        FormField("baseline", f"Baseline{unit}", type="number", initial=kpi.baseline),
                        FormField("cadence", "How often I ask for its value", type="select", options=cadences,
                                  initial=kpi.cadence),
                        FormField("owner", "Reported by", type="person", optional=True,
                                  hint=f"Leave empty to keep {owner_name or 'the delivery owner'}."),
                        FormField("retire", "Keep or retire", type="select", initial=KEEP,
                                  options=[(KEEP, "Keep tracking it"),
                                           (RETIRE, "Retire it: stop tracking and asking for it")]),
                        FormField("reason", "Why", type="multiline", optional=True, max_length=500,
                                  hint="Everyone reading the audit trail will see it; needed to retire a KPI.")],
                payload={"k": kpi.id, "f": fingerprint(kpi)})


async def load(ctx: Ctx, kpi_id) -> tuple[Kpi, UseCase]:
    kpi = await active_kpi(ctx, kpi_id, "That KPI is no longer tracked, so there is nothing to change.")
    uc = await use_case_for(ctx, kpi.use_case_id, "“kpi UC-4 change”")
    check_owner(ctx, uc)
    return kpi, uc


def check_owner(ctx: Ctx, uc: UseCase) -> None:
    if uc.status in CLOSED_USE_CASE:
        raise Refusal(f"{uc_ref(uc)} is {uc.status}, so its KPIs can no longer change.")
    if not is_owner(ctx, uc):
        raise Refusal(f"Only the business owner or the delivery owner of {uc_ref(uc)} can change or retire its KPIs. "
                      f"Type “kpis {uc_ref(uc)}” to see them.")


async def owner_name(ctx: Ctx, kpi: Kpi) -> str:
    return display(await people.get(ctx.session, kpi.owner_id)) if kpi.owner_id else ""


async def show_choices(ctx: Ctx, uc: UseCase) -> None:
    check_owner(ctx, uc)
    lines = await kpi_views.kpi_lines(ctx.session, uc.id, ctx.policy)
    if not lines:
        raise Refusal(f"{uc_ref(uc)} has no KPIs to change yet. Define one with “kpi {uc_ref(uc)} add”.")
    buttons = [Button(f"Change: {ln.name}"[:70], "kpi.change", {"k": ln.kpi_id}) for ln in lines]
    ctx.say(Message([Header(f"Which KPI of {uc_ref(uc)} should change?"[:150]), *kpi_views.kpi_blocks(lines),
                     *rows(buttons)], fallback=f"Change a KPI of {uc_ref(uc)}"))


def _number(raw, label: str) -> float:
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise Invalid(f"The {label} needs a number, for example 42 or 3.5.")
    return parse_number(text, None, None)


async def submit(ctx: Ctx, values: dict) -> None:
    payload = ctx.inbound.payload or {}
    kpi, uc = await load(ctx, payload.get("k"))
    name = await owner_name(ctx, kpi)
    if payload.get("f") != fingerprint(kpi):
        ctx.form_errors(change_form(ctx, kpi, uc, name),
                        {"target": "Someone changed this KPI since you opened the form; these are its values now. "
                                   "Please check them and save again."})
        return
    values = values or {}
    errors: dict[str, str] = {}
    new: dict = {}
    for field, label in (("target", "target"), ("baseline", "baseline")):
        try:
            new[field] = _number(values.get(field), label)
        except Invalid as e:
            errors[field] = str(e)
    cadence = values.get("cadence") or kpi.cadence
    if cadence not in ctx.policy.kpis.cadence_days:
        errors["cadence"] = "Please choose one of: " + ", ".join(ctx.policy.kpis.cadence_days) + "."
    reason = values.get("reason").strip() if isinstance(values.get("reason"), str) else ""
    retire = values.get("retire") == RETIRE
    if retire and len(reason) < REASON_MIN:
        errors["reason"] = "Please say in a sentence why it is retired."
    owner = await person_from_form(ctx, values.get("owner")) if values.get("owner") else None
    if values.get("owner") and owner is None:
        errors["owner"] = "I need a person: mention them or type their email address, or leave it empty."
    if errors:
        ctx.form_errors(change_form(ctx, kpi, uc, name), errors)
        return
    if retire:
        return await _retire(ctx, kpi, uc, reason)
    new["cadence"] = cadence
    if owner is not None:
        new["owner_id"] = owner.id
    changes = {k: [getattr(kpi, k), v] for k, v in new.items() if getattr(kpi, k) != v}
    if not changes:
        ctx.say(f"Nothing changed: “{kpi.name}” keeps its target, baseline, cadence and owner.")
        return
    await _apply(ctx, kpi, uc, changes, reason)


async def _apply(ctx: Ctx, kpi: Kpi, uc: UseCase, changes: dict, reason: str) -> None:
    values = {k: after for k, (_, after) in changes.items()}
    if "cadence" in changes:  # a new rhythm starts now: the next value is asked for one new cadence from today
        values["next_due_at"] = rules.first_due(ctx.now, ctx.policy.kpis.cadence_days[changes["cadence"][1]])
    await repo.change(ctx.session, kpi.id, **values)
    await ctx.session.refresh(kpi)
    await ctx.audit("kpi.changed", entity="kpi", entity_id=kpi.id, use_case_id=uc.id,
                    data={"kpi": kpi.name, "changes": changes, "reason": reason[:500],
                          "next_due_at": kpi.next_due_at.isoformat() if kpi.next_due_at else None})
    fmt = rules.fmt_number
    said = []
    if "target" in changes or "baseline" in changes:
        said.append(f"target {fmt(kpi.target, kpi.unit)}, baseline {fmt(kpi.baseline, kpi.unit)}")
    if "cadence" in changes:
        said.append(f"asked for {kpi.cadence.replace('_', ' ')}, next on {day(kpi.next_due_at)}")
    if "owner_id" in changes:
        said.append(f"reported by {await owner_name(ctx, kpi)}")
    lines = [f"Changed “{kpi.name}” of {uc_ref(uc)}: " + "; ".join(said) + "."]
    if kpi.flagged_at is not None and kpi.flag_reason == rules.MOVING_AWAY:
        values_now = (await repo.recent_values(ctx.session, [kpi.id]))[kpi.id]
        if not rules.moving_away(kpi.baseline, kpi.target, kpi.direction, values_now) \
                and await repo.clear_flag(ctx.session, kpi.id):
            await ctx.audit("kpi.flag_cleared", entity="kpi", entity_id=kpi.id, use_case_id=uc.id,
                            data={"kpi": kpi.name, "was": rules.MOVING_AWAY, "after": "kpi.changed"})
            lines.append("Against the new figures it is no longer moving away from its target, so its flag is "
                         "cleared.")
    ctx.say(Message([Text([" ".join(lines)])], fallback=lines[0]))
    if "owner_id" in changes and kpi.owner_id != ctx.person.id:
        await ctx.notify_person(kpi.owner_id, Message([
            Text([f"{display(ctx.person)} made you the owner of the KPI “{kpi.name}” of {uc_ref(uc)} ({uc.title}). "
                  f"I will ask you for its value {kpi.cadence.replace('_', ' ')}; one reply records it."]),
            Context("Type kpis " + uc_ref(uc) + " to see it.")]),
            key=f"kpi:{kpi.id}:owner:{kpi.owner_id}:{ctx.now.isoformat()}", use_case_id=uc.id)


async def _retire(ctx: Ctx, kpi: Kpi, uc: UseCase, reason: str) -> None:
    await repo.change(ctx.session, kpi.id, active=False, flagged_at=None, flag_reason=KpiFlag.NONE)
    await ctx.audit("kpi.retired", entity="kpi", entity_id=kpi.id, use_case_id=uc.id,
                    data={"kpi": kpi.name, "reason": reason[:500], "last_value": kpi.last_value})
    left = await repo.count_defined(ctx.session, uc.id)
    note = "" if left else (f" {uc_ref(uc)} has no KPIs left: the move to ongoing operation needs at least one with "
                            f"its baseline.")
    ctx.say(f"Retired “{kpi.name}” of {uc_ref(uc)}: I will no longer ask for it, and its past values are kept.{note}")


def register(engine: Engine) -> None:
    @engine.action("kpi.change_list")
    async def list_button(ctx: Ctx, payload: dict) -> None:
        try:
            uc_id = int(payload.get("uc"))
        except (TypeError, ValueError):
            uc_id = None
        await show_choices(ctx, await use_case_for(ctx, uc_id, "“kpi UC-4 change”"))

    @engine.action("kpi.change")
    async def change_button(ctx: Ctx, payload: dict) -> None:
        kpi, uc = await load(ctx, payload.get("k"))
        ctx.open_form(change_form(ctx, kpi, uc, await owner_name(ctx, kpi)))

    @engine.form(FORM)
    async def change_submitted(ctx: Ctx, values: dict) -> None:
        await submit(ctx, values)
