"""The risk register in chat: add a risk (one question at a time), update one field, list, mark reviewed.

The twelve risk areas, their usual owner roles and what good control looks like come from the policy.
Every change is audited; a named risk owner is told.
"""
from __future__ import annotations

from typing import Any

from conversations import access
from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.access import visible_use_case
from conversations.payload import BAD_BUTTON, read_int
from conversations.scorecards.views import rows
from vocabulary.text import clip, day
from vocabulary.interaction import PersonHint
from vocabulary.labels import parse_uc_id
from vocabulary.messages import Button, Buttons, Confirm, Context, Header, Message, Text
from conversations.people.lookup import display, person_for_hint
from vocabulary.policy import Policy
from conversations.stepflow import StepFlow
from conversations.steps import Step
from storage.repo import instruments as repo
from storage.repo import people, use_cases
from storage.tables import RiskEntry, UseCase
from vocabulary.states import CLOSED_USE_CASE, FlowStatus

SHOW = 10
CLOSED_STATUS = "closed"
FIELDS = [("description", "Description"), ("likelihood", "Likelihood"), ("impact", "Impact"),
          ("owner", "Risk owner"), ("control", "Control"), ("status", "Status")]


def level(choices, key: str) -> int:
    keys = [c.key for c in choices]
    return keys.index(key) + 1 if key in keys else 1


def weight(policy: Policy, r: RiskEntry) -> int:
    rr = policy.risk_register
    return level(rr.likelihood, r.likelihood) * level(rr.impact, r.impact)


def label_of(choices, key: str) -> str:
    return next((c.label for c in choices if c.key == key), key)


def area_name(policy: Policy, key: str) -> str:
    try:
        return policy.risk_register.area(key).name
    except KeyError:
        return key


def top_open(policy: Policy, risks: list[RiskEntry], n: int) -> list[RiskEntry]:
    live = [r for r in risks if r.status != CLOSED_STATUS]
    return sorted(live, key=lambda r: (-weight(policy, r), r.id))[:n]


def verified_email(ctx: Ctx) -> str | None:
    a = ctx.inbound.actor
    return None if (a.guest or not a.email_verified) else ctx.person.email


async def editable_use_case(ctx: Ctx, uc_id: int) -> UseCase:
    uc = await visible_use_case(ctx, uc_id)
    if not access.may_edit_risks(ctx.policy, ctx.person, uc, verified_email(ctx)):
        raise Refusal(f"Only the owners, sponsor or proposer of UC-{uc.id}, or the risk and leadership groups, "
                      "can change its risk register.")
    if uc.status in CLOSED_USE_CASE:
        raise Refusal(f"UC-{uc.id} is {uc.status}, so its risk register is closed.")
    return uc


