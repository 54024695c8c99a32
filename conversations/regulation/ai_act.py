"""The EU AI Act at intake and after: the questions (only when relevant), the classification stored with the use
case, and its consequences as policy (a prohibited practice goes to the legal group at once and cannot move; a
high-risk one gets its obligations as tracked items with owners, and more review groups).

Only the change group (risk, by default) may change a classification, with a reason: see ai_act_commands.py.
"""
from __future__ import annotations

from conversations.context import Ctx
from vocabulary.labels import uc_ref
from vocabulary.messages import Button, Buttons, Context, Facts, Header, Message, Text
from vocabulary.policy import Policy
from vocabulary.policy.regulation import CLASS_LABELS, ROLE_LABELS
from vocabulary.rules import ai_act as rules
from vocabulary.text import day
from conversations.steps import Step
from storage.repo import regulation
from storage.tables import UseCase
from vocabulary.states import ObligationStatus

PREFIX = "euai:"


def act_answers(data: dict) -> dict[str, str]:
    return {k[len(PREFIX):]: v for k, v in data.items() if k.startswith(PREFIX)}


def _risk(data: dict) -> dict[str, str]:
    return {k[5:]: v for k, v in data.items() if k.startswith("risk:")}


def steps(ctx: Ctx) -> list[Step]:
    """One choice step per AI Act question; each is asked only when its `ask_when` holds on earlier answers."""
    act = ctx.policy.eu_ai_act
    if act is None:
        return []
    out = []
    for q in act.questions:
        def when(d: dict, key: str = q.key) -> bool:
            return rules.is_asked(act, key, _risk(d), act_answers(d))
        out.append(Step(f"{PREFIX}{q.key}", q.label, q.question, kind="choice", help=q.help, when=when,
                        choices=[(o.key, o.label) for o in q.options]))
    return out


def classify(policy: Policy, data: dict) -> rules.Classification | None:
    if policy.eu_ai_act is None:
        return None
    return rules.classify(policy.eu_ai_act, _risk(data), act_answers(data))


def class_text(cls: str, role: str = "", transparency: bool = False) -> str:
    if not cls:
        return "not assessed"
    out = CLASS_LABELS.get(cls, cls)
    if transparency and cls == "high_risk":
        out += " (with transparency duties)"
    if role:
        out += f" · {ROLE_LABELS.get(role, role)}"
    return out


def articles_of(result: rules.Classification) -> str:
    arts = [a for _, _, articles in result.reasons for a in articles]
    return ", ".join(dict.fromkeys(arts))


def summary_line(policy: Policy, data: dict) -> str | None:
    result = classify(policy, data)
    if result is None:
        return None
    name = policy.eu_ai_act.name
    arts = articles_of(result)
    line = f"{name}: {class_text(result.classification, result.role, result.transparency)}"
    line += f" ({arts})." if arts else " (no answer pointed to a use the Act lists)."
    line += dates_text(policy, result.answers)
    if result.classification == "prohibited":
        line += " A prohibited practice cannot move on; the legal reviewers will be told as soon as you submit."
    else:
        n = len(rules.obligations_for(policy.eu_ai_act, result, _risk(data)))
        if n:
            line += f" It brings {n} obligation{'s' if n != 1 else ''} for its owners to close before later gates."
    return line


def dates_text(policy: Policy, answers: dict) -> str:
    """" Applies from 2 Aug 2026." for what the answers bring (the dates are policy data)."""
    dates = rules.applies_from(policy.eu_ai_act, answers)
    if not dates:
        return ""
    return " Applies from " + "; ".join(f"{day(d.date)}" for d in dates) + "."


def fields(policy: Policy, data: dict) -> dict:
    """The use case's columns for the classification computed from the intake answers."""
    result = classify(policy, data)
    if result is None:
        return {}
    detail = result.as_data() | {"computed": result.classification, "source": "intake"}
    return {"ai_act_class": result.classification, "ai_act_role": result.role, "ai_act": detail}


def fact(uc: UseCase) -> tuple[str, str] | None:
    if not uc.ai_act_class:
        return None
    detail = uc.ai_act or {}
    text = class_text(uc.ai_act_class, uc.ai_act_role, bool(detail.get("transparency")))
    if detail.get("changed_by"):  # the intake's articles no longer explain it: the reviewers' reason does
        return "EU AI Act", f"{text} (changed by the risk reviewers: {detail.get('change_reason', '')})"[:600]
    arts = intake_articles(uc)
    return "EU AI Act", text + (f" · {arts}" if arts else "")


def intake_articles(uc: UseCase) -> str:
    detail = uc.ai_act or {}
    return ", ".join(dict.fromkeys(a for r in detail.get("reasons", []) for a in (r[2] if len(r) > 2 else [])))


async def at_intake(ctx: Ctx, uc: UseCase, data: dict) -> None:
    """After the use case is created: audit the classification and carry out its consequences."""
    if ctx.policy.eu_ai_act is None or not uc.ai_act_class:
        return
    await ctx.audit("use_case.ai_act_classified", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                    data={"class": uc.ai_act_class, "role": uc.ai_act_role, **(uc.ai_act or {})})
    await consequences(ctx, uc, before="")


