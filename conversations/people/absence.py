"""Away, delegates and leavers, as far as deciding reviews goes.

- A member who is away (`away until 2026-12-24 delegate bob@…`) may name a delegate. While the absence lasts,
  the delegate may decide for the groups the absent member belongs to, as the absent member: the decision is
  the member's vote (it counts once towards the quorum), and the card, the audit log and the audit export say
  "bob@… for alice@… (away)".
- The same rules hold as for the member: never a guest, a verified email, and never on a use case the delegate
  or the absent member proposed, owns or sponsors (a delegate never gets a right the member did not have).
- A delegate who is a member of the group decides as themselves (one person, one vote), a delegate who is away
  themselves is skipped (no silent chains), and a leaver is never a delegate.
- Without a usable delegate, the absent member simply does not count while away; when a group's open review
  can then no longer reach its quorum, the use case's owners and the admins are told (`review.undecidable` in the audit log).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.context import Refusal
from conversations.groups import admins
from vocabulary.labels import group_name, uc_ref
from vocabulary.messages import Button, Buttons, Header, Message, Text
from vocabulary.policy import Policy
from vocabulary.text import day
from conversations.reviews import rules
from storage.repo import absences, people, reminders as people_repo, reviews, use_cases
from storage.repo.people import normalise_email
from storage.tables import Absence, Person, ReviewRequest, UseCase
from vocabulary.states import UseCaseStatus


def label(person: Person | None) -> str:
    if person is None:
        return "someone"
    return person.email or person.display_name or f"person {person.id}"


def until_text(until: date) -> str:
    return day(until)


@dataclass(frozen=True)
class StandIn:
    """A delegate deciding for an absent member."""

    member: Person
    delegate_id: int
    until: date

    @property
    def note(self) -> str:
        return f"for {label(self.member)} (away)"


async def delegate_usable(session: AsyncSession, absence: Absence, today: date) -> bool:
    """Whether an absence's delegate can stand in today: named, not away, not left."""
    if absence.delegate_id is None:
        return False
    if await absences.away_on(session, [absence.delegate_id], today):
        return False
    return await absences.leaver_of(session, absence.delegate_id) is None


async def deciding_as(session: AsyncSession, policy: Policy, clicker: rules.Clicker, rr: ReviewRequest,
                      uc: UseCase, now: datetime) -> tuple[rules.Clicker, StandIn | None]:
    """Whose vote this click is: the clicker's own, or an absent member's (with the stand-in), or a refusal."""
    group = policy.review.group(rr.group_key)
    roles = rules.involved_roles(uc)
    why = rules.decision_refusal(clicker, group.members, group.name, roles)
    if why is None:
        return clicker, None
    if clicker.guest or not clicker.email or rules.member_of(clicker.email, group.members):
        raise Refusal(why)
    today = now.date()
    standing = await absences.delegating_to(session, clicker.person_id, today)
    if not standing:
        raise Refusal(why)
    if await absences.away_on(session, [clicker.person_id], today):
        raise Refusal("You are away yourself, so you cannot stand in for anyone until you are back. "
                      "Type “back” when you return.")
    members = {normalise_email(m) for m in group.members}
    who = await people.get_many(session, [a.person_id for a in standing])
    left = await absences.leavers_among(session, who)
    candidates = [(who[a.person_id], a) for a in standing
                  if a.person_id in who and normalise_email(who[a.person_id].email) in members
                  and a.person_id not in left]
    if not candidates:
        raise Refusal(why)
    for role, pid in roles.items():
        if pid is not None and pid == clicker.person_id:
            raise Refusal(f"You are the {role} of this use case, so you cannot decide its review, not even for "
                          f"{label(candidates[0][0])} (away): another member of {group.name} needs to.")
    for member, absence in candidates:
        if rules.may_be_asked(member.id, uc):
            return (rules.Clicker(person_id=member.id, email=normalise_email(member.email), guest=False),
                    StandIn(member=member, delegate_id=clicker.person_id, until=absence.until))
    member = candidates[0][0]
    role = next(r for r, pid in roles.items() if pid == member.id)
    raise Refusal(f"{label(member)} is the {role} of this use case and could not decide its review, so you cannot "
                  f"either on their behalf: another member of {group.name} needs to.")


async def able_to_decide(session: AsyncSession, policy: Policy, rr: ReviewRequest, uc: UseCase,
                         today: date) -> tuple[bool, int]:
    """(can the group still reach its quorum on this review today?, how many members can still count)."""
    try:
        group = policy.review.group(rr.group_key)
    except KeyError:
        return True, 0
    emails = [normalise_email(m) for m in group.members if normalise_email(m)]
    found = await people_repo.people_by_email(session, emails)
    ids = [p.id for p in found.values()]
    away = await absences.away_on(session, ids, today)
    left = await absences.leavers_among(session, ids)
    decided = {d.person_id for d in await reviews.decisions(session, [rr.id])}
    able = 0
    for email in emails:
        p = found.get(email)
        if p is None:
            able += 1  # not met yet: they can still decide
        elif p.id in decided:
            able += 1
        elif p.id in left or not rules.may_be_asked(p.id, uc):
            continue
        elif p.id in away:
            a = away[p.id]
            if await delegate_usable(session, a, today) and rules.may_be_asked(a.delegate_id, uc) \
                    and not rules.member_of((await people.get(session, a.delegate_id)).email, group.members):
                able += 1
        else:
            able += 1
    return able >= max(1, rr.quorum), able