# -- add -----------------------------------------------------------------------------------
class RiskAddFlow(StepFlow):
    name = "risk_add"
    title = "New risk"
    noun = "risk"
    submit_label = "Add the risk"

    def intro(self, ctx: Ctx) -> Message:
        return Message([Text([f"Let's add a risk to UC-{ctx.state.data['uc']}'s register: seven short questions. "
                              "Type “back” to change the previous answer or “cancel” to stop."])])

    def steps(self, ctx: Ctx) -> list[Step]:
        rr = ctx.policy.risk_register
        return [
            Step("area", "Risk area", "Which risk area does it fall under? Each shows who usually owns it.",
                 kind="choice", choices=[(a.key, clip(f"{a.name} ({a.owner_role})", 75)) for a in rr.areas]),
            Step("description", "Description", _describe_question, min_len=10, max_len=1000),
            Step("likelihood", "Likelihood", "How likely is it to happen?", kind="choice",
                 choices=[(c.key, c.label) for c in rr.likelihood]),
            Step("impact", "Impact", "If it happened, how big would the impact be?", kind="choice",
                 choices=[(c.key, c.label) for c in rr.impact]),
            Step("owner", "Risk owner", _owner_question, kind="person"),
            Step("control", "Control", _control_question, min_len=5, max_len=1000),
            Step("status", "Status", "Where does it stand today?", kind="choice",
                 choices=[(c.key, c.label) for c in rr.statuses]),
        ]

    async def submit(self, ctx: Ctx) -> None:
        d = ctx.state.data
        uc = await editable_use_case(ctx, int(d["uc"]))
        owner = await person_for_hint(ctx.session, PersonHint(**d["owner"]))
        risk = await repo.add_risk(ctx.session, use_case_id=uc.id, area_key=d["area"], description=d["description"],
                                   likelihood=d["likelihood"], impact=d["impact"], owner_id=owner.id,
                                   control=d["control"], status=d["status"], created_by_id=ctx.person.id,
                                   created_at=ctx.now, updated_at=ctx.now)
        await ctx.audit("risk.added", entity="risk", entity_id=risk.id, use_case_id=uc.id,
                        data={"area": risk.area_key, "description": risk.description, "likelihood": risk.likelihood,
                              "impact": risk.impact, "owner_id": owner.id, "control": risk.control,
                              "status": risk.status})
        ctx.state.status = FlowStatus.DONE
        await _tell_owner(ctx, uc, risk, owner.id)
        n = await repo.count_risks(ctx.session, uc.id)
        ctx.say(Message([
            Text([f"Added to UC-{uc.id}'s risk register ({n} risk{'s' if n != 1 else ''} now): "
                  f"{area_name(ctx.policy, risk.area_key)}, owned by {display(owner)}."]),
            Buttons([Button("Add another risk", "risk.add", {"uc": uc.id}),
                     Button("See the register", "risk.list", {"uc": uc.id}),
                     Button("Status", "status.show", {"uc": uc.id})]),
        ]))


def _area(ctx: Ctx, data: dict):
    try:
        return ctx.policy.risk_register.area(data.get("area", ""))
    except KeyError:
        return None


def _describe_question(ctx: Ctx, data: dict) -> str:
    a = _area(ctx, data)
    tip = f" In {a.name.lower()}, it often looks like this: {a.looks_like}" if a else ""
    return "Describe the risk in a sentence or two." + tip


def _owner_question(ctx: Ctx, data: dict) -> str:
    a = _area(ctx, data)
    usual = f" This is usually someone in {a.owner_role}." if a else ""
    return f"Who owns this risk?{usual} Mention them or type their email."


def _control_question(ctx: Ctx, data: dict) -> str:
    a = _area(ctx, data)
    good = f" Good control here looks like: {a.good_control}" if a else ""
    return "Which control keeps it in check (in place or planned)?" + good


async def _tell_owner(ctx: Ctx, uc: UseCase, risk: RiskEntry, owner_id: int) -> None:
    if owner_id == ctx.person.id:
        return
    who = ctx.person.display_name or ctx.person.email or "A colleague"
    msg = Message([Text([f"{who} named you the owner of a risk on UC-{uc.id} “{clip(uc.title, 80)}”: "
                         f"{area_name(ctx.policy, risk.area_key)}: {clip(risk.description, 300)}"]),
                   Buttons([Button("See the register", "risk.list", {"uc": uc.id})])])
    await ctx.notify_person(owner_id, msg, key=f"uc:{uc.id}:risk:{risk.id}:owner:{owner_id}", use_case_id=uc.id)


