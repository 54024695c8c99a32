"""Ask for more information: the owners answer in their chat, the review clock pauses until they do."""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from vocabulary.labels import group_name, uc_ref
from vocabulary.messages import Button, Buttons, Header, Message, Text
from conversations.reviews import lifecycle, rules
from conversations.people import absence
from conversations.reviews.deciding import check_open, lock
from storage.repo import reviews, use_cases
from storage.tables import InfoRequest, UseCase
from conversations.reviews.cards import refresh
from vocabulary.text import when
from vocabulary.states import UseCaseStatus


def may_answer(uc: UseCase, person_id: int) -> bool:
    return person_id in (uc.business_owner_id, uc.delivery_owner_id, uc.proposer_id)


async def ask(acting: Ctx, review_id: int, question: str, clicker: rules.Clicker) -> InfoRequest:
    rr, uc = await lock(acting, review_id)
    await absence.deciding_as(acting.session, acting.policy, clicker, rr, uc, acting.now)
    await check_open(acting, rr, uc)
    info = await reviews.create_info(acting.session, review_id=rr.id, question=question,
                                     asked_by_id=clicker.person_id, asked_at=acting.now)
    await reviews.set_review(acting.session, rr.id, status=rules.INFO, paused_at=rr.paused_at or acting.now,
                             next_reminder_at=None, seen_version=uc.version)
    await acting.audit("review.info_requested", entity="review", entity_id=rr.id, use_case_id=uc.id,
                       data={"info_request": info.id, "question": question, "group": rr.group_key})

    who = await lifecycle._actor_name(acting)
    msg = Message([Header(f"A question about {uc_ref(uc)} from {group_name(acting.policy, rr.group_key)}"),
                   Text([f"{who} asks about {uc_ref(uc)} “{uc.title}”:\n{question}\n\nThe review waits for your "
                         "answer (its clock is paused). Either owner or the proposer can answer; the first answer "
                         "goes on the review card."]),
                   Buttons([Button("Answer", "info.answer", {"i": info.id}, style="primary"),
                            Button("Status", "status.show", {"uc": uc.id})])],
                  fallback=f"A question about {uc_ref(uc)} from {group_name(acting.policy, rr.group_key)}")
    # Everyone who may answer (questions.may_answer) is asked, each once.
    for pid in dict.fromkeys([uc.business_owner_id, uc.delivery_owner_id, uc.proposer_id]):
        await acting.notify_person(pid, msg, key=f"info:{info.id}:ask:{pid}", use_case_id=uc.id)
    await refresh(acting, rr.id)
    return info


async def answer(acting: Ctx, info_id: int, text: str, person_id: int) -> InfoRequest:
    info = await reviews.get_info(acting.session, info_id)
    if info is None:
        raise Refusal("I could not find that question any more.")
    rr, uc = await lock(acting, info.review_id)
    if not may_answer(uc, person_id):
        raise Refusal(f"Only the owners (or the proposer) of {uc_ref(uc)} can answer the reviewers' questions.")
    if not await reviews.answer_info(acting.session, info.id, answer=text, by=person_id, at=acting.now):
        info = await reviews.get_info(acting.session, info.id)

        raise Refusal(f"That question was already answered at {when(info.answered_at)}; the reviewers have it.")
    info = await reviews.get_info(acting.session, info.id)
    still_open = [i for i in await reviews.infos(acting.session, [rr.id]) if i.answer is None]
    if rr.status == rules.INFO and not still_open:
        if uc.status == UseCaseStatus.ACTIVE:
            await lifecycle.resume_clock(acting, rr)
        else:  # paused by leadership: the clock stays paused until it resumes
            await reviews.set_review(acting.session, rr.id, status=rules.PENDING)
    await acting.audit("review.info_answered", entity="review", entity_id=rr.id, use_case_id=uc.id,
                       data={"info_request": info.id, "answer": text})

    who = await lifecycle._actor_name(acting)
    msg = Message([Text([f"{who} answered your question about {uc_ref(uc)} “{uc.title}”:\n{text}\n\n"
                         "The answer is on the review card and the review clock runs again."])])
    if info.asked_by_id and info.asked_by_id != person_id:
        await acting.notify_person(info.asked_by_id, msg, key=f"info:{info.id}:answered", use_case_id=uc.id)
    await refresh(acting, rr.id)
    return info


async def open_questions_for(acting: Ctx, person_id: int) -> list[tuple[InfoRequest, UseCase]]:
    out = []
    for uc in await use_cases.for_person(acting.session, person_id):
        if not may_answer(uc, person_id):
            continue
        for info in await reviews.open_infos_for_use_case(acting.session, uc.id):
            out.append((info, uc))
    return out
