"""KPIs in chat: `kpi UC-4 add` (owners define one, step by step), `kpis UC-4` (list), recording values."""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.kpis import changes as kpi_changes
from conversations.kpis import values as kpi_values
from conversations.kpis import views as kpi_views
from conversations.incidents.live_access import is_owner, use_case_for
from vocabulary.interaction import PersonHint
from vocabulary.labels import parse_uc_id, uc_ref
from vocabulary.messages import Button, Buttons, Context, Header, Message, Text
from conversations.people.lookup import display, person_for_hint
from vocabulary.policy import Policy
from vocabulary.rules import kpis as rules
from vocabulary.text import day
from conversations.stepflow import StepFlow
from conversations.steps import Invalid, Step
from storage.repo import kpis as repo
from storage.repo import people, use_cases
from storage.tables import UseCase
from vocabulary.states import CLOSED_USE_CASE, FlowStatus

FLOW = "kpi_add"


def _layer_choices(ctx: Ctx, data: dict) -> list[tuple[str, str]]:
    return [(layer.key, layer.label) for layer in ctx.policy.kpis.layers]


def _layer(policy: Policy, key: str | None):
    return next((layer for layer in policy.kpis.layers if layer.key == key), policy.kpis.layers[0])


def _name_question(ctx: Ctx, data: dict) -> str:
    layer = _layer(ctx.policy, data.get("layer"))
    examples = " or ".join(f"“{e}”" for e in layer.examples[:2])
    return f"What is the {layer.label.lower()} KPI called?" + (f" For example {examples}." if examples else "")


def _cadence_choices(ctx: Ctx, data: dict) -> list[tuple[str, str]]:
    default = _layer(ctx.policy, data.get("layer")).default_cadence
    keys = [default] + [k for k in ctx.policy.kpis.cadence_days if k != default]
    return [(k, k.replace("_", " ").capitalize() + (" (usual for this layer)" if k == default else ""))
            for k in keys]


def _owner_choices(ctx: Ctx, data: dict) -> list[tuple[str, str]]:
    return [("me", "Me"), ("delivery", f"The delivery owner ({data.get('_delivery_name', 'delivery owner')})"[:70]),
            ("business", f"The business owner ({data.get('_business_name', 'business owner')})"[:70]),
            ("other", "Someone else")]


class KpiDefineFlow(StepFlow):
    name = FLOW
    title = "New KPI"
    noun = "KPI"
    submit_label = "Save the KPI"

    def intro(self, ctx: Ctx) -> Message:
        return Message([Header(f"A new KPI for UC-{ctx.state.data['uc']}"),
                        Text(["A few short questions: which layer it measures, its name and unit, where it starts "
                              "(baseline), where it should get to (target), who reports it and how often."])])

    def steps(self, ctx: Ctx) -> list[Step]:
        return [
            Step("layer", "Layer", "Which layer does it measure?", kind="choice", choices=_layer_choices,
                 help="Business outcome proves the process improved (cycle time, cost per case); model quality "
                      "shows correctness (precision, error rate); operational health shows it is usable "
                      "(latency, uptime, adoption)."),
            Step("name", "Name", _name_question, max_len=200),
            Step("unit", "Unit", "In what unit is it measured? For example %, minutes, EUR, cases. Skip if none.",
                 optional=True, min_len=1, max_len=32),
            Step("direction", "Direction", "Is a higher or a lower value better?", kind="choice",
                 choices=[("higher", "Higher is better"), ("lower", "Lower is better")]),
            Step("baseline", "Baseline", "What is its value today, before (or without) the AI? That is the "
                                         "baseline.", kind="number"),
            Step("target", "Target", "What value are you aiming for?", kind="number"),
            Step("owner_choice", "Reported by", "Who reports its value?", kind="choice", choices=_owner_choices,
                 internal=True),
            Step("owner", "Owner", "Who owns it? Mention them or type their email.", kind="person",
                 when=lambda d: d.get("owner_choice") == "other"),
            Step("cadence", "Review cadence", "How often should I ask for its value?", kind="choice",
                 choices=_cadence_choices),
        ]

    async def start(self, ctx: Ctx, data: dict) -> None:
        uc = await use_cases.get(ctx.session, int(data["uc"]))
        owners = await people.get_many(ctx.session, [uc.business_owner_id, uc.delivery_owner_id])
        ctx.state.data = {**ctx.state.data, "_business_name": display(owners.get(uc.business_owner_id)),
                          "_delivery_name": display(owners.get(uc.delivery_owner_id))}
        await super().start(ctx, data)

    def summary_extra(self, ctx: Ctx) -> list:
        d = ctx.state.data
        who = {"me": "you", "delivery": d.get("_delivery_name"), "business": d.get("_business_name")}
        owner = who.get(d.get("owner_choice")) or (d.get("owner") or {}).get("name") or "the named person"
        return [Context(f"Reported by {owner}.")]

    async def submit(self, ctx: Ctx) -> None:
        d = ctx.state.data
        uc = await use_cases.get(ctx.session, int(d["uc"]))
        if uc is None or uc.status in CLOSED_USE_CASE or not is_owner(ctx, uc):
            ctx.state.status = FlowStatus.DONE
            raise Refusal("This use case can no longer take new KPIs from you, so nothing was saved.")
        owner_id = {"me": ctx.person.id, "delivery": uc.delivery_owner_id,
                    "business": uc.business_owner_id}.get(d.get("owner_choice"))
        if d.get("owner_choice") == "other":
            owner_id = (await person_for_hint(ctx.session, PersonHint(**d["owner"]))).id
        days = ctx.policy.kpis.cadence_days[d["cadence"]]
        kpi = await repo.create(ctx.session, use_case_id=uc.id, layer=d["layer"], name=d["name"], unit=d.get("unit") or "",
                                baseline=d["baseline"], target=d["target"], direction=d["direction"],
                                owner_id=owner_id, cadence=d["cadence"], next_due_at=rules.first_due(ctx.now, days),
                                created_at=ctx.now)
        await ctx.audit("kpi.defined", entity="kpi", entity_id=kpi.id, use_case_id=uc.id,
                        data={k: d.get(k) for k in ("layer", "name", "unit", "direction", "baseline", "target",
                                                    "cadence")} | {"owner_id": owner_id})
        ctx.state.status = FlowStatus.DONE
        every = d["cadence"].replace("_", " ")
        ctx.say(Message([Text([f"Saved: “{kpi.name}” for {uc_ref(uc)}, from {rules.fmt_number(kpi.baseline, kpi.unit)}"
                               f" to {rules.fmt_number(kpi.target, kpi.unit)}. I will ask for its value {every}, "
                               f"first on {day(kpi.next_due_at)}."]),
                         Buttons([Button("Add another KPI", "kpi.add", {"uc": uc.id}),
                                  Button("See the KPIs", "kpi.list", {"uc": uc.id})])]))
        if owner_id and owner_id != ctx.person.id:
            who = ctx.person.display_name or ctx.person.email or "An owner"
            await ctx.notify_person(owner_id, Message([
                Text([f"{who} made you the owner of the KPI “{kpi.name}” of {uc_ref(uc)} ({uc.title}). I will ask "
                      f"you for its value {every}; one reply records it."]),
                Buttons([Button("See the KPIs", "kpi.list", {"uc": uc.id})])]),
                key=f"kpi:{kpi.id}:owner:{owner_id}", use_case_id=uc.id)


