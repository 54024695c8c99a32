"""Propose an AI idea: the intake facts, the risk questions, the tier, similar ideas, submit."""
from __future__ import annotations

import re
from typing import Any

from conversations.context import Ctx
from conversations.flows import intake_form
from conversations.interaction import PersonHint
from conversations.labels import uc_ref
from conversations.messages import Button, Buttons, Context, Facts, Header, Message, Text
from conversations.people import person_for_hint
from conversations.rules.similarity import Doc, similar
from conversations.rules.tier import tier_for
from conversations.stepflow import StepFlow
from conversations.steps import Step
from storage.repo import use_cases
from storage.tables import UseCase

METRIC_WORDS = re.compile(r"\d|%|percent|time|cost|rate|error|accuracy|minutes|hours|days|volume|backlog|"
                          r"satisfaction|nps|csat|revenue|throughput|turnaround|latency|first.contact", re.I)
CONTROL_WORDS = re.compile(r"\bwhile\b|\bkeep|\bwithout\b|\bhuman\b|review|oversight|approv|safeguard|"
                           r"\bunder\b|\bwithin\b|complian|\bcheck", re.I)


def coach_outcome(statement: str) -> str | None:
    missing = []
    if not METRIC_WORDS.search(statement):
        missing.append("a metric you will measure (a time, cost, rate or count, ideally with a target)")
    if not CONTROL_WORDS.search(statement):
        missing.append("the control that keeps it safe (for example, people still review the high-risk cases)")
    if len(statement.split()) < 6:
        missing.append("the process it changes")
    if not missing:
        return None
    return ("A strong outcome statement names the process, the metric and the control. Yours seems to be missing "
            + "; ".join(missing) + ". For example: “Cut invoice matching time by 40% while a clerk still approves "
            "every payment above 10,000.” Would you like to rewrite it, or keep it as it is?")


