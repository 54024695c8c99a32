"""EU AI Act commands in chat.

- `classify UC-4 high-risk deployer because <reason>`: only members of the change group (risk, by default), never
  the use case's own proposer, owners or sponsor, may change a classification, always with a reason; audited,
  its consequences follow at once (obligations opened or withdrawn, the legal group told of a prohibited
  practice, the pending gate re-routed to the groups the new classification needs).
- `obligations UC-4`: the use case's obligations, numbered, with owner, gate and evidence.
- `obligation UC-4 2 done <evidence>`: the obligation's owner (or either owner of the use case) closes it.
"""
from __future__ import annotations

import re

from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.regulation import ai_act
from conversations.access import visible_use_case
from vocabulary.labels import parse_uc_id, stage_label, uc_ref
from vocabulary.messages import Button, Buttons, Context, Facts, Header, Message, Text
from vocabulary.text import day
from conversations.reviews import gating, lifecycle, reroute_check, rules
from conversations.reviews.rules import clicker
from storage.repo import people, regulation, reviews, use_cases
from vocabulary.states import CLOSED_USE_CASE, GateStatus, ObligationStatus

CLASS_WORDS = {"prohibited": "prohibited", "banned": "prohibited", "high-risk": "high_risk", "high_risk": "high_risk",
               "high": "high_risk", "highrisk": "high_risk", "transparency": "transparency", "minimal": "minimal",
               "minimal-risk": "minimal", "low": "minimal"}
ROLE_WORDS = {"provider": "provider", "deployer": "deployer", "both": "both"}
CLASSIFY_USAGE = ("Please say the use case, the classification and the reason, for example: “classify UC-4 "
                  "high-risk deployer because it screens job applicants”. Classifications: prohibited, high-risk, "
                  "transparency, minimal; roles: provider, deployer, both.")
MIN_REASON = 10


def _no_act(ctx: Ctx) -> None:
    if ctx.policy.eu_ai_act is None:
        raise Refusal("This organisation's policy has no EU AI Act section, so there is no classification to show "
                      "or change.")


def parse_classify(args: str) -> tuple[int, str, str | None, str]:
    """(use case id, classification, role or None, reason) from “UC-4 high-risk deployer because …”."""
    parts = re.split(r"\b(?:because|reason:|why:)", args, maxsplit=1, flags=re.I)
    head = parts[0]
    reason = parts[1].strip(" :-") if len(parts) > 1 else ""
    words = head.replace(",", " ").split()
    uc_id = next((parse_uc_id(w) for w in words if parse_uc_id(w) is not None), None)
    cls = next((CLASS_WORDS[w.lower()] for w in words if w.lower() in CLASS_WORDS), None)
    role = next((ROLE_WORDS[w.lower()] for w in words if w.lower() in ROLE_WORDS), None)
    if uc_id is None or cls is None:
        raise Refusal(CLASSIFY_USAGE)
    return uc_id, cls, role, reason


