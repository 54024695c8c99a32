"""Helpers for gate and review tests: fill a use case's instruments at storage level, read and click cards."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from conversations.reviews import cards as review_cards
from vocabulary.messages import Button, Message
from vocabulary.policy import Policy
from conversations.reviews.card_data import load
from storage.tables import Kpi, ReviewRequest, RiskEntry, Scorecard, ScorecardAnswer, UseCase
from tests.support.harness import Harness, as_text


async def _scorecard(s, uc: UseCase, instrument: str, values: dict[str, int], now: datetime) -> None:
    attempt = len((await s.execute(select(Scorecard).where(Scorecard.use_case_id == uc.id,
                                                           Scorecard.instrument == instrument))).all()) + 1
    sc = Scorecard(use_case_id=uc.id, instrument=instrument, attempt=attempt, status="complete",
                   answered=len(values), started_by_id=uc.business_owner_id, started_at=now, last_answer_at=now,
                   completed_at=now)
    s.add(sc)
    await s.flush()
    for key, v in values.items():
        s.add(ScorecardAnswer(scorecard_id=sc.id, item_key=key, value=v, answered_by_id=uc.business_owner_id,
                              answered_at=now))
    await s.flush()


async def make_ready(s, policy: Policy, uc: UseCase, now: datetime, *, readiness: int | None = None) -> None:
    """Supply what the gate out of the use case's current stage needs (the default policy's preconditions).

    The readiness rules hold at every gate from the pilot on: a use case with no readiness scorecard gets one
    (all areas at `readiness`, 5 unless given); at later stages `readiness` given re-scores it (a new attempt).
    """
    await s.refresh(uc)
    if uc.stage == "exploration":
        await _scorecard(s, uc, "pilot_selection", {i.key: 3 for i in policy.pilot_selection.items}, now)
        s.add(RiskEntry(use_case_id=uc.id, area_key="data_privacy", description="Claim forms hold personal data.",
                        likelihood="medium", impact="high", owner_id=uc.delivery_owner_id, status="open",
                        created_by_id=uc.business_owner_id, created_at=now, updated_at=now))
    elif uc.stage == "pilot":
        await _scorecard(s, uc, "readiness", {i.key: readiness or 5 for i in policy.readiness.items}, now)
        uc.risk_reviewed_at = now
    elif uc.stage in ("controlled_rollout", "scale_decision"):
        scored = (await s.execute(select(Scorecard).where(Scorecard.use_case_id == uc.id,
                                                          Scorecard.instrument == "readiness"))).first()
        if scored is None or readiness is not None:  # created at this stage by a factory, or re-scored
            await _scorecard(s, uc, "readiness", {i.key: readiness or 5 for i in policy.readiness.items}, now)
    if uc.stage == "controlled_rollout":
        await _scorecard(s, uc, "rollout_checklist", {i.key: 1 for i in policy.rollout_checklist.items}, now)
        if uc.vendor_involved:
            await _scorecard(s, uc, "vendor_checklist", {i.key: 1 for i in policy.vendor_checklist.items}, now)
        uc.risk_reviewed_at = now
    elif uc.stage == "scale_decision":
        s.add(Kpi(use_case_id=uc.id, layer="business_outcome", name="Claims triage time", unit="minutes",
                  baseline=120, target=80, direction="lower", owner_id=uc.business_owner_id, cadence="monthly",
                  created_at=now))
    s.add(uc)
    await s.flush()


async def open_reviews(h: Harness, uc_id: int) -> list[ReviewRequest]:
    async with h.app.db.read() as s:
        q = select(ReviewRequest).where(ReviewRequest.use_case_id == uc_id).order_by(ReviewRequest.id)
        return [r for r in (await s.execute(q)).scalars().all() if r.status in ("pending", "info_requested")]


async def review_for(h: Harness, uc_id: int, group: str) -> ReviewRequest:
    async with h.app.db.read() as s:
        q = (select(ReviewRequest).where(ReviewRequest.use_case_id == uc_id, ReviewRequest.group_key == group)
             .order_by(ReviewRequest.id.desc()).limit(1))
        return (await s.execute(q)).scalar_one()


async def card(h: Harness, review_id: int) -> Message:
    """The review card as every copy of it shows now."""
    async with h.app.db.read() as s:
        return review_cards.card(h.app.policy, await load(s, h.app.policy, review_id))


def button(message: Message, label: str) -> Button:
    for b in message.buttons:
        if b.label == label:
            return b
    raise AssertionError(f"no button {label!r} among {[b.label for b in message.buttons]}")


def flat(text: str) -> str:
    """Rendered text with the terminal's line wrapping undone."""
    return " ".join(text.split())


def delivered(h: Harness, channel: str, needle: str) -> str:
    """The last version of a card delivered in a channel (an in-place update, or else the post), unwrapped."""
    for ch, _mid, msg in reversed(h.out.updates):
        if ch == channel and needle in msg.fallback:
            return flat(as_text(msg))
    for ch, msg, _t in reversed(h.out.posts):
        if ch == channel and needle in msg.fallback:
            return flat(as_text(msg))
    raise AssertionError(f"nothing about {needle!r} in {channel}")


def reviewer(h: Harness, email: str, group: str):
    """A group member acting in the group's channel (where the card is)."""
    return h.person(email, conversation=f"#{group}", kind="channel")