class IntakeFlow(StepFlow):
    name = "intake"
    title = "New AI idea"
    submit_label = "Submit the idea"
    form_label = "Fill in a form instead"

    def intro(self, ctx: Ctx) -> Message:
        return Message([Header("Let's capture your AI idea"),
                        Text(["I'll ask about a dozen short questions, then a few about risk. Your answers are saved "
                              "as you go, so you can stop and come back. Prefer one screen? Use the form button."])])

    def steps(self, ctx: Ctx) -> list[Step]:
        p = ctx.policy.intake
        base = [
            Step("title", "Name", "What should we call this idea? A short name is enough.",
                 max_len=p.title_max, hint="For example: Claims triage assistant"),
            Step("problem", "Problem", "What problem does it solve, and for whom? Describe today's pain plainly.",
                 min_len=10),
            Step("outcome", "Outcome statement",
                 "In one sentence: what will be better, measured how, and with which control in place?",
                 hint=p.outcome_hint, coach=coach_outcome, min_len=10),
            Step("value_stream", "Process / value stream", "Which process or value stream does it touch?",
                 hint="For example: claims handling, month-end close, customer onboarding"),
            Step("theme", "Strategic theme", "Which strategic theme does it serve best?", kind="choice",
                 choices=[(c.key, c.label) for c in p.themes]),
            Step("affected_users", "Affected users", "Who will use it, or be affected by what it produces?"),
            Step("data_used", "Data used", "What data would it use? Name the main sources.",
                 hint="The next questions ask how sensitive that data is."),
            Step("vendor", "Vendor involved", "Would a third-party vendor or model provider be involved?",
                 kind="yesno"),
            Step("vendor_name", "Vendor", "Which vendor or product?", when=lambda d: d.get("vendor") == "yes",
                 max_len=200),
            Step("timeline", "Target timeline", "When would you like to see it working?", kind="choice",
                 choices=[(c.key, c.label) for c in p.timelines]),
            Step("business_owner", "Business owner",
                 "Who is the business owner, accountable for the outcome? Mention them or type their email.",
                 kind="person"),
            Step("delivery_owner", "Delivery owner",
                 "Who is the delivery owner, accountable for building and running it? Mention them or type "
                 "their email.", kind="person"),
            Step("sponsor", "Executive sponsor", "Who is the executive sponsor? (optional, you can add one later)",
                 kind="person", optional=True),
        ]
        risk = [Step(f"risk:{q.key}", _risk_label(q.question), q.question, kind="choice", help=q.help,
                     choices=[(o.key, o.label) for o in q.options]) for q in p.risk_questions]
        tail = [
            Step("tier_choice", "Risk tier", _tier_question, kind="choice", internal=True,
                 choices=[("accept", "That tier is right"), ("change", "Ask for a different tier")]),
            Step("tier_requested", "Requested tier", "Which tier do you think fits, and why?", kind="choice",
                 when=lambda d: d.get("tier_choice") == "change", choices=_other_tiers),
            Step("tier_justification", "Why a different tier",
                 "Please explain why. The risk reviewers will see this and decide whether to accept it.",
                 when=lambda d: d.get("tier_choice") == "change", min_len=10),
            Step("similar", "Similar ideas", _similar_question, kind="choice", internal=True,
                 prepare=_find_similar, choices=_similar_choices),
        ]
        return base + risk + tail

    def summary_extra(self, ctx: Ctx) -> list:
        result = self.tier(ctx)
        why = "; ".join(f"{q} → {a}" for q, a in result.reasons) or "no answer raised it"
        return [Context(f"Risk tier: {result.tier} ({why})")]

    def tier(self, ctx: Ctx):
        answers = {k[5:]: v for k, v in ctx.state.data.items() if k.startswith("risk:")}
        return tier_for(ctx.policy.intake, answers)

    def build_form(self, ctx: Ctx):
        return intake_form.build(ctx, self.steps(ctx))

    async def on_form(self, ctx: Ctx, values: dict) -> None:
        steps = self.steps(ctx)
        form = self.build_form(ctx)
        data, errors = intake_form.read(ctx, steps, values)
        if errors:
            ctx.form_errors(form, errors)
            return
        ctx.state.data = {**ctx.state.data, **data}
        ctx.state.history = [s.key for s in steps if s.key in data]
        ctx.say(Message([Context("Thanks, I have your form. A couple more things before you submit:")]))
        last_risk = [s.key for s in steps if s.key.startswith("risk:")][-1]
        await self.advance(ctx, after=last_risk)

    async def submit(self, ctx: Ctx) -> None:
        d = ctx.state.data
        choice = d.get("similar") or "new"
        if choice.startswith("join:"):
            return await self._join(ctx, int(choice[5:]))
        result = self.tier(ctx)
        owners = {}
        for role in ("business_owner", "delivery_owner", "sponsor"):
            hint = d.get(role)
            if hint:
                owners[role] = await person_for_hint(ctx.session, PersonHint(**hint))
        requested = d.get("tier_requested") if d.get("tier_choice") == "change" else None
        uc = await use_cases.create(
            ctx.session, title=d["title"], problem=d["problem"], outcome=d["outcome"],
            value_stream=d["value_stream"], theme=d["theme"], affected_users=d["affected_users"],
            data_used=d["data_used"], data_sensitivity=d.get("risk:data_sensitivity", ""),
            vendor_involved=d.get("vendor") == "yes", vendor_name=d.get("vendor_name") or "",
            target_timeline=d["timeline"], proposer_id=ctx.person.id,
            business_owner_id=owners["business_owner"].id, delivery_owner_id=owners["delivery_owner"].id,
            sponsor_id=owners["sponsor"].id if "sponsor" in owners else None,
            risk_answers={k[5:]: v for k, v in d.items() if k.startswith("risk:")}, risk_tier=result.tier,
            risk_tier_reasons=[list(r) for r in result.reasons], tier_requested=requested,
            tier_justification=d.get("tier_justification") or "",
            tier_override_status="pending" if requested else "none",
            linked_to_id=int(choice[5:]) if choice.startswith("link:") else None,
            created_at=ctx.now, updated_at=ctx.now, stage_entered_at=ctx.now)
        facts = {k: v for k, v in d.items() if not k.startswith("_")}
        await ctx.audit("use_case.proposed", entity="use_case", entity_id=uc.id, use_case_id=uc.id, data=facts)
        await ctx.audit("use_case.tier_set", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                        data={"tier": result.tier, "reasons": [list(r) for r in result.reasons]})
        if requested:
            await ctx.audit("use_case.tier_override_requested", entity="use_case", entity_id=uc.id,
                            use_case_id=uc.id, data={"requested": requested,
                                                     "justification": d.get("tier_justification")})
        if uc.linked_to_id:
            await ctx.audit("use_case.linked", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                            data={"linked_to": uc.linked_to_id})
            await self._tell_owners_of(ctx, uc.linked_to_id, uc, "linked")
        ctx.state.status = "done"
        ctx.say(submitted_message(ctx, uc, result))
        for role, person in owners.items():
            if person.id != ctx.person.id:
                await ctx.notify_person(person.id, named_owner_message(ctx, uc, role), use_case_id=uc.id,
                                        key=f"uc:{uc.id}:named:{role}:{person.id}")

    async def _join(self, ctx: Ctx, target_id: int) -> None:
        target = await use_cases.get(ctx.session, target_id)
        if target is None:
            ctx.say("That idea no longer exists, so I could not join it. Please choose again.")
            return await self.ask(ctx, "similar")
        await use_cases.add_contributor(ctx.session, target.id, ctx.person.id)
        await ctx.audit("use_case.joined", entity="use_case", entity_id=target.id, use_case_id=target.id,
                        data={"instead_of_new": ctx.state.data.get("title")})
        ctx.state.status = "done"
        ctx.say(Message([Text([f"Done: you have joined {uc_ref(target)} instead of starting a duplicate. "
                               "Its owners know you are interested and will be in touch."])]))
        await self._tell_owners_of(ctx, target.id, None, "joined")

    async def _tell_owners_of(self, ctx: Ctx, use_case_id: int, new: UseCase | None, how: str) -> None:
        target = await use_cases.get(ctx.session, use_case_id)
        if target is None:
            return
        who = ctx.person.display_name or ctx.person.email or "A colleague"
        if how == "joined":
            line = f"{who} has a similar idea and joined {uc_ref(target)} instead of starting a new one."
        elif how == "linked":
            line = f"{who} proposed {uc_ref(new)} “{new.title}” and linked it to {uc_ref(target)} as related."
        else:
            line = f"{who} has a similar idea to {uc_ref(target)} and would like to talk to you about it."
        for pid in {target.business_owner_id, target.delivery_owner_id} - {None, ctx.person.id}:
            await ctx.notify_person(pid, Message([Text([line])]), use_case_id=target.id,
                                    key=f"uc:{target.id}:{how}:{ctx.person.id}:{new.id if new else 0}")

    async def after_answer(self, ctx: Ctx, step: Step, value: Any) -> None:
        if step.key == "similar" and isinstance(value, str) and value.startswith("tell:"):
            await self._tell_owners_of(ctx, int(value[5:]), None, "asked")
            ctx.say("I have let that idea's owners know you would like to talk. Your idea continues as a new one.")
            ctx.state.data = {**ctx.state.data, "similar": "new"}