async def change_classification(ctx: Ctx, args: str) -> None:
    _no_act(ctx)
    act = ctx.policy.eu_ai_act
    uc_id, cls, role, reason = parse_classify(args)
    uc = await reviews.lock_use_case(ctx.session, uc_id)
    if uc is None:
        raise Refusal(f"There is no UC-{uc_id}. Type “my” to see your use cases.")
    group = ctx.policy.review.group(act.change_group)
    why = rules.decision_refusal(clicker(ctx), group.members, group.name, rules.involved_roles(uc))
    if why:
        raise Refusal(why.replace("decide this review", "change an EU AI Act classification")
                      .replace("decide its review", "change its classification"))
    if uc.status in CLOSED_USE_CASE:
        raise Refusal(f"{uc_ref(uc)} was {uc.status}, so its classification no longer matters.")
    if len(reason) < MIN_REASON:
        raise Refusal("A classification changes only with a reason the audit trail can keep. Please add it after "
                      "“because”, in a sentence or two.")
    role = role if role is not None else uc.ai_act_role
    if cls in ("high_risk", "transparency") and not role:
        raise Refusal(f"Please say the role too (provider, deployer or both), for example: “classify {uc_ref(uc)} "
                      f"{cls.replace('_', '-')} deployer because …”.")
    if cls == uc.ai_act_class and role == uc.ai_act_role:
        raise Refusal(f"{uc_ref(uc)} is already {ai_act.class_text(cls, role).lower()}; nothing changed.")
    if cls != "prohibited":
        await reroute_check.refuse_unready_pass(
            ctx, uc, tier=uc.effective_tier, ai_act_class=cls, trigger="ai_act",
            doing=f"Classifying it {ai_act.class_text(cls, role).lower()}", unchanged="the classification")
    before, before_role = uc.ai_act_class, uc.ai_act_role
    detail = dict(uc.ai_act or {})
    history = [*detail.get("history", []), {"from": before, "from_role": before_role, "to": cls, "to_role": role,
                                            "reason": reason, "by": ctx.person.id, "at": ctx.now.isoformat()}]
    detail.update({"history": history, "changed_by": ctx.person.id, "change_reason": reason,
                   "transparency": bool(detail.get("transparency")) or cls == "transparency"})
    await use_cases.update_fields(ctx.session, uc.id, bump_version=False, ai_act_class=cls, ai_act_role=role,
                                  ai_act=detail)
    await ctx.session.refresh(uc)
    await ctx.audit("use_case.ai_act_changed", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                    data={"from": before, "from_role": before_role, "to": cls, "to_role": role, "reason": reason,
                          "group": group.key})
    await ai_act.consequences(ctx, uc, before=before, reason=reason)
    if cls == "prohibited":
        await halt_pending_gate(ctx, uc, reason)
    await gating.reroute(ctx, uc)
    who = ctx.person.display_name or ctx.person.email or "A risk reviewer"
    text = (f"{who} ({group.name}) changed the {act.name} classification of {uc_ref(uc)} “{uc.title}” from "
            f"{ai_act.class_text(before, before_role).lower()} to {ai_act.class_text(cls, role).lower()}. "
            f"Reason: {reason}")
    msg = Message([Text([text]), Buttons([Button("Status", "status.show", {"uc": uc.id})])])
    await lifecycle.tell_involved(ctx, uc, msg, "ai_act")
    ctx.say(Message([Text([f"Done. {text}"]), Context(consequence_note(ctx, cls))]))


async def halt_pending_gate(acting: Ctx, uc, reason: str) -> None:
    """A prohibited practice never moves on: a review under way stops, its open parts are called off."""
    gr = await reviews.pending_gate(acting.session, uc.id)
    if gr is None:
        return
    rows = await reviews.for_gate(acting.session, gr.id)
    called_off = []
    for r in rows:
        if r.status in rules.OPEN and await reviews.set_review(acting.session, r.id, status=rules.CANCELLED,
                                                               decided_at=acting.now, next_reminder_at=None):
            called_off.append(r.id)
    if not await reviews.close_gate(acting.session, gr.id, GateStatus.STOPPED, acting.now):
        return
    await acting.audit("gate.halted", entity="gate_request", entity_id=gr.id, use_case_id=uc.id,
                       data={"from": gr.from_stage, "to": gr.to_stage, "reviews": called_off,
                             "why": "classified as a prohibited practice under the EU AI Act", "reason": reason})
    await lifecycle.refresh_cards(acting, called_off)


def consequence_note(ctx: Ctx, cls: str) -> str:
    act = ctx.policy.eu_ai_act
    if cls == "prohibited":
        return (f"It cannot move on while it is classified so (a review under way was stopped), and the "
                f"{_group(ctx, act.legal_group)} group has been told.")
    if cls == "high_risk":
        return ("Its owners were given the obligations for its role, and its reviews now include "
                + ", ".join(_group(ctx, g) for g in act.high_risk_groups) + ".")
    return "Obligations that no longer apply were withdrawn; the audit trail keeps them."


def _group(ctx: Ctx, key: str) -> str:
    try:
        return ctx.policy.review.group(key).name
    except KeyError:
        return key


