"""Gate requests, review requests, decisions and questions to the owners.

Closing a review part is a conditional UPDATE (`… WHERE status IN open`), and
the same person deciding twice is refused by the unique (review_id, person_id)
constraint, so two concurrent clicks can never both count. Callers lock the use
case row first (`lock_use_case` below), which queues every change to one
use case's reviews on Postgres.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.repo._sql import core, insert_ignore
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

# The statements a review decision runs, built once (building a statement costs more than running it;
# storage/repo/_sql.py). Each re-reads the rows as committed, never a copy cached earlier in the session.
_FRESH = {"populate_existing": True}
_LOCK_UC = select(UseCase).where(UseCase.id == bindparam("id")).execution_options(**_FRESH)
_LOCK_UC_PG = _LOCK_UC.with_for_update()
_LOCK_UC_PG_SKIP = _LOCK_UC.with_for_update(skip_locked=True)
_GET_GATE = select(GateRequest).where(GateRequest.id == bindparam("id")).execution_options(**_FRESH)
_GET_REVIEW = select(ReviewRequest).where(ReviewRequest.id == bindparam("id")).execution_options(**_FRESH)
_DECISIONS = (select(ReviewDecision).where(ReviewDecision.review_id.in_(bindparam("ids", expanding=True)))
              .order_by(ReviewDecision.at, ReviewDecision.id).execution_options(**_FRESH))
_INFOS = (select(InfoRequest).where(InfoRequest.review_id.in_(bindparam("ids", expanding=True)))
          .order_by(InfoRequest.id).execution_options(**_FRESH))
_SET_REVIEW: dict[tuple, object] = {}
_WITH_CASE = (select(ReviewRequest, UseCase, GateRequest)
              .join(UseCase, UseCase.id == ReviewRequest.use_case_id)
              .outerjoin(GateRequest, GateRequest.id == ReviewRequest.gate_request_id)
              .where(ReviewRequest.id == bindparam("id")).execution_options(**_FRESH))
_FOR_GATE = (select(ReviewRequest).where(ReviewRequest.gate_request_id == bindparam("g")).order_by(ReviewRequest.id)
             .execution_options(**_FRESH))
# Every attempt (the latest first per instrument) with each of its answers.
_SCORES = (select(Scorecard, ScorecardAnswer.item_key, ScorecardAnswer.value)
           .outerjoin(ScorecardAnswer, ScorecardAnswer.scorecard_id == Scorecard.id)
           .where(Scorecard.use_case_id == bindparam("u"))
           .order_by(Scorecard.instrument, Scorecard.attempt.desc()))
_LIVE_RISKS = (select(RiskEntry).where(RiskEntry.use_case_id == bindparam("u"), RiskEntry.status != "closed")
               .order_by(RiskEntry.id))


# -- the lock every review change takes first ------------------------------------
async def lock_use_case(session: AsyncSession, use_case_id: int, *, skip_locked: bool = False) -> UseCase | None:
    """The use case, re-read, with its row locked on Postgres until the transaction ends.

    Every change to a use case's gate, reviews and conditions takes this lock first, so they queue instead of
    interleaving. With `skip_locked`, None comes back when another transaction holds it right now (timed sweeps
    that already hold review rows use this, so they never wait in a cycle with a click).
    """
    q = _LOCK_UC
    if session.bind.dialect.name == "postgresql":
        q = _LOCK_UC_PG_SKIP if skip_locked else _LOCK_UC_PG
    return (await session.execute(q, {"id": use_case_id})).scalar_one_or_none()


async def use_case_now(session: AsyncSession, use_case_id: int) -> UseCase | None:
    """The use case as committed now (no lock)."""
    return (await session.execute(_LOCK_UC, {"id": use_case_id})).scalar_one_or_none()


# -- gate requests ---------------------------------------------------------------
async def create_gate(session: AsyncSession, **fields) -> GateRequest:
    gate = GateRequest(**fields)
    session.add(gate)
    await session.flush()
    return gate


async def get_gate(session: AsyncSession, gate_id: int) -> GateRequest | None:
    return (await session.execute(_GET_GATE, {"id": gate_id})).scalar_one_or_none()


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
    return (await session.execute(_GET_REVIEW, {"id": review_id})).scalar_one_or_none()


async def with_case(session: AsyncSession, review_id: int
                    ) -> tuple[ReviewRequest, UseCase, GateRequest | None] | None:
    """The review, its use case and its gate request as committed now, in one statement (no lock)."""
    row = (await session.execute(_WITH_CASE, {"id": review_id})).first()
    return (row[0], row[1], row[2]) if row is not None else None


async def for_gate(session: AsyncSession, gate_id: int) -> list[ReviewRequest]:
    return list((await session.execute(_FOR_GATE, {"g": gate_id})).scalars().all())


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
    key = tuple(sorted(values))
    stmt = _SET_REVIEW.get(key)
    if stmt is None:
        t = ReviewRequest.__table__
        stmt = _SET_REVIEW[key] = (update(t).where(t.c.id == bindparam("_id"),
                                                   t.c.status.in_(bindparam("_only", expanding=True)))
                                   .values({k: bindparam(k) for k in key}))
    res = await core(session, stmt, {**values, "_id": review_id, "_only": list(only_if)})
    if res.rowcount:  # the session's copy of the review (if it holds one) says what the row says now
        sync = session.sync_session
        cached = sync.identity_map.get(sync.identity_key(ReviewRequest, review_id))
        if cached is not None:
            for k, v in values.items():
                set_committed_value(cached, k, v)
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
    return list((await session.execute(_DECISIONS, {"ids": list(review_ids)})).scalars().all())


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
    return list((await session.execute(_INFOS, {"ids": list(review_ids)})).scalars().all())


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


_GROUP_REVIEWS = select(ReviewRequest.id).where(ReviewRequest.use_case_id == bindparam("u"),
                                                ReviewRequest.group_key == bindparam("g"))


def _newest(*where) -> Select:
    """The newest of the use case's review entries matching `where`: a backwards walk along the use case's index
    (use_case_id, seq) that stops at the first match, so it never reads the use case's older history."""
    return (select(AuditEntry.seq).where(AuditEntry.use_case_id == bindparam("u"), AuditEntry.entity == "review",
                                         AuditEntry.entity_id.in_(bindparam("ids", expanding=True)), *where)
            .order_by(AuditEntry.seq.desc()).limit(1))


