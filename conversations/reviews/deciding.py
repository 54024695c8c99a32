"""Recording a group's decision on a review: approve, approve with conditions, escalate, stop.

Each call locks the use case row first, then re-reads the review, re-checks the
decider's right to decide, and only then writes. The review part is closed
with a conditional UPDATE (`… WHERE status IN ('pending', 'info_requested')`)
before the decision row is inserted, and the decision row is unique per
(review, person): two clicks at once — the same person twice, or two members
where one suffices — leave exactly one decision.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from conversations.people import absence
from conversations.context import Ctx, Refusal
from vocabulary.labels import group_name, plural, uc_ref
from vocabulary.messages import Button, Buttons, Header, Message, Text
from vocabulary.policy import Policy
from vocabulary.text import day, when
from conversations.reviews import gating, lifecycle, readiness, rules
from storage.repo import absences, conditions, people, reviews
from storage.tables import ReviewRequest, UseCase
from conversations.reviews import cards as review_cards
from conversations.groups import alerts
from conversations.reviews.card_data import needs_conditions as needs
from vocabulary.states import UseCaseStatus

WORDS = {rules.APPROVE: "approved", rules.APPROVE_WITH_CONDITIONS: "approved with conditions",
         rules.ESCALATE: "escalated", rules.STOP: "stopped"}


@dataclass(frozen=True)
class NewCondition:
    text: str
    owner_id: int
    due: date


async def lock(acting: Ctx, review_id: int) -> tuple[ReviewRequest, UseCase]:
    """The review and its use case, with the use case row locked (Postgres) for the rest of the transaction."""
    rr = await reviews.get_review(acting.session, review_id)
    if rr is None:
        raise Refusal("I could not find that review any more, so nothing was recorded.")
    uc = await reviews.lock_use_case(acting.session, rr.use_case_id)
    if acting.session.bind.dialect.name != "sqlite":  # SQLite: the write transaction began holding the lock
        rr = await reviews.get_review(acting.session, review_id)  # as committed once the lock is held
    return rr, uc


async def closed_text(acting: Ctx, rr: ReviewRequest) -> str:
    """What a click on a card that is no longer open is told."""
    decs = await reviews.decisions(acting.session, [rr.id])
    names = await people.get_many(acting.session, [d.person_id for d in decs])
    who = ", ".join(dict.fromkeys((names[d.person_id].display_name or names[d.person_id].email or "someone")
                                  for d in decs if d.person_id in names))
    at = when(rr.decided_at)
    if rr.status == rules.ESCALATED:
        note = await reviews.escalation_note(acting.session, rr.id, rr.use_case_id)
        escalator = await people.get(acting.session, note.actor_id) if note is not None and note.actor_id else None
        by = (f" by {escalator.display_name or escalator.email}" if escalator is not None else
              f" by {note.actor_label}" if note is not None and note.actor_id else " automatically")
        return f"This review was already escalated{by} at {at}; the decision now lies with the next level."
    if rr.status == rules.CANCELLED:
        return f"This review was cancelled at {at}, so it no longer takes decisions."
    word = {rules.APPROVED: "approved", rules.APPROVED_WITH_CONDITIONS: "approved with conditions",
            rules.STOPPED: "stopped"}.get(rr.status, rr.status)
    return f"This review was already decided by {who or 'someone'} at {at} ({word}). Nothing was changed."


async def check_open(acting: Ctx, rr: ReviewRequest, uc: UseCase) -> None:
    if rr.status not in rules.OPEN:
        raise Refusal(await closed_text(acting, rr))
    if uc.status == UseCaseStatus.PAUSED:
        raise Refusal(f"{uc_ref(uc)} is paused by leadership, so its reviews wait until it is resumed.")
    if uc.status != UseCaseStatus.ACTIVE:
        raise Refusal(f"{uc_ref(uc)} was {uc.status}, so this review no longer takes decisions.")


def check_right(policy: Policy, clicker: rules.Clicker, rr: ReviewRequest, uc: UseCase) -> None:
    group = policy.review.group(rr.group_key)
    why = rules.decision_refusal(clicker, group.members, group.name, rules.involved_roles(uc))
    if why:
        raise Refusal(why)


async def decide(acting: Ctx, review_id: int, decision: str, clicker: rules.Clicker, *, reason: str = "",
                 new_conditions: list[NewCondition] = (), needs_conditions: bool | None = None) -> str | None:
    """Record one member's decision; returns the review part's new status, or None while it stays open."""
    rr, uc = await lock(acting, review_id)
    actor = clicker  # who clicked; `clicker` becomes whose vote it is (an absent member's, for a delegate)
    clicker, stand_in = await absence.deciding_as(acting.session, acting.policy, clicker, rr, uc, acting.now)
    await check_open(acting, rr, uc)
    if decision == rules.ESCALATE and not acting.policy.review.group(rr.group_key).escalates_to:
        raise Refusal("This group is the last level of decision rights, so there is nowhere to escalate to. "
                      "Please approve, approve with conditions, or stop it.")
    if decision in (rules.APPROVE, rules.APPROVE_WITH_CONDITIONS):
        check = await readiness_check(acting, rr, uc)
        if decision == rules.APPROVE and check is not None:
            needs_conditions = check.needs_conditions
    if decision == rules.APPROVE:
        if needs_conditions is None:
            needs_conditions = await needs(acting.session, acting.policy, uc)
        acting.needs_conditions[uc.id] = needs_conditions
        if needs_conditions:
            raise Refusal("Readiness is in a band that passes this gate only with conditions, so a plain approval "
                          "is not enough: use Approve with conditions and name the gaps to close.")
    drafts, opened_before = await conditions.of_person(acting.session, rr.id, actor.person_id)
    if decision == rules.APPROVE_WITH_CONDITIONS and not new_conditions and not drafts:
        raise Refusal("Approving with conditions needs at least one condition.")
    existing = await reviews.decisions(acting.session, [rr.id])
    mine = next((d for d in existing if d.person_id == clicker.person_id), None)
    if mine is not None:
        if stand_in is not None:
            raise Refusal(f"A decision {stand_in.note} was already recorded at {when(mine.at)} "
                          f"({WORDS.get(mine.decision, mine.decision)}); it counts once.")
        raise Refusal(f"You already {WORDS.get(mine.decision, mine.decision)} this review at {when(mine.at)}; "
                      f"it counts once and needs {plural(rr.quorum - 1, 'more member')} of the group.")
    votes = [rules.Vote(d.person_id, d.decision) for d in existing] + [rules.Vote(clicker.person_id, decision)]
    result = rules.group_result(votes, rr.quorum)
    if result is not None:
        changed = await reviews.set_review(acting.session, rr.id, status=result, decided_at=acting.now,
                                           seen_version=uc.version, next_reminder_at=None)
        if not changed:
            raise Refusal(await closed_text(acting, await reviews.get_review(acting.session, rr.id)))
    else:
        await reviews.set_review(acting.session, rr.id, seen_version=uc.version)
    added = await reviews.add_decision(acting.session, review_id=rr.id, person_id=clicker.person_id,
                                       decision=decision, reason=reason, platform=acting.platform,
                                       message_ref=acting.message_ref, at=acting.now)
    if added is None:  # only without the row lock: give up the whole transaction rather than count twice
        raise RuntimeError(f"review {rr.id}: a concurrent decision by person {clicker.person_id}")
    if stand_in is not None:
        await absences.record_delegated(acting.session, decision_id=added, review_id=rr.id,
                                        for_person_id=stand_in.member.id, by_person_id=actor.person_id, at=acting.now)
        acting.label = f"{acting.label} {stand_in.note}"
    for c in new_conditions:
        await conditions.create(acting.session, use_case_id=uc.id, review_id=rr.id, text=c.text,
                                owner_id=c.owner_id, due_date=c.due, status=conditions.OPEN,
                                created_by_id=actor.person_id, created_at=acting.now)
    if drafts:  # read above, under the use case's lock: nobody else adds this person's drafts meanwhile
        await conditions.publish_drafts(acting.session, rr.id, actor.person_id, acting.now)
    if result is not None:  # other members' half-written conditions will never be decided now
        await conditions.discard_drafts(acting.session, rr.id)
    if new_conditions or drafts:
        made = [c for c in await conditions.for_reviews(acting.session, [rr.id])
                if c.created_by_id == actor.person_id and c.status == conditions.OPEN]
    else:  # nothing of this person's was added or published since the read above (the use case is locked)
        made = opened_before
    await acting.audit("review.decided", entity="review", entity_id=rr.id, use_case_id=uc.id,
                       data={"group": rr.group_key, "decision": decision, "reason": reason, "result": result,
                             "gate_request": rr.gate_request_id,
                             **({"on_behalf_of": f"{absence.label(stand_in.member)} (away)"} if stand_in else {}),
                             "conditions": [{"id": c.id, "text": c.text, "owner": c.owner_id, "due": c.due_date}
                                            for c in made]})
    for c in made:
        await acting.audit("condition.opened", entity="condition", entity_id=c.id, use_case_id=uc.id,
                           data={"review": rr.id, "text": c.text, "owner": c.owner_id, "due": c.due_date})
        await tell_condition_owner(acting, uc, c)
    await after_decision(acting, rr, uc, decision, result, reason)
    return result


async def readiness_check(acting: Ctx, rr: ReviewRequest, uc: UseCase):
    """The gate's readiness rules on the latest scorecard, for an approval (conversations/reviews/readiness.py)."""
    return await readiness.check(acting, rr.gate_request_id, uc)


