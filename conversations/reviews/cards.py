"""The review card a group sees in its channel (the view behind its Details button is in details.py).

The card is rebuilt from the database after every change and updated in place
everywhere it was posted (Slack, Teams, the local chat). Buttons carry the
review id only; every click is re-read and re-authorised on the server.
"""
from __future__ import annotations

from conversations.context import Ctx
from conversations.people import absence
from conversations.regulation.ai_act import fact as ai_act_fact
from conversations.reviews import changes as review_changes
from vocabulary.labels import group_name, stage_label, tier_label, uc_ref
from vocabulary.messages import Button, Buttons, Confirm, Context, Divider, Facts, Header, Message, Text
from vocabulary.policy import Policy
from vocabulary.text import clip, day, when
from conversations.reviews import rules
from conversations.reviews.card_data import CardData, load
from vocabulary.states import ConditionStatus, ScorecardStatus, TierOverride, UseCaseStatus

DECIDED = {
    rules.APPROVED: "Approved", rules.APPROVED_WITH_CONDITIONS: "Approved with conditions",
    rules.ESCALATED: "Escalated", rules.STOPPED: "Stopped", rules.CANCELLED: "Cancelled",
}
DECISION_WORDS = {
    rules.APPROVE: "approved", rules.APPROVE_WITH_CONDITIONS: "approved with conditions",
    rules.ESCALATE: "escalated", rules.STOP: "stopped",
}
FACT_LIMIT = 600


def tier_text(d: CardData) -> str:
    uc = d.uc
    why = "; ".join(f"{q} → {a}" for q, a in (uc.risk_tier_reasons or [])) or "no intake answer raised it"
    line = f"{tier_label(uc.effective_tier)} (from the intake answers: {why})"
    if uc.tier_override_status == TierOverride.ACCEPTED and uc.tier_requested:
        line = (f"{tier_label(uc.tier_requested)}: the owners' requested tier, accepted by the risk reviewers "
                f"(computed: {uc.risk_tier}; {why})")
    return clip(line, FACT_LIMIT)


def score_facts(policy: Policy, d: CardData) -> list[tuple[str, str]]:
    out = []
    for inst in (policy.pilot_selection, policy.readiness, policy.rollout_checklist, policy.vendor_checklist):
        got = d.scores.get(inst.key)
        if not got:
            continue
        sc, answers = got
        n = len(inst.items)
        status = "" if sc.status == ScorecardStatus.COMPLETE else f" (in progress, {len(answers)} of {n} answered)"
        if inst.key == policy.pilot_selection.key:
            total = sum(answers.values())
            strong = " — strong candidate" if total > policy.pilot_selection.strong_above and not status else ""
            out.append((inst.name, f"{total} of {inst.total_max}{strong}{status}"))
        elif inst.key == policy.readiness.key:
            total = sum(answers.values())
            band = next((b for b in policy.readiness.bands if b.min_total <= total <= b.max_total), None)
            low = [i.name for i in inst.items if answers.get(i.key, 99) < policy.readiness.hard_gate_min
                   and i.hard_gate]
            text = f"{total} of {inst.total_max}"
            if band and not status:
                text += f" — {band.label}"
            if low:
                text += f"; hard gates below {policy.readiness.hard_gate_min}: {', '.join(low)}"
            out.append((inst.name, text + status))
        else:
            ready = sum(1 for v in answers.values() if v)
            out.append((inst.name, f"{ready} of {n} ready{status}"))
    return out


def _decision_lines(d: CardData, policy: Policy) -> list[str]:
    lines = []
    for dec in d.decisions:
        word = DECISION_WORDS.get(dec.decision, dec.decision)
        why = f": {clip(dec.reason, 300)}" if dec.reason else ""
        lines.append(f"{d.decider(dec)} {word} on {when(dec.at)}{why}")
    return lines


