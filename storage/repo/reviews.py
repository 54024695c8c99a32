"""Gate requests, review requests, decisions and questions to the owners.

Closing a review part is a conditional UPDATE (`… WHERE status IN open`), and
the same person deciding twice is refused by the unique (review_id, person_id)
constraint, so two concurrent clicks can never both count. Callers lock the use
case row first (`lock_use_case` below), which queues every change to one
use case's reviews on Postgres.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repo._sql import insert_ignore
from storage.tables import (
    AuditEntry,
    GateRequest,
    InfoRequest,
    MessageRef,
    ReviewDecision,
    ReviewRequest,
    RiskEntry,
    Scorecard,
    ScorecardAnswer,
    UseCase,
)
from vocabulary.states import LIVE_USE_CASE, OPEN_REVIEW, GateStatus, TierOverride

OPEN = OPEN_REVIEW


# -- the lock every review change takes first ------------------------------------
async def lock_use_case(session: AsyncSession, use_case_id: int, *, skip_locked: bool = False) -> UseCase | None:
    """The use case, re-read, with its row locked on Postgres until the transaction ends.

    Every change to a use case's gate, reviews and conditions takes this lock first, so they queue instead of
    interleaving. With `skip_locked`, None comes back when another transaction holds it right now (timed sweeps
    that already hold review rows use this, so they never wait in a cycle with a click).
    """
    q = select(UseCase).where(UseCase.id == use_case_id).execution_options(populate_existing=True)
    if session.bind.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=skip_locked)
    return (await session.execute(q)).scalar_one_or_none()


# -- gate requests ---------------------------------------------------------------
async def create_gate(session: AsyncSession, **fields) -> GateRequest:
    gate = GateRequest(**fields)
    session.add(gate)
    await session.flush()
    return gate


async def get_gate(session: AsyncSession, gate_id: int) -> GateRequest | None:
    q = select(GateRequest).where(GateRequest.id == gate_id).execution_options(populate_existing=True)
    return (await session.execute(q)).scalar_one_or_none()


async def pending_gate(session: AsyncSession, use_case_id: int) -> GateRequest | None:
    q = (select(GateRequest).where(GateRequest.use_case_id == use_case_id, GateRequest.status == GateStatus.PENDING)
         .order_by(GateRequest.id.desc()).limit(1).execution_options(populate_existing=True))
    return (await session.execute(q)).scalar_one_or_none()


async def gate_attempts(session: AsyncSession, use_case_id: int, from_stage: str) -> int:
    q = select(func.count()).select_from(GateRequest).where(GateRequest.use_case_id == use_case_id,
                                                            GateRequest.from_stage == from_stage)
    return (await session.execute(q)).scalar_one()


async def close_gate(session: AsyncSession, gate_id: int, status: str, at: datetime) -> bool:
    res = await session.execute(update(GateRequest)
                                .where(GateRequest.id == gate_id, GateRequest.status == GateStatus.PENDING)
                                .values(status=status, closed_at=at))
    return bool(res.rowcount)


# -- review requests -------------------------------------------------------------
async def create_review(session: AsyncSession, **fields) -> ReviewRequest:
    rr = ReviewRequest(**fields)
    session.add(rr)
    await session.flush()
    return rr


async def get_review(session: AsyncSession, review_id: int) -> ReviewRequest | None:
    """The review as committed now (never a copy cached earlier in this session)."""
    q = select(ReviewRequest).where(ReviewRequest.id == review_id).execution_options(populate_existing=True)
    return (await session.execute(q)).scalar_one_or_none()


async def for_gate(session: AsyncSession, gate_id: int) -> list[ReviewRequest]:
    q = (select(ReviewRequest).where(ReviewRequest.gate_request_id == gate_id).order_by(ReviewRequest.id)
         .execution_options(populate_existing=True))
    return list((await session.execute(q)).scalars().all())


async def for_use_case(session: AsyncSession, use_case_id: int, *, open_only: bool = False) -> list[ReviewRequest]:
    q = select(ReviewRequest).where(ReviewRequest.use_case_id == use_case_id)
    if open_only:
        q = q.where(ReviewRequest.status.in_(OPEN))
    q = q.order_by(ReviewRequest.id).execution_options(populate_existing=True)
    return list((await session.execute(q)).scalars().all())


async def open_for_group(session: AsyncSession, group_key: str, limit: int = 25) -> list[ReviewRequest]:
    q = (select(ReviewRequest).where(ReviewRequest.group_key == group_key, ReviewRequest.status.in_(OPEN))
         .order_by(ReviewRequest.due_at, ReviewRequest.id).limit(limit))
    return list((await session.execute(q)).scalars().all())


async def pending_tier_requests(session: AsyncSession, limit: int = 25) -> list[UseCase]:
    """Live use cases whose requested tier still waits for the risk reviewers."""
    q = (select(UseCase).where(UseCase.tier_override_status == TierOverride.PENDING, UseCase.status.in_(LIVE_USE_CASE))
         .order_by(UseCase.id).limit(limit))
    return list((await session.execute(q)).scalars().all())


async def set_review(session: AsyncSession, review_id: int, *, only_if: tuple[str, ...] = OPEN, **values) -> bool:
    """Change a review only while its status is one of `only_if`; True when it changed."""
    res = await session.execute(update(ReviewRequest)
                                .where(ReviewRequest.id == review_id, ReviewRequest.status.in_(only_if))
                                .values(**values))
    return bool(res.rowcount)


async def last_seen_version(session: AsyncSession, use_case_id: int, group_key: str) -> int | None:
    """The use case version this group saw last, in any earlier review of it."""
    q = select(func.max(ReviewRequest.seen_version)).where(ReviewRequest.use_case_id == use_case_id,
                                                           ReviewRequest.group_key == group_key)
    return (await session.execute(q)).scalar_one_or_none()


# -- decisions -------------------------------------------------------------------
async def add_decision(session: AsyncSession, *, review_id: int, person_id: int, decision: str, reason: str = "",
                       platform: str = "", message_ref: str = "", at: datetime) -> int | None:
    """Record one person's decision; None when this person already decided this review."""
    return await insert_ignore(session, ReviewDecision.__table__,
                               {"review_id": review_id, "person_id": person_id, "decision": decision,
                                "reason": reason, "platform": platform, "message_ref": message_ref[:256], "at": at},
                               ["review_id", "person_id"])