def _risk_label(question: str) -> str:
    return question if len(question) <= 60 else question[:57] + "…"


def _tier_question(ctx: Ctx, data: dict) -> str:
    answers = {k[5:]: v for k, v in data.items() if k.startswith("risk:")}
    result = tier_for(ctx.policy.intake, answers)
    if result.reasons:
        why = "; ".join(f"“{q}” → {a}" for q, a in result.reasons)
        extra = " (several medium-risk answers together)" if result.escalated else ""
        because = f" because of{extra}: {why}."
    else:
        because = " because none of your answers raised it."
    return (f"Based on your answers this idea is {result.tier.upper()} risk{because} The tier decides how heavy its "
            "reviews are. Does that sound right?")


def _other_tiers(ctx: Ctx, data: dict) -> list[tuple[str, str]]:
    answers = {k[5:]: v for k, v in data.items() if k.startswith("risk:")}
    current = tier_for(ctx.policy.intake, answers).tier
    return [(t, t.capitalize()) for t in ("low", "medium", "high") if t != current]


async def _find_similar(ctx: Ctx, data: dict) -> bool:
    p = ctx.policy.intake
    rows = await use_cases.similarity_candidates(ctx.session)
    docs = [Doc(r[0], f"{r[1]} {r[2]} {r[3]}") for r in rows]
    query = f"{data.get('title', '')} {data.get('problem', '')} {data.get('outcome', '')}"
    matches = similar(query, docs, p.similar_threshold, p.similar_max)
    by_id = {r[0]: r for r in rows}
    found = []
    for uc_id, score in matches:
        r = by_id[uc_id]
        visible = not r[4] or ctx.person.id in (r[5], r[6])
        found.append({"id": uc_id, "title": r[1] if visible else "", "restricted": not visible, "score": score})
    ctx.state.data = {**data, "_similar": found}
    return bool(found)