def status_line(d: CardData, policy: Policy) -> str:
    rr = d.rr
    if rr.status in rules.OPEN:
        approvals = len({x.person_id for x in d.decisions if x.decision in (rules.APPROVE,
                                                                            rules.APPROVE_WITH_CONDITIONS)})
        need = f" · {approvals} of {rr.quorum} approvals" if rr.quorum > 1 else ""
        if rr.paused_at is not None:
            return f"Waiting: the clock is paused since {when(rr.paused_at)}{need}"
        return f"Open · due {when(rr.due_at)}{need}"
    if rr.status == rules.ESCALATED:
        to = group_name(policy, d.escalated_to.group_key) if d.escalated_to else "the next level"
        return f"Escalated to {to} on {when(rr.decided_at)}; the decision lies with them now"
    if rr.status == rules.CANCELLED:
        return f"Cancelled on {when(rr.decided_at)}: {clip(d.uc.status_reason, 200) or 'the review is no longer needed'}"
    deciders = ", ".join(dict.fromkeys(d.decider(x) for x in d.decisions)) or "aiom"
    return f"{DECIDED.get(rr.status, rr.status)} by {deciders} on {when(rr.decided_at)}"


def card(policy: Policy, d: CardData) -> Message:
    uc, rr, gate = d.uc, d.rr, d.gate
    gname = group_name(policy, rr.group_key)
    move = f"{stage_label(policy, gate.from_stage)} → {stage_label(policy, gate.to_stage)}"
    blocks: list = [Header(clip(f"Review for {gname}: {uc_ref(uc)} {uc.title}", 150))]
    intro = f"{uc_ref(uc)} asks to move {move}. {gname}: please decide with the buttons below."
    if d.escalated_from is not None:
        note = d.escalation
        reason = (note.data or {}).get("reason", "") if note else ""
        by = f" by {d.name(note.actor_id)}" if note and note.actor_id else ""  # their name, not their email
        intro = (f"Escalated to {gname} from {group_name(policy, d.escalated_from.group_key)}{by}"
                 + (f" because: {clip(reason, 300)}" if reason else "") + f". {uc_ref(uc)} asks to move {move}.")
    blocks.append(Text([intro]))
    owners = (f"business: {d.name(uc.business_owner_id)} · delivery: {d.name(uc.delivery_owner_id)} · "
              f"sponsor: {d.name(uc.sponsor_id) if uc.sponsor_id else 'none named'}")
    facts = [("Outcome", clip(uc.outcome, FACT_LIMIT)), ("Risk tier", tier_text(d))]
    facts += [f for f in [ai_act_fact(uc)] if f]
    if uc.tier_override_status == TierOverride.PENDING and uc.tier_requested:
        facts.append(("Requested tier", clip(f"{uc.tier_requested.capitalize()}, waiting for the risk reviewers. "
                                             f"Why: {uc.tier_justification}", FACT_LIMIT)))
    facts += [("Owners", owners), ("Proposed by", d.name(uc.proposer_id)),
              ("Vendor", uc.vendor_name or ("yes" if uc.vendor_involved else "none"))]
    blocks.append(Facts(facts))
    scores = score_facts(policy, d)
    if scores:
        blocks.append(Facts(scores))
    if d.risks:
        blocks.append(Text(["Top risks:\n" + "\n".join(
            f"• {_area(policy, r.area_key)} (impact {r.impact}, likelihood {r.likelihood}; owner "
            f"{d.name(r.owner_id)}): {clip(r.description, 200)}" for r in d.risks)]))
    if d.open_conditions:
        blocks.append(Text(["Open conditions:\n" + "\n".join(
            f"• #{c.id} {clip(c.text, 200)} (owner {d.name(c.owner_id)}, due {day(c.due_date)})"
            for c in d.open_conditions)]))
    closed_here = [c for c in d.own_conditions if c.status == ConditionStatus.CLOSED]
    if closed_here:
        blocks.append(Context("Closed: " + "; ".join(
            f"#{c.id} by {d.name(c.closed_by_id)} on {day(c.closed_at)} ({clip(c.evidence, 120)})"
            for c in closed_here)))
    changed = review_changes.text(policy, d) if rr.status in rules.OPEN else None
    if changed:
        blocks.append(Text([changed]))
    if d.readiness_blockers and rr.status in rules.OPEN:
        blocks.append(Text(["⚠ Readiness no longer meets this gate's rules, so it cannot be approved now:\n"
                            + "\n".join(f"• {clip(x, 300)}" for x in d.readiness_blockers[:5])
                            + "\nAsk the owners for more information (they can close the gaps and score again), "
                              "or stop it."]))
    elif d.needs_conditions and rr.status in rules.OPEN:
        blocks.append(Context("Readiness is in a band that passes only with conditions: approve with "
                              "conditions naming the gaps to close."))
    for info in d.infos:
        q = f"Question from {d.name(info.asked_by_id)} ({when(info.asked_at)}): {clip(info.question, 500)}"
        if info.answer is not None:
            a = f"Answer from {d.name(info.answered_by_id)} ({when(info.answered_at)}): {clip(info.answer, 800)}"
        elif rr.status in rules.OPEN:
            a = "Waiting for the owners' answer; the review clock is paused."
        else:
            a = "Not answered before the review closed."
        blocks.append(Text([q + "\n" + a]))
    lines = _decision_lines(d, policy)
    if lines:
        blocks.append(Text(["Decisions:\n" + "\n".join(f"• {x}" for x in lines)]))
    blocks.append(Divider())
    if d.undecidable:
        blocks.append(Context(f"Nobody can decide this review yet: {d.undecidable}. The owners and the aiom "
                              "admins have been told; an admin can add members in chat."))
    blocks.append(Context(f"Review {rr.id} · {status_line(d, policy)}"))
    blocks.extend(_buttons(policy, d))
    return Message(blocks, fallback=f"Review for {gname}: {uc_ref(uc)} {uc.title} ({status_line(d, policy)})")


