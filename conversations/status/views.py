"""How status looks: "my" overview, one use case's full state, and the leaders' portfolio.

Pure builders over data the handlers in status.py read. Every list is cut to its top N with
"and 12 more", so a message stays well inside Slack's 50 blocks and Teams' card size.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from vocabulary.text import clip, day
from conversations.regulation.ai_act import fact as ai_act_fact
from conversations.scorecards.views import SHORT, names, rows
from vocabulary.labels import stage_label
from vocabulary.messages import Block, Button, Buttons, Context, Divider, Facts, Header, Message, Text
from vocabulary.policy import Policy
from vocabulary.rules import scoring
from vocabulary.rules.gates import GateCheck, GateFacts
from vocabulary import states
from vocabulary.states import CLOSED_USE_CASE, ReviewStatus, TierOverride

ROLE_TEXT = {"business_owner": "business owner", "delivery_owner": "delivery owner", "sponsor": "sponsor",
             "proposer": "proposer", "contributor": "joined"}
MAX_IDEAS = 8
MAX_LIST = 5


def more(n: int) -> str:
    return f"and {n} more" if n > 0 else ""


def status_text(uc) -> str:
    if uc.status == states.UseCaseStatus.ACTIVE:
        return "Active"
    reason = f": {clip(uc.status_reason, 200)}" if uc.status_reason else ""
    return uc.status.capitalize() + reason


def tier_text(uc) -> str:
    out = f"{uc.risk_tier.capitalize()} risk"
    if uc.tier_requested:
        state = {TierOverride.PENDING: "waiting for the risk reviewers", TierOverride.ACCEPTED: "accepted",
                 TierOverride.REJECTED: "not accepted"}.get(uc.tier_override_status, uc.tier_override_status)
        out += f" · {uc.tier_requested} requested ({state})"
        if uc.tier_override_status == TierOverride.ACCEPTED:
            out = f"{uc.tier_requested.capitalize()} risk (changed from {uc.risk_tier} on request)"
    return out


# -- scores -----------------------------------------------------------------------------------
def score_facts(policy: Policy, f: GateFacts, started: set[str]) -> list[tuple[str, str]]:
    out = []
    ps = policy.pilot_selection
    if f.pilot_selection_total is not None:
        strong = scoring.is_strong_candidate(policy, f.pilot_selection_total)
        out.append((ps.name, f"{f.pilot_selection_total} of {ps.total_max}"
                    + (" · strong candidate" if strong else " · not a strong candidate")))
    elif scoring.PILOT_SELECTION in started:
        out.append((ps.name, f"in progress, {f.pilot_selection_answered} of {len(ps.items)} scored"))
    rd = policy.readiness
    if f.readiness_complete:
        r = scoring.readiness_result(policy, f.readiness_answers)
        text = f"{r.total} of {rd.total_max} · {r.band.label.lower()}"
        if r.hard_gate_failures:
            text += f" · hard gates below {rd.hard_gate_min}: " + \
                names(policy, scoring.READINESS, r.hard_gate_failures, f.readiness_answers)
        pending = [k for k, ok in f.areas_at_one_reviewed.items() if not ok]
        if pending:
            text += f" · awaiting explicit review: {names(policy, scoring.READINESS, pending)}"
        out.append((rd.name, text))
    elif scoring.READINESS in started:
        out.append((rd.name, f"in progress, {len(f.readiness_answers)} of {len(rd.items)} scored"))
    if scoring.ROLLOUT_CHECKLIST in started:
        r = scoring.checklist_result(policy.rollout_checklist, f.rollout_answers)
        text = f"{r.ready} of {r.of} ready" + ("" if r.complete else f" ({r.answered} answered)")
        out.append((policy.rollout_checklist.name, text))
    if f.vendor_involved and scoring.VENDOR_CHECKLIST in started:
        n = len(policy.vendor_checklist.items)
        out.append((policy.vendor_checklist.name, "complete" if f.vendor_complete else
                    f"in progress, {f.vendor_answered} of {n} answered"))
    return out


def gate_blocks(policy: Policy, uc, gate, check: GateCheck | None, pending_reviews: int) -> list[Block]:
    if gate is None:
        return [Text(["Next: this is the last stage. Keep reporting its KPIs and incidents; reviews continue on "
                      "their cadence."])]
    to = stage_label(policy, gate.to_stage)
    if pending_reviews:
        return [Text([f"Next: the move to {to} is under review ({pending_reviews} group"
                      f"{'s' if pending_reviews != 1 else ''} still to decide)."])]
    if check.ok:
        cond = " It will pass only with conditions attached (moderate readiness)." if check.needs_conditions else ""
        return [Text([f"Next: everything the gate to {to} needs is in place. An owner can ask for the review: "
                      f"move UC-{uc.id}.{cond}"])]
    lines = [f"• {m.what}\n   → {m.how}" for m in check.missing[:8]]
    if len(check.missing) > 8:
        lines.append(more(len(check.missing) - 8))
    return [Text([f"Missing for the move to {to}:\n" + "\n".join(lines)])]


@dataclass
class ReviewLine:
    group_name: str
    due_at: datetime
    status: str
    uc_id: int
    uc_title: str


# -- one use case --------------------------------------------------------------------------------
@dataclass
class UseCaseStatus:
    uc: object
    names: dict[int, str]
    facts: GateFacts
    started: set[str]
    gate: object
    check: GateCheck | None
    risks: list = field(default_factory=list)  # top open risks
    open_risks: int = 0
    reviews: list[ReviewLine] = field(default_factory=list)
    conditions: list = field(default_factory=list)
    reminders: list = field(default_factory=list)
    kpi_blocks: list = field(default_factory=list)
    incident_blocks: list = field(default_factory=list)  # open incidents (incident_cards.incident_blocks)
    linked: str = ""  # the idea it was linked to at intake
    contributors: list[str] = field(default_factory=list)  # people who joined it
    is_owner: bool = False
    may_report: bool = False  # live: an incident can be reported on it
    may_lift_limit: bool = False  # limited, and the viewer may lift the limit
    today: date | None = None
    # What the latest readiness scorecard breaks of the rules the current stage was reached under.
    readiness_drop: list[str] = field(default_factory=list)


def use_case_message(policy: Policy, s: UseCaseStatus, risk_line) -> Message:
    uc = s.uc
    name = lambda pid: s.names.get(pid, "nobody yet") if pid else "nobody yet"  # noqa: E731
    stage = stage_label(policy, uc.stage) + f" since {day(uc.stage_entered_at)}"
    facts = [("Stage", stage), ("Status", status_text(uc)), ("Risk tier", tier_text(uc)),
             ("Business owner", name(uc.business_owner_id)), ("Delivery owner", name(uc.delivery_owner_id)),
             ("Sponsor", name(uc.sponsor_id)), ("Proposed by", name(uc.proposer_id))]
    facts[3:3] = [f for f in [ai_act_fact(uc)] if f]
    if s.contributors:
        shown = s.contributors[:MAX_LIST]
        facts.append(("Joined by", ", ".join(shown) + (f" {more(len(s.contributors) - len(shown))}"
                                                       if len(s.contributors) > len(shown) else "")))
    if s.linked:
        facts.append(("Linked to", s.linked))
    if uc.scope_limit:
        facts.append(("Scope", clip(uc.scope_limit, 400)))
    if uc.pilot_exit_date and uc.stage == "pilot":
        late = " (passed, decision needed)" if s.today and uc.pilot_exit_date < s.today else ""
        facts.append(("Pilot exit date", day(uc.pilot_exit_date) + late))
    if uc.restricted:
        facts.append(("Visibility", "Restricted"))
    blocks: list[Block] = [Header(clip(f"UC-{uc.id} · {uc.title}", 150)), Facts(facts),
                           Text([f"Outcome: {clip(uc.outcome, 600)}"])]
    scores = score_facts(policy, s.facts, s.started)
    blocks.append(Divider())
    blocks.append(Facts(scores) if scores else Context("No scorecard started yet."))
    if s.readiness_drop:
        blocks.append(Text([f"⚠ Readiness dropped after the gate to {stage_label(policy, uc.stage)} passed: the "
                            "latest scorecard no longer meets the readiness rules.\n"
                            + "\n".join(f"• {clip(r, 300)}" for r in s.readiness_drop[:MAX_LIST])]))
    if s.open_risks:
        lines = [risk_line(r) for r in s.risks]
        hidden = more(s.open_risks - len(s.risks))
        blocks.append(Text([f"Top open risks ({s.open_risks} in the register):\n" + "\n".join(lines)
                            + (f"\n{hidden}" if hidden else "")]))
    else:
        blocks.append(Context(f"Risk register: {'no open risks' if s.facts.risk_entries else 'not started'}."))
    if s.reviews:
        lines = []
        for r in s.reviews[:MAX_LIST]:
            waiting = " · waiting for the owners' answer" if r.status == ReviewStatus.INFO_REQUESTED else ""
            overdue = " (overdue)" if s.today and r.due_at.date() < s.today else ""
            lines.append(f"• {r.group_name} · due {day(r.due_at)}{overdue}{waiting}")
        hidden = more(len(s.reviews) - MAX_LIST)
        blocks.append(Text(["Pending reviews:\n" + "\n".join(lines) + (f"\n{hidden}" if hidden else "")]))
    if s.conditions:
        lines = []
        for c in s.conditions[:MAX_LIST]:
            overdue = " (overdue)" if s.today and c.due_date < s.today else ""
            lines.append(f"• #{c.id} {clip(c.text, 160)} · {name(c.owner_id)} · due {day(c.due_date)}{overdue}")
        hidden = more(len(s.conditions) - MAX_LIST)
        blocks.append(Text(["Open conditions:\n" + "\n".join(lines) + (f"\n{hidden}" if hidden else "")]))
    if s.kpi_blocks:
        blocks.extend(s.kpi_blocks)
    if s.incident_blocks:
        blocks.append(Text(["Open incidents:"]))
        blocks.extend(s.incident_blocks)
    blocks.extend(gate_blocks(policy, uc, s.gate, s.check, len(s.reviews)))
    if s.reminders:
        blocks.append(Context("Recent reminders: " + "; ".join(
            f"{day(o.created_at)} {clip(o.message.get('fallback', '') or o.subject, 80)}" for o in s.reminders)))
    buttons = []
    if s.is_owner and uc.status not in CLOSED_USE_CASE:
        buttons.append(Button("Score", "scorecard.start", {"uc": uc.id}, style="primary"))
        if s.gate is not None and s.check is not None and s.check.ok and not s.reviews:
            buttons.append(Button(f"Ask to move to {stage_label(policy, s.gate.to_stage)}", "gate.request",
                                  {"uc": uc.id}))
    if s.may_lift_limit:
        buttons.append(Button("Lift the limit", "incident.lift_limit", {"uc": uc.id}))
    buttons += [Button("Risk register", "risk.list", {"uc": uc.id}), Button("KPIs", "kpi.list", {"uc": uc.id})]
    if s.may_report:
        buttons.append(Button("Report an incident", "incident.report", {"uc": uc.id}))
    buttons.append(Button("Refresh", "status.show", {"uc": uc.id}))
    blocks.append(Buttons(buttons))
    return Message(blocks, fallback=f"UC-{uc.id} {uc.title}: {stage_label(policy, uc.stage)}, {status_text(uc)}")


# -- my ---------------------------------------------------------------------------------------------
@dataclass
class IdeaLine:
    uc: object
    roles: tuple[str, ...]
    next_step: str


def my_message(policy: Policy, ideas: list[IdeaLine], total_ideas: int, waiting: list[ReviewLine], owed: list,
               today: date) -> Message:
    blocks: list[Block] = [Header("Your AI ideas")]
    if not ideas:
        blocks.append(Text(["You are not part of any idea yet. Propose one, or ask to join an existing one."]))
    for i in ideas:
        uc = i.uc
        roles = ", ".join(ROLE_TEXT.get(r, r) for r in i.roles)
        live = uc.status == states.UseCaseStatus.ACTIVE
        state = stage_label(policy, uc.stage) + ("" if live else f" · {status_text(uc)}")
        blocks.append(Text([f"UC-{uc.id} · {clip(uc.title, 90)}\n{state} · you: {roles}\nNext: {i.next_step}"]))
    if total_ideas > len(ideas):
        blocks.append(Context(more(total_ideas - len(ideas)) + " (type status UC-n for any of them)"))
    if ideas:
        blocks.extend(rows([Button(f"Status UC-{i.uc.id}", "status.show", {"uc": i.uc.id}) for i in ideas]))
    blocks.append(Divider())
    if waiting:
        lines = []
        for w in waiting[:MAX_LIST]:
            overdue = " (overdue)" if w.due_at.date() < today else ""
            asked = " · waiting for the owners' answer" if w.status == ReviewStatus.INFO_REQUESTED else ""
            lines.append(f"• UC-{w.uc_id} · {clip(w.uc_title, 70)} · {w.group_name} review · due "
                         f"{day(w.due_at)}{overdue}{asked}")
        hidden = more(len(waiting) - MAX_LIST)
        blocks.append(Text(["Reviews waiting for you:\n" + "\n".join(lines) + (f"\n{hidden}" if hidden else "")]))
    else:
        blocks.append(Context("No reviews are waiting for you."))
    if owed:
        lines = []
        for o in owed[:MAX_LIST]:
            sc = o.scorecard
            n = len(scoring.instrument(policy, sc.instrument).items)
            lines.append(f"• UC-{o.use_case.id} · {SHORT[sc.instrument]} {sc.answered}/{n} · last answer "
                         f"{day(sc.last_answer_at)}")
        hidden = more(len(owed) - MAX_LIST)
        blocks.append(Text(["Scorecards you still owe:\n" + "\n".join(lines) + (f"\n{hidden}" if hidden else "")]))
        blocks.extend(rows([Button(f"Continue UC-{o.use_case.id} {SHORT[o.scorecard.instrument].lower()}",
                                   "scorecard.start", {"uc": o.use_case.id, "i": o.scorecard.instrument})
                            for o in owed[:MAX_LIST]]))
    else:
        blocks.append(Context("No scorecards are waiting for your answers."))
    blocks.append(Buttons([Button("Propose an AI idea", "propose.start"), Button("Help", "help.show")]))
    return Message(blocks, fallback=f"Your AI ideas: {total_ideas}")


# -- portfolio --------------------------------------------------------------------------------------
@dataclass
class Decision:
    text: str
    uc_id: int


def portfolio_message(policy: Policy, counts: dict[str, dict[str, int]], total: int, limbo: list,
                      decisions: list[Decision], today: date) -> Message:
    blocks: list[Block] = [Header("AI portfolio"),
                           Context(f"{total} use case{'s' if total != 1 else ''} · {day(today)}")]
    facts = []
    for st in policy.stages:
        c = counts.get(st.key, {})
        n = sum(c.values())
        detail = ", ".join(f"{v} {k}" for k, v in sorted(c.items()) if k != states.UseCaseStatus.ACTIVE)
        active = c.get(states.UseCaseStatus.ACTIVE, 0)
        facts.append((st.label, f"{n}" + (f" ({active} active; {detail})" if detail else "")))
    blocks.append(Facts(facts))
    if limbo:
        lines = [f"• UC-{uc.id} · {clip(uc.title, 80)} · exit date {day(uc.pilot_exit_date)}"
                 for uc in limbo[:MAX_LIST]]
        hidden = more(len(limbo) - MAX_LIST)
        blocks.append(Text([f"Pilots past their exit date without a decision ({len(limbo)}):\n" + "\n".join(lines)
                            + (f"\n{hidden}" if hidden else "")]))
    else:
        blocks.append(Context("No pilot is past its exit date."))
    if decisions:
        lines = [f"• {d.text}" for d in decisions[:MAX_LIST]]
        hidden = more(len(decisions) - MAX_LIST)
        blocks.append(Text(["Needing a decision now:\n" + "\n".join(lines) + (f"\n{hidden}" if hidden else "")]))
        seen: list[int] = []
        for d in decisions[:MAX_LIST]:
            if d.uc_id not in seen:
                seen.append(d.uc_id)
        blocks.extend(rows([Button(f"Status UC-{i}", "status.show", {"uc": i}) for i in seen]))
    else:
        blocks.append(Context("Nothing is waiting for a decision."))
    return Message(blocks, fallback=f"AI portfolio: {total} use cases")