async def after_decision(acting: Ctx, rr: ReviewRequest, uc: UseCase, decision: str, result: str | None,
                         reason: str) -> None:
    if result == rules.ESCALATED:
        await escalate_part(acting, rr, uc, reason)
    elif result == rules.STOPPED:  # closes the gate and cancels the other groups' open reviews
        await lifecycle.change_status(acting, uc, "stop", reason, by_review=rr.id)
    await review_cards.refresh(acting, rr.id)
    if result in rules.APPROVALS:
        await tell_owners(acting, uc, rr, decision, reason)
        await gating.finish_if_decided(acting, uc, rr.gate_request_id)
    elif result is None:
        await tell_owners(acting, uc, rr, decision, reason)


async def escalate_part(acting: Ctx, rr: ReviewRequest, uc: UseCase, reason: str) -> ReviewRequest:
    """The review part moved up: a new review for the group's `escalates_to`, one level higher."""
    target = acting.policy.review.group(rr.group_key).escalates_to
    gate = await reviews.get_gate(acting.session, rr.gate_request_id)
    new = await gating.add_review(acting, uc, gate, target, level=rr.level + 1, escalated_from_id=rr.id)
    await acting.audit("review.escalated", entity="review", entity_id=rr.id, use_case_id=uc.id,
                       data={"from_group": rr.group_key, "to_group": target, "new_review": new.id, "reason": reason,
                             "automatic": acting.person_id is None})

    await review_cards.post(acting, new.id)
    await review_cards.refresh(acting, rr.id)
    await tell_owners(acting, uc, rr, rules.ESCALATE, reason)

    await alerts.check_reviews(acting, uc, [new])  # the group it moved to may have nobody who can decide
    return new