async def decisions(session: AsyncSession, review_ids: list[int]) -> list[ReviewDecision]:
    if not review_ids:
        return []
    q = (select(ReviewDecision).where(ReviewDecision.review_id.in_(review_ids))
         .order_by(ReviewDecision.at, ReviewDecision.id).execution_options(populate_existing=True))
    return list((await session.execute(q)).scalars().all())


# -- questions to the owners -------------------------------------------------------
async def create_info(session: AsyncSession, **fields) -> InfoRequest:
    info = InfoRequest(**fields)
    session.add(info)
    await session.flush()
    return info


async def get_info(session: AsyncSession, info_id: int) -> InfoRequest | None:
    q = select(InfoRequest).where(InfoRequest.id == info_id).execution_options(populate_existing=True)
    return (await session.execute(q)).scalar_one_or_none()


async def answer_info(session: AsyncSession, info_id: int, *, answer: str, by: int, at: datetime) -> bool:
    res = await session.execute(update(InfoRequest).where(InfoRequest.id == info_id, InfoRequest.answer.is_(None))
                                .values(answer=answer, answered_by_id=by, answered_at=at))
    return bool(res.rowcount)


async def infos(session: AsyncSession, review_ids: list[int]) -> list[InfoRequest]:
    if not review_ids:
        return []
    q = (select(InfoRequest).where(InfoRequest.review_id.in_(review_ids)).order_by(InfoRequest.id)
         .execution_options(populate_existing=True))
    return list((await session.execute(q)).scalars().all())


async def open_infos_for_use_case(session: AsyncSession, use_case_id: int) -> list[InfoRequest]:
    q = (select(InfoRequest).join(ReviewRequest, ReviewRequest.id == InfoRequest.review_id)
         .where(ReviewRequest.use_case_id == use_case_id, InfoRequest.answer.is_(None)).order_by(InfoRequest.id))
    return list((await session.execute(q)).scalars().all())


# -- which review a channel thread belongs to ---------------------------------------
async def review_for_thread(session: AsyncSession, platform: str, channel: str, thread_id: str) -> int | None:
    """The review whose card is the root of this thread (Slack thread_ts / Teams root message id)."""
    if not thread_id:
        return None
    q = select(MessageRef.purpose, MessageRef.channel).where(MessageRef.platform == platform,
                                                             MessageRef.message_id == thread_id,
                                                             MessageRef.purpose.like("review:%"))
    rows = (await session.execute(q)).all()
    rows.sort(key=lambda r: r[1] != channel)  # the same channel first
    for purpose, _ in rows:
        try:
            return int(purpose.split(":", 1)[1])
        except ValueError:
            continue
    return None


# -- what a review card shows --------------------------------------------------------
# A member "looks" at a use case when they open a card's details, decide, or ask the owners a question.
LOOKS = ("review.seen", "review.decided", "review.info_requested")
# What a reviewer wants to know changed since the card was posted, or since they last looked.
CHANGES = ("use_case.edited", "use_case.tier_override_decided", "scorecard.answered", "scorecard.completed",
           "scorecard.area_reviewed", "risk.added", "risk.updated", "risk_register.reviewed", "condition.opened",
           "condition.closed", "review.info_answered")


async def _group_reviews(session: AsyncSession, use_case_id: int, group_key: str) -> list[int]:
    q = select(ReviewRequest.id).where(ReviewRequest.use_case_id == use_case_id, ReviewRequest.group_key == group_key)
    return list((await session.execute(q)).scalars().all())