def _area(policy: Policy, key: str) -> str:
    try:
        return policy.risk_register.area(key).name
    except KeyError:
        return key


def _buttons(policy: Policy, d: CardData) -> list:
    rr, uc = d.rr, d.uc
    r = {"r": rr.id}
    out = []
    if rr.status in rules.OPEN and uc.status == UseCaseStatus.ACTIVE:
        row = []
        if not d.needs_conditions and not d.readiness_blockers:
            row.append(Button("Approve", "review.approve", r, style="primary"))
        if not d.readiness_blockers:
            row.append(Button("Approve with conditions", "review.conditions", r))
        row.append(Button("Ask for more information", "review.info", r))
        group = policy.review.group(rr.group_key) if rr.group_key in {g.key for g in policy.review.groups} else None
        if group is not None and group.escalates_to:
            row.append(Button("Escalate", "review.escalate", r))
        row.append(Button("Stop", "review.stop", r, style="danger",
                          confirm=Confirm("Stop this use case?",
                                          f"Stopping ends {uc_ref(uc)} for good and tells everyone involved. "
                                          "You will be asked for the reason.", yes="Stop it", no="Keep it")))
        out.append(Buttons(row))
    extra = [Button("Details", "review.details", r)]
    if uc.tier_override_status == TierOverride.PENDING and rr.group_key == rules.tier_group(policy) \
            and uc.status == UseCaseStatus.ACTIVE:
        extra += [Button(f"Accept {uc.tier_requested} tier", "tier.decide", {"uc": uc.id, "c": "accept"}),
                  Button(f"Keep {uc.risk_tier} tier", "tier.decide", {"uc": uc.id, "c": "reject"})]
    if rr.group_key == policy.review.leadership_group and rr.status in rules.OPEN:
        if uc.status == UseCaseStatus.ACTIVE:
            extra += [Button("Pause", "leadership.pause", {"uc": uc.id}),
                      Button("Redirect", "leadership.redirect", {"uc": uc.id})]
        elif uc.status == UseCaseStatus.PAUSED:
            extra.append(Button("Resume", "leadership.resume", {"uc": uc.id}))
    out.append(Buttons(extra))
    return out


async def refresh(acting: Ctx, review_id: int) -> Message | None:
    """Rebuild a review's card and update every copy of it (Slack, Teams, console)."""
    d = await load(acting.session, acting.policy, review_id, acting.needs_conditions)
    if d is None:
        return None
    msg = card(acting.policy, d)
    await acting.update_everywhere(f"review:{review_id}", msg, key=f"review:{review_id}:card@{acting.last_seq}",
                                   use_case_id=d.uc.id)
    return msg


async def post(acting: Ctx, review_id: int) -> None:
    """Post a new review's card to its group's channels (remembered for in-place updates)."""
    d = await load(acting.session, acting.policy, review_id)
    msg = card(acting.policy, d)
    await acting.notify_group(d.rr.group_key, msg, key=f"review:{review_id}:card", remember_as=f"review:{review_id}",
                              use_case_id=d.uc.id, subject=f"review:{review_id}")
    await absence.tell_delegates(acting, d.rr, d.uc)  # members away: their delegates hear of it