async def escalate_review(session, policy: Policy, review_id: int, *, reason: str, now, platforms: set[str],
                          actor_id: int | None = None, actor_label: str = "aiom") -> int | None:
    """Escalate an open review programmatically (the reminder sweep, when a review stays overdue).

    Runs in the caller's transaction. Returns the new review's id, or None when the review is no longer open,
    its use case is not active, its group has nowhere to escalate to, or (Postgres) someone is changing the
    use case this very moment (try again on the next sweep). Audited as `review.escalated` with
    `automatic: true` when no actor is given.
    """
    acting = Ctx(session=session, policy=policy, platforms=platforms, now=now, person_id=actor_id,
                    label=actor_label, platform="")
    rr = await reviews.get_review(session, review_id)
    if rr is None:
        return None
    # The sweep already holds review rows: never wait for the use case lock (a click holding it may be waiting
    # for those rows); a busy use case is escalated on the next sweep instead.
    uc = await reviews.lock_use_case(session, rr.use_case_id, skip_locked=True)
    if uc is None:
        return None
    rr = await reviews.get_review(session, review_id)
    if rr.status not in rules.OPEN or uc.status != UseCaseStatus.ACTIVE:
        return None
    if not policy.review.group(rr.group_key).escalates_to:
        return None
    if not await reviews.set_review(session, rr.id, status=rules.ESCALATED, decided_at=now, next_reminder_at=None):
        return None
    new = await escalate_part(acting, rr, uc, reason)
    return new.id


async def tell_owners(acting: Ctx, uc: UseCase, rr: ReviewRequest, decision: str, reason: str) -> None:
    """The proposer and both owners hear about each decision in their own chat."""
    who = await lifecycle._actor_name(acting)
    gname = group_name(acting.policy, rr.group_key)
    what = f"the review of {uc_ref(uc)} “{uc.title}”"
    if decision == rules.APPROVE_WITH_CONDITIONS:
        conds = [c for c in await conditions.for_reviews(acting.session, [rr.id]) if c.status == conditions.OPEN]
        listed = "\n".join(f"• #{c.id} {c.text} (due {day(c.due_date)})" for c in conds)
        text = (f"{gname}: {who} approved {what} with conditions. They must be closed before the next gate:"
                f"\n{listed}")
    elif decision == rules.ESCALATE:
        to = group_name(acting.policy, acting.policy.review.group(rr.group_key).escalates_to or "")
        text = f"{gname}: {who} escalated {what} to {to}." + (f" Reason: {reason}" if reason else "")
    else:
        text = f"{gname}: {who} {WORDS.get(decision, decision)} {what}." + (f" Note: {reason}" if reason else "")
    msg = Message([Text([text]), Buttons([Button("Status", "status.show", {"uc": uc.id})])])
    for pid in dict.fromkeys([uc.proposer_id, uc.business_owner_id, uc.delivery_owner_id]):
        if pid is None or pid == acting.person_id:
            continue
        await acting.notify_person(pid, msg, key=f"review:{rr.id}:told:{acting.last_seq}:{pid}", use_case_id=uc.id)


async def tell_condition_owner(acting: Ctx, uc: UseCase, c) -> None:
    msg = Message([Header(f"A condition for {uc_ref(uc)} is yours"),
                   Text([f"Condition #{c.id} on {uc_ref(uc)} “{uc.title}”: {c.text}\nDue {day(c.due_date)}. "
                         "When it is done, close it with a short note on the evidence."]),
                   Buttons([Button("Close condition", "condition.close", {"c": c.id}, style="primary"),
                            Button("Status", "status.show", {"uc": uc.id})])],
                  fallback=f"Condition #{c.id} on {uc_ref(uc)} is yours")
    await acting.notify_person(c.owner_id, msg, key=f"condition:{c.id}:owner", use_case_id=uc.id)