_POSTED = _newest(AuditEntry.action == "review.requested")
_PRIOR_DECISION = _newest(AuditEntry.action == "review.decided", AuditEntry.seq < bindparam("before"))
_PERSON_LOOK = _newest(AuditEntry.action.in_(LOOKS), AuditEntry.actor_id == bindparam("person"))
_CHANGES = (select(AuditEntry).where(AuditEntry.use_case_id == bindparam("u"), AuditEntry.seq > bindparam("seq"),
                                     AuditEntry.action.in_(CHANGES))
            .order_by(AuditEntry.seq.desc()).limit(bindparam("limit")))


async def card_start(session: AsyncSession, use_case_id: int, review_id: int, ids: list[int]) -> int:
    """Where a shared review card counts changes from (an audit sequence number): the group's last decision on an
    earlier review of the use case (a previous gate or attempt), or else the posting of this card. Both are on
    the record for everyone in the channel; no one member's look moves it."""
    posted = (await session.execute(_POSTED, {"u": use_case_id, "ids": [str(review_id)]})).scalar()
    others = [str(i) for i in ids if i != review_id]
    if posted is None or not others:
        return posted or 0
    prior = (await session.execute(_PRIOR_DECISION, {"u": use_case_id, "ids": others, "before": posted})).scalar()
    return prior or posted


async def last_look(session: AsyncSession, use_case_id: int, person_id: int, ids: list[int]) -> int | None:
    """The audit sequence number of this person's last look at the use case as a member of the group (over
    every review the group had on it, so it carries across gates); None if they never looked."""
    if not ids:
        return None
    return (await session.execute(_PERSON_LOOK, {"u": use_case_id, "ids": [str(i) for i in ids],
                                                 "person": person_id})).scalar()


async def changes_since(session: AsyncSession, use_case_id: int, group_key: str, *, review_id: int,
                        person_id: int | None = None, limit: int = 200
                        ) -> tuple[list[AuditEntry], AuditEntry | None]:
    """What changed on the use case (oldest first, at most `limit` of the newest), leaving out the conditions
    the group attached itself; and the audit entry it counts from. Reads only the entries since then (the use
    case's index, walked backwards), however long its history.

    Without `person_id`: since the shared card's start (`card_start`). With it: since that person last looked
    (their Details, decision or question), or since the card's start if they never did.
    """
    ids = list((await session.execute(_GROUP_REVIEWS, {"u": use_case_id, "g": group_key})).scalars().all())
    if not ids:
        return [], None
    seq = await last_look(session, use_case_id, person_id, ids) if person_id is not None else None
    if seq is None:
        seq = await card_start(session, use_case_id, review_id, ids)
    rows = list(reversed((await session.execute(_CHANGES, {"u": use_case_id, "seq": seq, "limit": limit}))
                         .scalars().all()))
    own = set(ids)
    rows = [e for e in rows if not (e.action == "condition.opened" and (e.data or {}).get("review") in own)]
    look = (await session.execute(select(AuditEntry).where(AuditEntry.seq == seq))).scalar_one_or_none() if seq \
        else None
    return rows, look


async def escalation_note(session: AsyncSession, review_id: int, use_case_id: int | None = None
                          ) -> AuditEntry | None:
    """The audit entry that escalated this review (who, why), by a person or by the reminder sweep. With the
    review's use case, only that use case's entries are read (its index), not the whole log."""
    q = (select(AuditEntry).where(AuditEntry.action == "review.escalated", AuditEntry.entity == "review",
                                  AuditEntry.entity_id == str(review_id)).order_by(AuditEntry.seq.desc()).limit(1))
    if use_case_id is not None:
        q = q.where(AuditEntry.use_case_id == use_case_id)
    return (await session.execute(q)).scalar_one_or_none()


async def latest_scores(session: AsyncSession, use_case_id: int) -> dict[str, tuple[Scorecard, dict[str, int]]]:
    """Per instrument: the latest attempt's scorecard and its answers (item key -> value)."""
    out: dict[str, tuple[Scorecard, dict[str, int]]] = {}
    for sc, key, value in (await session.execute(_SCORES, {"u": use_case_id})).all():
        got = out.setdefault(sc.instrument, (sc, {}))
        if got[0] is sc and key is not None:  # an earlier attempt's answers are left out
            got[1][key] = value
    return out


async def live_risks(session: AsyncSession, use_case_id: int) -> list[RiskEntry]:
    return list((await session.execute(_LIVE_RISKS, {"u": use_case_id})).scalars().all())