def _similar_question(ctx: Ctx, data: dict) -> str:
    lines = []
    for m in data.get("_similar", []):
        if m["restricted"]:
            lines.append(f"• a restricted idea (UC-{m['id']}) looks similar; I can tell its owners about yours")
        else:
            lines.append(f"• UC-{m['id']} “{m['title']}”")
    return ("Before you submit: these existing ideas look similar to yours. Teams often duplicate pilots without "
            "knowing, so please have a look.\n" + "\n".join(lines))


def _similar_choices(ctx: Ctx, data: dict) -> list[tuple[str, str]]:
    out = []
    for m in data.get("_similar", []):
        if m["restricted"]:
            out.append((f"tell:{m['id']}", f"Tell UC-{m['id']}'s owners"))
        else:
            out.append((f"link:{m['id']}", f"Link to UC-{m['id']}"))
            out.append((f"join:{m['id']}", f"Join UC-{m['id']} instead"))
    out.append(("new", "Continue as a new idea"))
    return out


def submitted_message(ctx: Ctx, uc: UseCase, result) -> Message:
    tier_line = f"{result.tier.capitalize()} risk"
    if uc.tier_requested:
        tier_line += f" (you asked for {uc.tier_requested}; the risk reviewers will decide)"
    return Message([
        Header(f"{uc_ref(uc)} submitted: {uc.title}"),
        Facts([("Stage", "Exploration"), ("Risk tier", tier_line)]),
        Text(["Next: the owners score it against the pilot selection criteria and start its risk register. "
              "The owners have been told."]),
        Buttons([Button("Score pilot selection", "scorecard.start", {"uc": uc.id, "i": "pilot_selection"},
                        style="primary"),
                 Button("Add a risk", "risk.add", {"uc": uc.id}),
                 Button("Status", "status.show", {"uc": uc.id})]),
    ], fallback=f"{uc_ref(uc)} submitted: {uc.title}")


def named_owner_message(ctx: Ctx, uc: UseCase, role: str) -> Message:
    who = ctx.person.display_name or ctx.person.email or "A colleague"
    role_text = {"business_owner": "business owner", "delivery_owner": "delivery owner",
                 "sponsor": "executive sponsor"}[role]
    return Message([
        Header(f"You are the {role_text} of {uc_ref(uc)}"),
        Text([f"{who} proposed “{uc.title}” and named you its {role_text}."]),
        Facts([("Outcome", uc.outcome[:500]), ("Stage", "Exploration")]),
        Buttons([Button("Status", "status.show", {"uc": uc.id}),
                 Button("Score pilot selection", "scorecard.start", {"uc": uc.id, "i": "pilot_selection"})]),
    ], fallback=f"You are the {role_text} of {uc_ref(uc)}: {uc.title}")
