"""Propose an AI idea: the intake facts, the risk questions, the tier, similar ideas, submit."""
from __future__ import annotations

import re
from typing import Any

from conversations.context import Ctx
from conversations.regulation import ai_act as ai_act_flow
from conversations.intake import form as intake_form
from conversations.similar import search as similar_search
from conversations.intake import similar
from vocabulary.interaction import PersonHint
from vocabulary.labels import uc_ref
from vocabulary.messages import Button, Buttons, Context, Facts, Header, Message, Text
from conversations.people.lookup import person_for_hint
from vocabulary.policy.models import Intake, RiskQuestion
from vocabulary.rules.tier import tier_for
from conversations.stepflow import FROM_FORM, SUMMARY, StepFlow
from conversations.steps import Step, display_value
from storage.repo import use_cases
from storage.tables import Person, UseCase
from vocabulary.states import FlowStatus, TierOverride

METRIC_WORDS = re.compile(r"\d|%|percent|time|cost|rate|error|accuracy|minutes|hours|days|volume|backlog|"
                          r"satisfaction|nps|csat|revenue|throughput|turnaround|latency|first.contact", re.I)
# The vendor risk question's answers that mean "no vendor" (it is asked once, and says whether one is involved).
VENDOR_QUESTION = "vendor"
NO_VENDOR = {"none", "no"}
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
    noun = "proposal"
    submit_label = "Submit the idea"
    form_label = "Fill in a form instead"

    def intro(self, ctx: Ctx) -> Message:
        steps = self.steps(ctx)
        n = len([s for s in steps if not s.internal and s.when is None])
        k = len(ctx.policy.intake.risk_questions)
        return Message([Header("Let's capture your AI idea"),
                        Text([f"I'll ask {n} short questions (the last {k} about risk), then show you the risk tier "
                              "before you submit. If an existing idea looks like yours, I'll show it right after "
                              "the first three. Your answers are saved as you go, so you "
                              "can stop and come back. Prefer one screen? Use the form button."])])

    def steps(self, ctx: Ctx) -> list[Step]:
        p = ctx.policy.intake
        vendor_q = vendor_question(p)
        vendor_name = Step("vendor_name", "Vendor name", "Which vendor or product?", max_len=200,
                           when=lambda d: vendor_involved(p, d))
        base = [
            Step("title", "Name", "What should we call this idea? A short name is enough.",
                 max_len=p.title_max, hint="For example: Claims triage assistant"),
            Step("problem", "Problem", "What problem does it solve, and for whom? Describe today's pain plainly.",
                 min_len=10),
            Step("outcome", "Outcome statement",
                 "In one sentence: what will be better, measured how, and with which control in place?",
                 hint=p.outcome_hint, coach=coach_outcome, min_len=10),
            # Right after title, problem and outcome: a proposer learns about a pilot they would duplicate
            # before answering the rest.
            Step("similar", "Similar ideas", similar.question, kind="choice", internal=True,
                 prepare=similar.find, choices=similar.choices),
            Step("value_stream", "Process / value stream", "Which process or value stream does it touch?",
                 hint="For example: claims handling, month-end close, customer onboarding"),
            Step("theme", "Strategic theme", "Which strategic theme does it serve best?", kind="choice",
                 choices=[(c.key, c.label) for c in p.themes]),
            Step("affected_users", "Affected users", "Who will use it, or be affected by what it produces?"),
            Step("data_used", "Data used", "What data would it use? Name the main sources.",
                 hint="A later question asks how sensitive that data is."),
        ]
        if vendor_q is None:  # a policy without a vendor risk question: ask it plainly
            base += [Step("vendor", "Vendor involved", "Would a third-party vendor or model provider be involved?",
                          kind="yesno"), vendor_name]
        base += [
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
        risk: list[Step] = []
        for q in p.risk_questions:
            risk.append(Step(f"risk:{q.key}", risk_label(q), q.question, kind="choice", help=q.help,
                             choices=[(o.key, o.label) for o in q.options]))
            if vendor_q is not None and q.key == vendor_q.key:
                risk.append(vendor_name)
        tail = [
            Step("tier_choice", "Risk tier", _tier_question, kind="choice", internal=True,
                 choices=[("accept", "That tier is right"), ("change", "Ask for a different tier")]),
            Step("tier_requested", "Requested tier", "Which tier do you think fits, and why?", kind="choice",
                 when=lambda d: d.get("tier_choice") == "change", choices=_other_tiers),
            Step("tier_justification", "Why a different tier",
                 "Please explain why. The risk reviewers will see this and decide whether to accept it.",
                 when=lambda d: d.get("tier_choice") == "change", min_len=10),
        ]
        return base + risk + ai_act_flow.steps(ctx) + tail

    async def after_answer(self, ctx: Ctx, step: Step, value: Any) -> None:
        if step.key != "similar":
            return
        await similar.record_answer(ctx, ctx.state.data)
        if similar.joining(ctx.state.data):  # joining an existing idea needs none of the other answers
            return await self.ask(ctx, SUMMARY)
        if ctx.state.data.get("_from_form"):  # asked after a form: go on after the form's questions
            ctx.state.data = {k: v for k, v in ctx.state.data.items() if k != "_from_form"}
            await self.advance(ctx, after=intake_form.form_steps(self.steps(ctx))[-1].key)

    def submit_text(self, ctx: Ctx) -> str:
        return similar.submit_label(ctx.state.data) or self.submit_label

    def summary_extra(self, ctx: Ctx) -> list:
        d = ctx.state.data
        if similar.joining(d):
            return [Context(similar.summary_line(d))]
        result = self.tier(ctx)
        why = "; ".join(f"{q} → {a}" for q, a in result.reasons) or "no answer raised it"
        lines = [f"Risk tier: {result.tier} ({why})."]
        if d.get("tier_choice") == "change" and d.get("tier_requested"):
            lines.append(f"You asked for {d['tier_requested']}: {REQUEST_APPLIES}")
        extra = [Context(" ".join(lines))]
        act_line = ai_act_flow.summary_line(ctx.policy, d)
        if act_line:
            extra.append(Context(act_line))
        line = similar.summary_line(d)
        if line:
            extra.append(Context(line))
        return extra

    def tier(self, ctx: Ctx):
        return tier_for(ctx.policy.intake, risk_answers(ctx.state.data))

    def build_form(self, ctx: Ctx):
        return intake_form.build(ctx, self.steps(ctx))

    async def on_form(self, ctx: Ctx, values: dict) -> None:
        steps = self.steps(ctx)
        form = self.build_form(ctx)
        data, errors = intake_form.read(ctx, steps, values)
        if errors:
            ctx.form_errors(form, errors)
            return
        ctx.state.data = {k: v for k, v in {**ctx.state.data, **data}.items() if k != FROM_FORM}
        ctx.state.history = [s.key for s in steps if s.key in data]
        ctx.say(Message([Context("Thanks, I have your form. A couple more things before you submit:")]))
        # The similar ideas first (the form asked title, problem and outcome), then what the form did not ask.
        if await similar.find(ctx, ctx.state.data):
            ctx.state.data = {**ctx.state.data, "_from_form": True}
            return await self.ask(ctx, "similar")
        await self.advance(ctx, after=intake_form.form_steps(steps)[-1].key)

    async def submit(self, ctx: Ctx) -> None:
        d = ctx.state.data
        choice = d.get("similar") or similar.NEW
        target = None
        if choice.startswith(("link:", "join:")):
            target = await similar.open_target(ctx, similar.target_of(choice))
            if target is None:
                ctx.say("The idea you chose is no longer open, so I could not use it. Please choose again.")
                return await self.ask(ctx, "similar")
        if choice.startswith("join:"):
            return await self._join(ctx, target)
        result = self.tier(ctx)
        owners: dict[str, Person] = {}
        for role in ("business_owner", "delivery_owner", "sponsor"):
            hint = d.get(role)
            if hint:
                owners[role] = await person_for_hint(ctx.session, PersonHint(**hint))
        requested = d.get("tier_requested") if d.get("tier_choice") == "change" else None
        vendor = vendor_involved(ctx.policy.intake, d)
        uc = await use_cases.create(
            ctx.session, title=d["title"], problem=d["problem"], outcome=d["outcome"],
            value_stream=d["value_stream"], theme=d["theme"], affected_users=d["affected_users"],
            data_used=d["data_used"], data_sensitivity=d.get("risk:data_sensitivity", ""),
            vendor_involved=vendor, vendor_name=(d.get("vendor_name") or "") if vendor else "",
            target_timeline=d["timeline"], proposer_id=ctx.person.id,
            business_owner_id=owners["business_owner"].id, delivery_owner_id=owners["delivery_owner"].id,
            sponsor_id=owners["sponsor"].id if "sponsor" in owners else None,
            risk_answers=risk_answers(d), risk_tier=result.tier,
            risk_tier_reasons=[list(r) for r in result.reasons], tier_requested=requested,
            tier_justification=(d.get("tier_justification") or "") if requested else "",
            tier_override_status=TierOverride.PENDING if requested else TierOverride.NONE,
            linked_to_id=target.id if target is not None else None,
            created_at=ctx.now, updated_at=ctx.now, stage_entered_at=ctx.now, **ai_act_flow.fields(ctx.policy, d))
        await similar_search.refresh(ctx.session, uc.id, uc.title, uc.problem, uc.outcome, at=ctx.now)
        await self._audit_facts(ctx, uc.id)
        await ai_act_flow.at_intake(ctx, uc, d)
        await ctx.audit("use_case.tier_set", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                        data={"tier": result.tier, "reasons": [list(r) for r in result.reasons]})
        if requested:
            await ctx.audit("use_case.tier_override_requested", entity="use_case", entity_id=uc.id,
                            use_case_id=uc.id, data={"requested": requested,
                                                     "justification": d.get("tier_justification")})
        await similar.audit_choice(ctx, d, uc.id)
        if target is not None:
            await ctx.audit("use_case.linked", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                            data={"linked_to": target.id})
            await similar.tell_owners(ctx, target, uc, "linked")
        await similar.tell_restricted(ctx, d, uc)
        ctx.state.status = FlowStatus.DONE
        ctx.say(submitted_message(ctx, uc, result, owners, linked=target))
        for role, person in owners.items():
            if person.id != ctx.person.id:
                await ctx.notify_person(person.id, named_owner_message(ctx, uc, role), use_case_id=uc.id,
                                        key=f"uc:{uc.id}:named:{role}:{person.id}")

    async def _audit_facts(self, ctx: Ctx, uc_id: int) -> None:
        """Every answered fact in one entry, then each answer changed before submitting (with when)."""
        d = ctx.state.data
        facts = {k: v for k, v in d.items() if not k.startswith("_")}
        await ctx.audit("use_case.proposed", entity="use_case", entity_id=uc_id, use_case_id=uc_id, data=facts)
        for change in d.get("_changes", []):
            try:
                step = self.step(ctx, change["key"])
            except KeyError:
                continue
            await ctx.audit("use_case.intake_answer_changed", entity="use_case", entity_id=uc_id,
                            use_case_id=uc_id,
                            data={"field": step.key, "label": step.label, "at": change["at"],
                                  "from": display_value(step, ctx, d, change["from"]),
                                  "to": display_value(step, ctx, d, change["to"])})

    async def _join(self, ctx: Ctx, target: UseCase) -> None:
        d = ctx.state.data
        await use_cases.add_contributor(ctx.session, target.id, ctx.person.id)
        facts = {k: v for k, v in d.items() if not k.startswith("_")}
        await ctx.audit("use_case.joined", entity="use_case", entity_id=target.id, use_case_id=target.id,
                        data={"instead_of_new": d.get("title"), "facts": facts})
        await similar.audit_choice(ctx, d, target.id)
        ctx.state.status = FlowStatus.DONE
        ctx.say(Message([Text([f"Done: you have joined {uc_ref(target)} “{target.title}” instead of starting a "
                               "duplicate. Its owners know you are interested and will be in touch."]),
                         Buttons([Button("Status", "status.show", {"uc": target.id})])],
                        fallback=f"You joined {uc_ref(target)}"))
        await similar.tell_owners(ctx, target, None, "joined")


REQUEST_APPLIES = "a requested tier applies only once the risk reviewers accept it; until then the tier above counts."


def vendor_question(intake: Intake) -> RiskQuestion | None:
    return next((q for q in intake.risk_questions if q.key == VENDOR_QUESTION), None)


def vendor_involved(intake: Intake, data: dict) -> bool:
    """Derived from the one vendor question (the risk question when the policy has it)."""
    if vendor_question(intake) is None:
        return data.get("vendor") == "yes"
    answer = data.get(f"risk:{VENDOR_QUESTION}")
    return answer is not None and answer not in NO_VENDOR


def risk_answers(data: dict) -> dict[str, str]:
    return {k[5:]: v for k, v in data.items() if k.startswith("risk:")}


def risk_label(q: RiskQuestion) -> str:
    """A short label for summaries and the "change an answer" list (the question itself is asked in full)."""
    return q.key.replace("_", " ").capitalize()


def _tier_question(ctx: Ctx, data: dict) -> str:
    result = tier_for(ctx.policy.intake, risk_answers(data))
    if result.reasons:
        why = "; ".join(f"“{q}” → {a}" for q, a in result.reasons)
        extra = " (several medium-risk answers together)" if result.escalated else ""
        because = f" because of{extra}: {why}."
    else:
        because = " because none of your answers raised it."
    return (f"Based on your answers this idea is {result.tier.upper()} risk{because} The tier decides how heavy its "
            "reviews are. Does that sound right?")


def _other_tiers(ctx: Ctx, data: dict) -> list[tuple[str, str]]:
    current = tier_for(ctx.policy.intake, risk_answers(data)).tier
    return [(t, t.capitalize()) for t in ("low", "medium", "high") if t != current]


def submitted_message(ctx: Ctx, uc: UseCase, result, owners: dict[str, Person],
                      linked: UseCase | None = None) -> Message:
    tier_line = f"{result.tier.capitalize()} risk"
    if uc.tier_requested:
        tier_line += f" (you asked for {uc.tier_requested}: that applies only once the risk reviewers accept it)"
    facts = [("Stage", "Exploration"), ("Risk tier", tier_line)]
    if ai_act_flow.fact(uc):
        facts.append(ai_act_flow.fact(uc))
    if linked is not None:
        facts.append(("Linked to", f"{uc_ref(linked)} “{linked.title}”"))
    owner_ids = {owners[r].id for r in ("business_owner", "delivery_owner") if r in owners}
    is_owner = ctx.person.id in owner_ids
    buttons = []
    if is_owner:
        buttons.append(Button("Score pilot selection", "scorecard.start", {"uc": uc.id, "i": "pilot_selection"},
                              style="primary"))
    buttons += [Button("Add a risk", "risk.add", {"uc": uc.id}), Button("Status", "status.show", {"uc": uc.id})]
    told = "The owners have been told." if owner_ids - {ctx.person.id} else ""
    blocks: list = [
        Header(f"{uc_ref(uc)} submitted: {uc.title}"),
        Facts(facts),
        Text([f"Next: the owners score it against the pilot selection criteria and start its risk register. {told}"
              .strip()]),
        Buttons(buttons),
    ]
    bo = owners.get("business_owner")
    if not is_owner and ctx.platform == "console" and bo is not None and bo.email:
        me = ctx.person.email or ""
        blocks.append(Context(f"In this local chat you can play the owner: type /as {bo.email} to act as the "
                              f"business owner{f', and /as {me} to come back' if me else ''}."))
    return Message(blocks, fallback=f"{uc_ref(uc)} submitted: {uc.title}")


def named_owner_message(ctx: Ctx, uc: UseCase, role: str) -> Message:
    who = ctx.person.display_name or ctx.person.email or "A colleague"
    role_text = {"business_owner": "business owner", "delivery_owner": "delivery owner",
                 "sponsor": "executive sponsor"}[role]
    buttons = [Button("Status", "status.show", {"uc": uc.id})]
    if role != "sponsor":  # only the owners answer scorecards
        buttons.append(Button("Score pilot selection", "scorecard.start", {"uc": uc.id, "i": "pilot_selection"}))
    return Message([
        Header(f"You are the {role_text} of {uc_ref(uc)}"),
        Text([f"{who} proposed “{uc.title}” and named you its {role_text}."]),
        Facts([("Outcome", uc.outcome[:500]), ("Stage", "Exploration")]),
        Buttons(buttons),
    ], fallback=f"You are the {role_text} of {uc_ref(uc)}: {uc.title}")