async def show_obligations(ctx: Ctx, uc_id: int, note: str = "") -> None:
    _no_act(ctx)
    uc = await visible_use_case(ctx, uc_id)
    rows = await regulation.obligations(ctx.session, uc.id)
    act = ctx.policy.eu_ai_act
    if not rows:
        ctx.say(f"{uc_ref(uc)} has no {act.name} obligations: it is "
                f"{ai_act.class_text(uc.ai_act_class, uc.ai_act_role).lower()}.")
        return
    found = await people.get_many(ctx.session, [i for r in rows for i in (r.owner_id, r.closed_by_id) if i])
    name = lambda pid: (found[pid].display_name or found[pid].email) if pid in found else "no owner"  # noqa: E731
    facts = []
    for i, r in enumerate(rows, 1):
        arts = f" ({r.articles})" if r.articles else ""
        if r.status == ObligationStatus.DONE:
            state = f"done {day(r.closed_at)} by {name(r.closed_by_id)}: {r.evidence}"
        else:
            state = f"open · owner {name(r.owner_id)} · before leaving {stage_label(ctx.policy, r.before_leaving)}"
        facts.append((f"{i}. {r.title}{arts}"[:150], state[:600]))
    done = sum(r.status == ObligationStatus.DONE for r in rows)
    blocks = [Header(f"{act.name} obligations of {uc_ref(uc)}"[:150]),
              Text([f"{uc_ref(uc)} is {ai_act.class_text(uc.ai_act_class, uc.ai_act_role).lower()}: {done} of "
                    f"{len(rows)} obligations closed."
                    + ai_act.dates_text(ctx.policy, (uc.ai_act or {}).get("answers", {}))]),
              Facts(facts),
              Context(f"An owner closes one with a note of the evidence: obligation {uc_ref(uc)} <number> done "
                      "<what shows it is done>")]
    if note:
        blocks.insert(1, Context(note))
    ctx.say(Message(blocks, fallback=f"{act.name} obligations of {uc_ref(uc)}"))


async def close_obligation(ctx: Ctx, args: str) -> None:
    _no_act(ctx)
    m = re.match(r"\s*(\S+)\s+#?(\d+)\s+(?:done|closed|close)\b[\s:,-]*(.*)$", args, re.I | re.S)
    if not m or parse_uc_id(m.group(1)) is None:
        raise Refusal("Please say the use case, the obligation's number and the evidence, for example: "
                      "“obligation UC-4 2 done logs kept 6 months in the claims archive”. Type “obligations "
                      "UC-4” to see the numbers.")
    uc = await visible_use_case(ctx, parse_uc_id(m.group(1)))
    number, evidence = int(m.group(2)), m.group(3).strip()
    rows = await regulation.obligations(ctx.session, uc.id)
    if not 1 <= number <= len(rows):
        raise Refusal(f"{uc_ref(uc)} has {len(rows)} obligation{'s' if len(rows) != 1 else ''}; there is no number "
                      f"{number}. Type “obligations {uc_ref(uc)}” to see them.")
    row = rows[number - 1]
    if ctx.person.id not in {row.owner_id, uc.business_owner_id, uc.delivery_owner_id}:
        raise Refusal(f"Only the obligation's owner or an owner of {uc_ref(uc)} can close it.")
    if row.status == ObligationStatus.DONE:
        raise Refusal(f"“{row.title}” was already closed; nothing changed.")
    if len(evidence) < MIN_REASON:
        raise Refusal("Please add a short note of the evidence (what shows it is done, and where it is kept), "
                      "after the word done.")
    if not await regulation.set_obligation(ctx.session, row.id, only_if=(regulation.OPEN,),
                                           status=ObligationStatus.DONE, evidence=evidence,
                                           closed_by_id=ctx.person.id, closed_at=ctx.now):
        raise Refusal(f"“{row.title}” changed meanwhile; nothing changed. Please look again.")
    await ctx.audit("ai_act.obligation_closed", entity="ai_act_obligation", entity_id=row.id, use_case_id=uc.id,
                    data={"key": row.key, "title": row.title, "articles": row.articles, "evidence": evidence})
    await show_obligations(ctx, uc.id, note=f"Closed: {row.title}.")


def register(engine: Engine) -> None:
    @engine.command("classify", help="classify UC-4 high-risk deployer because … (risk reviewers: change the EU "
                                     "AI Act classification)")
    async def classify_command(ctx: Ctx, args: str) -> None:
        await change_classification(ctx, args)

    @engine.command("obligations", help="obligations UC-4 lists its EU AI Act obligations")
    async def obligations_command(ctx: Ctx, args: str) -> None:
        uc_id = next((parse_uc_id(w) for w in args.split() if parse_uc_id(w) is not None), None)
        if uc_id is None:
            ctx.say("Which use case? For example: “obligations UC-4”.")
            return
        await show_obligations(ctx, uc_id)

    @engine.command("obligation", help="obligation UC-4 2 done <evidence> closes an EU AI Act obligation")
    async def obligation_command(ctx: Ctx, args: str) -> None:
        await close_obligation(ctx, args)