async def start_define(ctx: Ctx, uc: UseCase) -> None:
    if uc.status in CLOSED_USE_CASE:
        raise Refusal(f"{uc_ref(uc)} is {uc.status}, so it takes no new KPIs.")
    if not is_owner(ctx, uc):
        raise Refusal(f"Only the business owner or the delivery owner of {uc_ref(uc)} can define its KPIs. "
                      f"Type “kpis {uc_ref(uc)}” to see them.")
    if ctx.inbound.where.kind != "personal":
        raise Refusal("KPIs are defined in a private chat with me: open a direct message and type "
                      f"“kpi {uc_ref(uc)} add”.")
    await ctx.start_flow(FLOW, {"uc": uc.id})


async def show_list(ctx: Ctx, uc: UseCase) -> None:
    lines = await kpi_views.kpi_lines(ctx.session, uc.id, ctx.policy)
    ctx.say(kpi_views.list_message(uc, lines, can_edit=is_owner(ctx, uc) and uc.status not in CLOSED_USE_CASE))


def register(engine: Engine) -> None:
    engine.add_flow(KpiDefineFlow())
    engine.add_flow(kpi_values.KpiValueFlow())
    kpi_changes.register(engine)

    @engine.command("kpi", "kpis", help="kpis UC-4 lists a use case's KPIs; kpi UC-4 add defines one; "
                                        "kpi UC-4 change changes or retires one")
    async def kpi_command(ctx: Ctx, args: str) -> None:
        words = args.replace(",", " ").split()
        uc_id = next((parse_uc_id(w) for w in words if parse_uc_id(w) is not None), None)
        uc = await use_case_for(ctx, uc_id, "“kpis UC-4” to list them, “kpi UC-4 add” to define one, "
                                            "“kpi UC-4 change” to change or retire one.")
        if any(w.lower() in ("add", "new", "define") for w in words):
            await start_define(ctx, uc)
        elif any(w.lower() in ("change", "edit", "retire") for w in words):
            await kpi_changes.show_choices(ctx, uc)
        else:
            await show_list(ctx, uc)

    @engine.action("kpi.add")
    async def add_button(ctx: Ctx, payload: dict) -> None:
        await start_define(ctx, await use_case_for(ctx, _int(payload.get("uc")), "“kpi UC-4 add”"))

    @engine.action("kpi.list")
    async def list_button(ctx: Ctx, payload: dict) -> None:
        await show_list(ctx, await use_case_for(ctx, _int(payload.get("uc")), "“kpis UC-4”"))

    @engine.action("kpi.record")
    async def record_button(ctx: Ctx, payload: dict) -> None:
        kpi, uc = await kpi_values.load(ctx, payload.get("k"))
        ctx.open_form(kpi_values.value_form(kpi, uc))

    @engine.action("kpi.skip")
    async def skip_button(ctx: Ctx, payload: dict) -> None:
        kpi, uc = await kpi_values.load(ctx, payload.get("k"))
        ctx.whisper(await kpi_values.skip(ctx, kpi, uc))

    @engine.form(kpi_values.FORM)
    async def value_form(ctx: Ctx, values: dict) -> None:
        kpi, uc = await kpi_values.load(ctx, (ctx.inbound.payload or {}).get("k"))
        try:
            value = kpi_values.read_value(kpi, (values or {}).get("value"))
        except Invalid as e:
            ctx.form_errors(kpi_values.value_form(kpi, uc), {"value": str(e)})
            return
        ctx.say(await kpi_values.record(ctx, kpi, uc, value))


def _int(v) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None