# -- update -----------------------------------------------------------------------------------
class RiskUpdateFlow(StepFlow):
    name = "risk_update"
    title = "Risk update"
    noun = "risk update"
    submit_label = "Save the change"

    def steps(self, ctx: Ctx) -> list[Step]:
        rr = ctx.policy.risk_register
        field = lambda name: (lambda d: d.get("field") == name)  # noqa: E731
        return [
            Step("field", "What to change", _field_question, kind="choice", choices=FIELDS),
            Step("description", "New description", "What is the new description?", min_len=10, max_len=1000,
                 when=field("description")),
            Step("likelihood", "New likelihood", "How likely is it now?", kind="choice",
                 choices=[(c.key, c.label) for c in rr.likelihood], when=field("likelihood")),
            Step("impact", "New impact", "How big would the impact be now?", kind="choice",
                 choices=[(c.key, c.label) for c in rr.impact], when=field("impact")),
            Step("owner", "New risk owner", "Who owns it now? Mention them or type their email.", kind="person",
                 when=field("owner")),
            Step("control", "New control", "What is the control now?", min_len=5, max_len=1000,
                 when=field("control")),
            Step("status", "New status", "Where does it stand now?", kind="choice",
                 choices=[(c.key, c.label) for c in rr.statuses], when=field("status")),
        ]

    async def submit(self, ctx: Ctx) -> None:
        d = ctx.state.data
        risk, uc = await updatable_risk(ctx, int(d["r"]))
        field = d["field"]
        new: Any = d[field]
        old: Any = getattr(risk, "owner_id" if field == "owner" else field)
        if field == "owner":
            owner = await person_for_hint(ctx.session, PersonHint(**new))
            new = owner.id
        await repo.update_risk(ctx.session, risk.id, at=ctx.now, **{"owner_id" if field == "owner" else field: new})
        await ctx.audit("risk.updated", entity="risk", entity_id=risk.id, use_case_id=uc.id,
                        data={"field": field, "from": old, "to": new})
        ctx.state.status = FlowStatus.DONE
        if field == "owner" and new != old:
            await _tell_owner(ctx, uc, risk, new)
        ctx.say(Message([Text([f"Saved: the risk's {dict(FIELDS)[field].lower()} on UC-{uc.id} is updated."]),
                         Buttons([Button("See the register", "risk.list", {"uc": uc.id})])]))


def _field_question(ctx: Ctx, data: dict) -> str:
    return f"Which part of {data.get('_label', 'this risk')} would you like to change?"


async def updatable_risk(ctx: Ctx, risk_id: int) -> tuple[RiskEntry, UseCase]:
    risk = await repo.get_risk(ctx.session, risk_id)
    if risk is None:
        raise Refusal("That risk no longer exists.")
    uc = await visible_use_case(ctx, risk.use_case_id)
    if risk.owner_id != ctx.person.id:
        await editable_use_case(ctx, uc.id)
    return risk, uc


# -- list and review ----------------------------------------------------------------------------
async def register_message(ctx: Ctx, uc: UseCase, note: str = "") -> Message:
    policy = ctx.policy
    risks = await repo.risks_for(ctx.session, uc.id)
    number = {r.id: i for i, r in enumerate(risks, 1)}
    live = [r for r in risks if r.status != CLOSED_STATUS]
    shown = top_open(policy, risks, SHOW)
    names = await people.get_many(ctx.session, [r.owner_id for r in shown if r.owner_id])
    blocks: list = [Header(f"Risk register · UC-{uc.id}")]
    if note:
        blocks.append(Text([note]))
    if uc.risk_reviewed_at:
        reviewed = f"last marked reviewed {day(uc.risk_reviewed_at)}"
    else:
        reviewed = "never marked reviewed"
    blocks.append(Context(f"{clip(uc.title, 80)} · {len(risks)} risk{'s' if len(risks) != 1 else ''}, "
                          f"{len(live)} not closed · {reviewed}"))
    if not risks:
        blocks.append(Text(["No risks yet. Add the first one: the register must be started before the pilot gate."]))
    lines = []
    rr = policy.risk_register
    for r in shown:
        lines.append(f"R{number[r.id]} · {area_name(policy, r.area_key)} · likelihood "
                     f"{label_of(rr.likelihood, r.likelihood).lower()}, impact {label_of(rr.impact, r.impact).lower()}"
                     f" · {label_of(rr.statuses, r.status)}\n   {clip(r.description, 200)}\n   Owner: "
                     f"{display(names.get(r.owner_id))} · Control: {clip(r.control, 150)}")
    if lines:
        blocks.append(Text(["\n".join(lines)]))
    hidden = len(live) - len(shown)
    closed = len(risks) - len(live)
    if hidden > 0 or closed:
        extra = [f"and {hidden} more" if hidden > 0 else "", f"{closed} closed" if closed else ""]
        blocks.append(Context(" · ".join(x for x in extra if x) + " (not shown)"))
    if shown:
        blocks.append(Context("Click a risk to update it."))
        blocks.extend(rows([Button(f"Update R{number[r.id]}", "risk.update", {"r": r.id}) for r in shown]))
    actions = [Button("Add a risk", "risk.add", {"uc": uc.id}, style="primary")]
    if risks:
        actions.append(Button("Mark register reviewed", "risk.reviewed", {"uc": uc.id},
                              confirm=Confirm("Mark the register reviewed?",
                                              "This records that you went through every risk on it today.",
                                              yes="Mark reviewed")))
    actions.append(Button("Status", "status.show", {"uc": uc.id}))
    blocks.append(Buttons(actions))
    return Message(blocks, fallback=f"Risk register of UC-{uc.id}: {len(risks)} risks")