async def consequences(ctx: Ctx, uc: UseCase, *, before: str, reason: str = "") -> None:
    """What the classification brings: the legal group told of a prohibited practice; the obligations kept in
    step with the classification and role (new ones opened with owners, ones that no longer apply withdrawn)."""
    act = ctx.policy.eu_ai_act
    if uc.ai_act_class == "prohibited" and before != "prohibited":
        await ctx.notify_group(act.legal_group, prohibited_card(ctx.policy, uc, reason), use_case_id=uc.id,
                               key=f"uc:{uc.id}:ai_act:prohibited:{uc.version}:{len(uc.ai_act.get('history', []))}",
                               subject=f"ai_act:{uc.id}")
    result = rules.Classification(uc.ai_act_class, uc.ai_act_role, bool((uc.ai_act or {}).get("gpai")),
                                  dict((uc.ai_act or {}).get("answers", {})),
                                  transparency=bool((uc.ai_act or {}).get("transparency")))
    by_hand = bool((uc.ai_act or {}).get("changed_by"))
    wanted = {o.key: o for o in rules.obligations_for(act, result, dict(uc.risk_answers or {}),
                                                      assume_unanswered=by_hand)}
    rows = {r.key: r for r in await regulation.obligations(ctx.session, uc.id, include_withdrawn=True)}
    added, withdrawn = [], []
    for key, ob in wanted.items():
        owner = uc.business_owner_id if ob.owner == "business_owner" else uc.delivery_owner_id
        row = rows.get(key)
        if row is None:
            row = await regulation.add_obligation(
                ctx.session, use_case_id=uc.id, key=key, title=ob.title[:300], articles=", ".join(ob.articles)[:300],
                owner_id=owner, before_leaving=ob.before_leaving, status=regulation.OPEN, created_at=ctx.now)
            added.append(row)
        elif row.status == ObligationStatus.WITHDRAWN:
            await regulation.set_obligation(ctx.session, row.id, only_if=(ObligationStatus.WITHDRAWN,),
                                            status=regulation.OPEN)
            added.append(row)
    for key, row in rows.items():
        if key not in wanted and row.status == regulation.OPEN:
            await regulation.set_obligation(ctx.session, row.id, only_if=(regulation.OPEN,),
                                            status=ObligationStatus.WITHDRAWN)
            withdrawn.append(row)
    if added:
        await ctx.audit("ai_act.obligations_opened", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                        data={"obligations": [{"id": r.id, "key": r.key, "owner_id": r.owner_id,
                                               "before_leaving": r.before_leaving} for r in added]})
        for owner_id in {r.owner_id for r in added if r.owner_id and r.owner_id != ctx.person.id}:
            mine = [r for r in added if r.owner_id == owner_id]
            await ctx.notify_person(owner_id, obligations_notice(ctx.policy, uc, mine), use_case_id=uc.id,
                                    key=f"uc:{uc.id}:ai_act:owed:{owner_id}:{','.join(str(r.id) for r in mine)}")
    if withdrawn:
        await ctx.audit("ai_act.obligations_withdrawn", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                        data={"obligations": [r.key for r in withdrawn], "class": uc.ai_act_class})


def prohibited_card(policy: Policy, uc: UseCase, reason: str = "") -> Message:
    act = policy.eu_ai_act
    detail = uc.ai_act or {}
    why = "; ".join(f"{q} → {a} ({', '.join(arts)})" if arts else f"{q} → {a}"
                    for q, a, arts in detail.get("reasons", [])) or "set by the risk reviewers"
    facts = [("Classification", f"{CLASS_LABELS['prohibited']} under the {act.name} ({act.reference})."
              + dates_text(policy, detail.get("answers", {}))),
             ("Why", why[:600]), ("Outcome", uc.outcome[:600])]
    if reason:
        facts.append(("Reason given", reason[:600]))
    return Message([Header(f"Prohibited AI practice: {uc_ref(uc)} {uc.title}"[:150]),
                    Text([f"{uc_ref(uc)} was classified as a practice the {act.name} bans. It cannot move to any "
                          "further stage. Please review it with its owners: stop it, or, if the classification is "
                          "wrong, ask the risk reviewers to change it with a reason."]),
                    Facts(facts),
                    Buttons([Button("Status", "status.show", {"uc": uc.id})])],
                   fallback=f"Prohibited AI practice: {uc_ref(uc)}")


def obligations_notice(policy: Policy, uc: UseCase, rows) -> Message:
    act = policy.eu_ai_act
    lines = "\n".join(f"• {r.title}" + (f" ({r.articles})" if r.articles else "") for r in rows)
    return Message([Header(f"{act.name} obligations for {uc_ref(uc)}"[:150]),
                    Text([f"{uc_ref(uc)} “{uc.title}” is {class_text(uc.ai_act_class, uc.ai_act_role).lower()} "
                          f"under the {act.name}. You own these obligations; later gates wait until each is closed "
                          f"with a note of the evidence:\n{lines}"]),
                    Context(f"See and close them with: obligations {uc_ref(uc)}."
                            + dates_text(policy, (uc.ai_act or {}).get("answers", {})))],
                   fallback=f"{act.name} obligations for {uc_ref(uc)}")
