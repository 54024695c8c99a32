"""A review nobody can decide never sits silently: when a gate opens (or a review escalates), every required
group that cannot decide it is named to the use case's owners and to the admins, with the reason, and audited."""
from __future__ import annotations

from conversations.groups import admins
from conversations.groups.decidability import Decidability, for_use_case
from vocabulary.labels import uc_ref
from vocabulary.messages import Context, Message, Text
from conversations.reviews import rules
from storage.repo import people
from storage.tables import ReviewRequest, UseCase


def fix_hint(d: Decidability) -> str:
    return (f"An aiom admin can fix it in chat: “group {d.group_key} add alice@example.com”, or “group "
            f"{d.group_key} bind @user-group” (Slack) / “group {d.group_key} bind this team” (Teams).")


def warning(uc: UseCase, found: list[tuple[ReviewRequest, Decidability]]) -> Message:
    lines = [f"• {d.group_name} (review {rr.id}): {d.reason}." for rr, d in found]
    head = (f"Nobody can decide {'this review' if len(found) == 1 else 'these reviews'} of {uc_ref(uc)} "
            f"{uc.title} yet:")
    return Message([Text([head + "\n" + "\n".join(lines)]), Context(fix_hint(found[0][1]))],
                   fallback=f"Nobody can decide a review of {uc_ref(uc)} yet")


async def check_reviews(acting, uc: UseCase, rows: list[ReviewRequest]) -> list[tuple[ReviewRequest, Decidability]]:
    """The reviews in `rows` that nobody can decide; the owners (other than the one acting, who reads it in the
    reply) and the admins are told once per review, and each is audited."""
    found = []
    for rr in rows:
        d = await for_use_case(acting.session, acting.policy, rr.group_key, rules.involved_roles(uc).values(),
                               acting.platforms)
        if not d.can_decide:
            found.append((rr, d))
            await acting.audit("review.undecidable", entity="review", entity_id=rr.id, use_case_id=uc.id,
                               data={"group": rr.group_key, "reason": d.reason})
    if not found:
        return found
    msg = warning(uc, found)
    key = "review:" + ",".join(str(rr.id) for rr, _ in found) + ":undecidable"
    told = set()
    for pid in (uc.business_owner_id, uc.delivery_owner_id):
        if pid and pid != acting.person_id and pid not in told:
            told.add(pid)
            await acting.notify_person(pid, msg, key=f"{key}:{pid}", use_case_id=uc.id, subject=key)
    for email in admins.admin_emails(acting.policy):
        person = await people.by_email(acting.session, email) or await people.create(acting.session, email=email,
                                                                                     display_name=email)
        if person.id not in told:
            told.add(person.id)
            await acting.notify_person(person.id, msg, key=f"{key}:{person.id}", use_case_id=uc.id, subject=key)
    return found