async def mark_reviewed(ctx: Ctx, payload: dict) -> None:
    uc = await visible_use_case(ctx, read_int(payload, "uc"))
    if not access.is_owner(ctx.person, uc):
        raise Refusal(f"Only the business owner or delivery owner of UC-{uc.id} can mark its risk register reviewed.")
    n = await repo.count_risks(ctx.session, uc.id)
    if n == 0:
        raise Refusal(f"UC-{uc.id}'s risk register is empty; add its risks first, then mark it reviewed.")
    await use_cases.update_fields(ctx.session, uc.id, bump_version=False, risk_reviewed_at=ctx.now)
    await repo.mark_risks_reviewed(ctx.session, uc.id, person_id=ctx.person.id, at=ctx.now)
    await ctx.audit("risk_register.reviewed", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                    data={"entries": n})
    await ctx.session.refresh(uc)
    msg = await register_message(ctx, uc, note=f"Marked reviewed by {display(ctx.person)} "
                                              f"({n} risk{'s' if n != 1 else ''}).")
    if ctx.inbound.source_message_id:
        ctx.replace_source(msg)
    else:
        ctx.say(msg)


def _uc_arg(args: str) -> int | None:
    for word in args.replace(",", " ").split():
        if parse_uc_id(word) is not None:
            return parse_uc_id(word)
    return None


def register(engine: Engine) -> None:
    engine.add_flow(RiskAddFlow())
    engine.add_flow(RiskUpdateFlow())

    @engine.command("risks", help="risks UC-4 shows a use case's risk register")
    async def risks_command(ctx: Ctx, args: str) -> None:
        uc_id = _uc_arg(args)
        if uc_id is None:
            ctx.say("Which use case? For example: “risks UC-4” (or “risk UC-4” to add one).")
            return
        uc = await visible_use_case(ctx, uc_id)
        ctx.say(await register_message(ctx, uc), thread_of=f"use_case:{uc.id}")

    @engine.command("risk", help="risk UC-4 adds a risk to a use case's register")
    async def risk_command(ctx: Ctx, args: str) -> None:
        uc_id = _uc_arg(args)
        if uc_id is None:
            ctx.say("Which use case? For example: “risk UC-4” adds a risk, “risks UC-4” shows the register.")
            return
        uc = await editable_use_case(ctx, uc_id)
        await ctx.start_flow(RiskAddFlow.name, {"uc": uc.id})

    @engine.action("risk.add")
    async def add_button(ctx: Ctx, payload: dict) -> None:
        uc = await editable_use_case(ctx, read_int(payload, "uc"))
        await ctx.start_flow(RiskAddFlow.name, {"uc": uc.id})

    @engine.action("risk.list")
    async def list_button(ctx: Ctx, payload: dict) -> None:
        uc = await visible_use_case(ctx, read_int(payload, "uc"))
        ctx.say(await register_message(ctx, uc), thread_of=f"use_case:{uc.id}")

    @engine.action("risk.update")
    async def update_button(ctx: Ctx, payload: dict) -> None:
        risk, uc = await updatable_risk(ctx, read_int(payload, "r"))
        risks = await repo.risks_for(ctx.session, uc.id)
        n = next((i for i, r in enumerate(risks, 1) if r.id == risk.id), 0)
        label = f"R{n} ({area_name(ctx.policy, risk.area_key)}) on UC-{uc.id}"
        await ctx.start_flow(RiskUpdateFlow.name, {"r": risk.id, "uc": uc.id, "_label": label})

    engine.action("risk.reviewed")(mark_reviewed)


__all__ = ["BAD_BUTTON", "RiskAddFlow", "RiskUpdateFlow", "register", "register_message", "top_open", "weight"]