async def affected_groups(session: AsyncSession, policy: Policy, person: Person, today: date) -> list[str]:
    """The groups of this person and of everyone who named them as delegate."""
    emails = [person.email]
    for a in await absences.delegating_to(session, person.id, today):
        p = await people.get(session, a.person_id)
        emails.append(p.email if p else None)
    keys: list[str] = []
    for g in policy.review.groups:
        members = {normalise_email(m) for m in g.members}
        if any(normalise_email(e) in members for e in emails if e):
            keys.append(g.key)
    return keys


async def warn_stuck(acting, group_keys: list[str], why: str) -> int:
    """Tell the owners of every open review of these groups that can no longer reach its quorum."""
    told = 0
    for key in group_keys:
        for rr in await reviews.open_for_group(acting.session, key, limit=200):
            uc = await use_cases.get(acting.session, rr.use_case_id)
            if uc is None or uc.status != UseCaseStatus.ACTIVE:
                continue
            ok, able = await able_to_decide(acting.session, acting.policy, rr, uc, acting.now.date())
            if ok:
                continue
            gname = group_name(acting.policy, key)
            await acting.audit("review.undecidable", entity="review", entity_id=rr.id, use_case_id=uc.id,
                               data={"group": key, "able": able, "quorum": rr.quorum, "why": why})
            text = (f"{gname} cannot decide the review of {uc_ref(uc)} “{uc.title}” right now: {why} Only {able} "
                    f"member(s) can decide and it needs {rr.quorum}. The review waits (and escalates on its "
                    "usual schedule) unless someone is added to the group or a delegate is named.")
            msg = Message([Header(f"{gname} cannot decide {uc_ref(uc)} for now"), Text([text]),
                           Buttons([Button("Status", "status.show", {"uc": uc.id})])],
                          fallback=f"{gname} cannot decide {uc_ref(uc)} for now")
            for pid in dict.fromkeys([uc.business_owner_id, uc.delivery_owner_id,
                                      *await admins.admin_ids(acting.session, acting.policy)]):
                if pid is not None:
                    await acting.notify_person(pid, msg, key=f"review:{rr.id}:undecidable:{acting.last_seq}:{pid}",
                                               use_case_id=uc.id)
            told += 1
    return told


async def names_with_status(session: AsyncSession, person_ids, today: date) -> dict[int, str]:
    """A note for people who are away or have left: {id: "away until 24 Dec 2026" | "owner has left"}."""
    ids = [p for p in person_ids if p]
    notes: dict[int, str] = {}
    for pid, a in (await absences.away_on(session, ids, today)).items():
        notes[pid] = f"away until {until_text(a.until)}"
    for pid in await absences.leavers_among(session, ids):
        notes[pid] = "owner has left"
    return notes


async def annotate_status(session: AsyncSession, names: dict[int, str], kpi_lines: list, today: date):
    """A use case's status view names the people who are away or have left as such (owners, condition, risk
    and KPI owners): "Pat (away until 24 Dec 2026)", "Pat (owner has left)"."""
    from dataclasses import replace

    notes = await names_with_status(session, [*names, *(k.owner_id for k in kpi_lines)], today)
    if not notes:
        return names, kpi_lines
    names = {pid: f"{n} ({notes[pid]})" if pid in notes else n for pid, n in names.items()}
    kpi_lines = [replace(k, owner_name=f"{k.owner_name} ({notes[k.owner_id]})") if k.owner_id in notes and
                 k.owner_name else k for k in kpi_lines]
    return names, kpi_lines


async def standing_in_for(session: AsyncSession, policy: Policy, person: Person, today: date) -> list[tuple]:
    """(group, absent member) for each group this person may decide for as a delegate today."""
    if await absences.away_on(session, [person.id], today):
        return []
    own = {g.key for g in policy.review.groups if rules.member_of(person.email, g.members)}
    out = []
    for a in await absences.delegating_to(session, person.id, today):
        member = await people.get(session, a.person_id)
        if member is None or await absences.leaver_of(session, member.id) is not None:
            continue
        for g in policy.review.groups:
            if g.key not in own and rules.member_of(normalise_email(member.email), g.members):
                out.append((g, member))
    return out


async def tell_delegates(acting, rr: ReviewRequest, uc: UseCase) -> int:
    """A new review for a group with members away: their delegates hear of it in their own chat."""
    try:
        group = acting.policy.review.group(rr.group_key)
    except KeyError:
        return 0
    found = await people_repo.people_by_email(acting.session, [m for m in group.members])
    today = acting.now.date()
    away = await absences.away_on(acting.session, [p.id for p in found.values()], today)
    told = 0
    for member_id, a in away.items():
        if not await delegate_usable(acting.session, a, today) or not rules.may_be_asked(a.delegate_id, uc) \
                or not rules.may_be_asked(member_id, uc):
            continue
        delegate = await people.get(acting.session, a.delegate_id)
        if delegate is None or rules.member_of(delegate.email, group.members):
            continue
        member = await people.get(acting.session, member_id)
        text = (f"{group_name(acting.policy, rr.group_key)} has a new review: {uc_ref(uc)} “{uc.title}”. "
                f"{label(member)} is away, so you may decide it on their behalf.")
        await acting.notify_person(delegate.id, Message([Text([text]), Buttons([
            Button("Open review", "review.show", {"r": rr.id}, style="primary")])], fallback=text),
            key=f"review:{rr.id}:delegate:{delegate.id}:{member_id}", use_case_id=uc.id)
        told += 1
    return told