async def card_start(session: AsyncSession, use_case_id: int, review_id: int, ids: list[int]) -> int:
    """Where a shared review card counts changes from (an audit sequence number): the group's last decision on an
    earlier review of the use case (a previous gate or attempt), or else the posting of this card. Both are on
    the record for everyone in the channel; no one member's look moves it."""
    def on(*rids) -> tuple:
        return (AuditEntry.use_case_id == use_case_id, AuditEntry.entity == "review",
                AuditEntry.entity_id.in_([str(i) for i in rids]))
    posted = (await session.execute(select(func.min(AuditEntry.seq)).where(
        *on(review_id), AuditEntry.action == "review.requested"))).scalar_one_or_none()
    others = [i for i in ids if i != review_id]
    if posted is None or not others:
        return posted or 0
    prior = (await session.execute(select(func.max(AuditEntry.seq))
                                   .where(*on(*others), AuditEntry.action == "review.decided",
                                          AuditEntry.seq < posted))).scalar_one_or_none()
    return prior or posted


async def last_look(session: AsyncSession, use_case_id: int, person_id: int, ids: list[int]) -> int | None:
    """The audit sequence number of this person's last look at the use case as a member of the group (over
    every review the group had on it, so it carries across gates); None if they never looked."""
    if not ids:
        return None
    q = select(func.max(AuditEntry.seq)).where(AuditEntry.use_case_id == use_case_id, AuditEntry.entity == "review",
                                               AuditEntry.entity_id.in_([str(i) for i in ids]),
                                               AuditEntry.action.in_(LOOKS), AuditEntry.actor_id == person_id)
    return (await session.execute(q)).scalar_one_or_none()


async def changes_since(session: AsyncSession, use_case_id: int, group_key: str, *, review_id: int,
                        person_id: int | None = None, limit: int = 200
                        ) -> tuple[list[AuditEntry], AuditEntry | None]:
    """What changed on the use case (oldest first, at most `limit` of the newest), leaving out the conditions
    the group attached itself; and the audit entry it counts from.

    Without `person_id`: since the shared card's start (`card_start`). With it: since that person last looked
    (their Details, decision or question), or since the card's start if they never did.
    """
    ids = await _group_reviews(session, use_case_id, group_key)
    if not ids:
        return [], None
    seq = await last_look(session, use_case_id, person_id, ids) if person_id is not None else None
    if seq is None:
        seq = await card_start(session, use_case_id, review_id, ids)
    q = (select(AuditEntry).where(AuditEntry.use_case_id == use_case_id, AuditEntry.seq > seq,
                                  AuditEntry.action.in_(CHANGES)).order_by(AuditEntry.seq.desc()).limit(limit))
    rows = list(reversed((await session.execute(q)).scalars().all()))
    own = set(ids)
    rows = [e for e in rows if not (e.action == "condition.opened" and (e.data or {}).get("review") in own)]
    look = (await session.execute(select(AuditEntry).where(AuditEntry.seq == seq))).scalar_one_or_none() if seq \
        else None
    return rows, look


async def escalation_note(session: AsyncSession, review_id: int) -> AuditEntry | None:
    """The audit entry that escalated this review (who, why), by a person or by the reminder sweep."""
    q = (select(AuditEntry).where(AuditEntry.action == "review.escalated", AuditEntry.entity == "review",
                                  AuditEntry.entity_id == str(review_id)).order_by(AuditEntry.seq.desc()).limit(1))
    return (await session.execute(q)).scalar_one_or_none()


async def latest_scores(session: AsyncSession, use_case_id: int) -> dict[str, tuple[Scorecard, dict[str, int]]]:
    """Per instrument: the latest attempt's scorecard and its answers (item key -> value)."""
    q = (select(Scorecard).where(Scorecard.use_case_id == use_case_id)
         .order_by(Scorecard.instrument, Scorecard.attempt.desc()))
    latest: dict[str, Scorecard] = {}
    for sc in (await session.execute(q)).scalars().all():
        latest.setdefault(sc.instrument, sc)
    if not latest:
        return {}
    ids = {sc.id: k for k, sc in latest.items()}
    answers = (await session.execute(select(ScorecardAnswer.scorecard_id, ScorecardAnswer.item_key,
                                            ScorecardAnswer.value)
                                     .where(ScorecardAnswer.scorecard_id.in_(list(ids))))).all()
    out: dict[str, tuple[Scorecard, dict[str, int]]] = {k: (sc, {}) for k, sc in latest.items()}
    for sc_id, key, value in answers:
        out[ids[sc_id]][1][key] = value
    return out


async def live_risks(session: AsyncSession, use_case_id: int) -> list[RiskEntry]:
    q = select(RiskEntry).where(RiskEntry.use_case_id == use_case_id, RiskEntry.status != "closed") \
        .order_by(RiskEntry.id)
    return list((await session.execute(q)).scalars().all())
