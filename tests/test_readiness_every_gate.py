"""The readiness rules hold at every gate from pilot -> controlled rollout onwards, on the latest scorecard:
weak or low blocks, moderate passes only with conditions, a hard-gate area below 3 blocks, an area at 1 not yet
explicitly reviewed blocks. A re-score can lower readiness after a gate has passed: that is news."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from vocabulary.interaction import OpenForm
from vocabulary.messages import Button
from storage.repo import use_cases
from storage.tables import GateRequest, ReadinessDrop, ReviewRequest, Scorecard, ScorecardAnswer
from tests.support import factories
from tests.support.harness import Harness, as_text
from tests.support.reviewing import card, flat, make_ready, review_for, reviewer
from tests.test_digest import sent_digest

OWNER, DELIVERY = "anna.owner@example.com", "bob.delivery@example.com"
LATER_GATES = [("pilot", "Controlled rollout", ["product", "security"]),
               ("controlled_rollout", "Scale decision", ["product", "security"]),
               ("scale_decision", "Ongoing operation", ["leadership"])]
MEMBER = {"product": "pat.product@example.com", "security": "sam.security@example.com",
          "leadership": "lena.lead@example.com"}
NEXT = {"pilot": "controlled_rollout", "controlled_rollout": "scale_decision", "scale_decision": "ongoing_operation"}


def values_for(policy, total: int, *, hard_gates: int = 3) -> dict[str, int]:
    """Readiness answers adding up to `total`, every hard-gate area at `hard_gates` or more."""
    r = policy.readiness
    hard = set(r.hard_gate_keys)
    vals = {i.key: (hard_gates if i.key in hard else 1) for i in r.items}
    left = total - sum(vals.values())
    assert left >= 0
    for key in [i.key for i in r.items if i.key not in hard] + [k for k in r.hard_gate_keys]:
        add = min(left, 5 - vals[key])
        vals[key] += add
        left -= add
    assert left == 0 and sum(vals.values()) == total
    return vals


async def rescore(h: Harness, uc_id: int, values: dict[str, int], *, review_ones: bool = True) -> None:
    """A new complete readiness attempt (areas at 1 explicitly reviewed unless told otherwise)."""
    now = h.app.clock()
    async with h.app.db.write() as s:
        uc = await use_cases.get(s, uc_id)
        attempt = len((await s.execute(select(Scorecard).where(Scorecard.use_case_id == uc_id,
                                                               Scorecard.instrument == "readiness"))).all()) + 1
        sc = Scorecard(use_case_id=uc_id, instrument="readiness", attempt=attempt, status="complete",
                       answered=len(values), started_by_id=uc.business_owner_id, started_at=now,
                       last_answer_at=now, completed_at=now)
        s.add(sc)
        await s.flush()
        for key, v in values.items():
            reviewed = review_ones and v == 1
            s.add(ScorecardAnswer(scorecard_id=sc.id, item_key=key, value=v, answered_by_id=uc.business_owner_id,
                                  answered_at=now, reviewed_at=now if reviewed else None,
                                  reviewed_by_id=uc.business_owner_id if reviewed else None,
                                  review_note="Gap accepted for now" if reviewed else ""))
        await s.flush()


async def at_gate(h: Harness, stage: str) -> int:
    """A low-tier use case at `stage` with everything its next gate needs (readiness 90)."""
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock(), stage=stage, tier="low")
        await make_ready(s, h.app.policy, uc, h.app.clock())
    return uc.id


async def stage_of(h: Harness, uc_id: int) -> str:
    async with h.app.db.read() as s:
        return (await use_cases.get(s, uc_id)).stage


async def gate_count(h: Harness, uc_id: int) -> int:
    async with h.app.db.read() as s:
        return len((await s.execute(select(GateRequest).where(GateRequest.use_case_id == uc_id))).all())


async def approve_all(h: Harness, uc_id: int, groups: list[str]) -> list[str]:
    """Every group clicks the plain Approve on its card; returns what each clicker was told."""
    said = []
    for g in groups:
        rr = await review_for(h, uc_id, g)
        seen = await reviewer(h, MEMBER[g], g).press(Button("Approve", "review.approve", {"r": rr.id}))
        said.append(flat(seen.text))
    return said


@pytest.mark.parametrize("stage,to,groups", LATER_GATES, ids=[g[0] for g in LATER_GATES])
@pytest.mark.parametrize("total,band", [(34, "low readiness"), (35, "weak readiness"), (54, "weak readiness")])
async def test_weak_or_low_readiness_blocks_every_later_gate(harness: Harness, stage, to, groups, total, band):
    uc_id = await at_gate(harness, stage)
    await rescore(harness, uc_id, values_for(harness.app.policy, total))
    seen = await harness.person(OWNER).say(f"move UC-{uc_id}")
    text = flat(seen.text)
    assert f"UC-{uc_id} is not ready for {to} yet" in text
    assert f"Readiness is {total} ({band}); this gate needs moderate readiness (55 or more)" in text
    assert await gate_count(harness, uc_id) == 0 and await stage_of(harness, uc_id) == stage


@pytest.mark.parametrize("stage,to,groups", LATER_GATES, ids=[g[0] for g in LATER_GATES])
@pytest.mark.parametrize("total", [55, 74])
async def test_moderate_readiness_passes_every_later_gate_only_with_conditions(harness: Harness, stage, to, groups,
                                                                               total):
    h = harness
    uc_id = await at_gate(h, stage)
    await rescore(h, uc_id, values_for(h.app.policy, total))
    seen = await h.person(OWNER).say(f"move UC-{uc_id}")
    assert f"review requested for {to}" in seen.text and "only with conditions" in flat(seen.text)
    for said in await approve_all(h, uc_id, groups):
        assert "passes this gate only with conditions" in said
    assert await stage_of(h, uc_id) == stage
    for g in groups:
        rr = await review_for(h, uc_id, g)
        assert "Approve" not in [b.label for b in (await card(h, rr.id)).buttons]
        await reviewer(h, MEMBER[g], g).submit("review.conditions", {"r": rr.id}, {
            "c1_text": "Close the gap in user adoption readiness", "c1_owner": DELIVERY, "c1_due": "2027-03-31"})
    assert await stage_of(h, uc_id) == NEXT[stage]


@pytest.mark.parametrize("stage,to,groups", LATER_GATES, ids=[g[0] for g in LATER_GATES])
async def test_strong_readiness_at_75_passes_every_later_gate_with_a_plain_approval(harness: Harness, stage, to,
                                                                                    groups):
    uc_id = await at_gate(harness, stage)
    await rescore(harness, uc_id, values_for(harness.app.policy, 75))
    seen = await harness.person(OWNER).say(f"move UC-{uc_id}")
    assert f"review requested for {to}" in seen.text and "only with conditions" not in flat(seen.text)
    for said in await approve_all(harness, uc_id, groups):
        assert "Recorded: you approved" in said
    assert await stage_of(harness, uc_id) == NEXT[stage]


@pytest.mark.parametrize("stage,to,groups", LATER_GATES, ids=[g[0] for g in LATER_GATES])
async def test_a_hard_gate_area_below_3_blocks_every_later_gate(harness: Harness, stage, to, groups):
    policy = harness.app.policy
    uc_id = await at_gate(harness, stage)
    vals = {i.key: 5 for i in policy.readiness.items}
    vals["security_readiness"] = 2  # 87 of 90: strong, but a hard gate below 3
    await rescore(harness, uc_id, vals)
    text = flat((await harness.person(OWNER).say(f"move UC-{uc_id}")).text)
    assert f"is not ready for {to} yet" in text
    assert "Hard-gate readiness areas are below 3: Security readiness" in text
    assert await gate_count(harness, uc_id) == 0


@pytest.mark.parametrize("stage,to,groups", LATER_GATES, ids=[g[0] for g in LATER_GATES])
async def test_an_area_at_1_blocks_every_later_gate_until_it_is_explicitly_reviewed(harness: Harness, stage, to,
                                                                                    groups):
    h, policy = harness, harness.app.policy
    uc_id = await at_gate(h, stage)
    vals = {i.key: 5 for i in policy.readiness.items}
    vals["vendor_readiness"] = 1  # 86 of 90: strong, but an area at 1
    await rescore(h, uc_id, vals, review_ones=False)
    text = flat((await h.person(OWNER).say(f"move UC-{uc_id}")).text)
    assert f"is not ready for {to} yet" in text
    assert "Areas scored 1 need an explicit review first: Vendor readiness" in text
    async with h.app.db.read() as s:
        sc = (await s.execute(select(Scorecard).where(Scorecard.use_case_id == uc_id)
                              .order_by(Scorecard.id.desc()).limit(1))).scalar_one()
    anna = h.person(OWNER)
    await anna.press(Button("Record review", "scorecard.record_review", {"sc": sc.id, "k": "vendor_readiness"}))
    await anna.submit("scorecard.review_note", {"sc": sc.id, "k": "vendor_readiness"},
                      {"note": "No vendor yet: accepted for now, procurement booked"})
    assert f"review requested for {to}" in (await anna.say(f"move UC-{uc_id}")).text


async def test_a_rescore_during_the_review_stops_approvals(harness: Harness):
    """Requested with strong readiness; re-scored weak with an unreviewed 1 before anyone decided."""
    h, policy = harness, harness.app.policy
    uc_id = await at_gate(h, "controlled_rollout")
    assert "review requested for Scale decision" in (await h.person(OWNER).say(f"move UC-{uc_id}")).text
    vals = values_for(policy, 52)
    await rescore(h, uc_id, vals, review_ones=False)
    said = await approve_all(h, uc_id, ["product", "security"])
    for text in said:
        assert f"UC-{uc_id} cannot pass this gate now" in text and "Readiness is 52 (weak readiness)" in text
        assert "Areas scored 1 need an explicit review first" in text and "Nothing was recorded" in text
    rr = await review_for(h, uc_id, "product")
    refused = await reviewer(h, MEMBER["product"], "product").press(
        Button("Approve with conditions", "review.conditions", {"r": rr.id}))
    assert "cannot pass this gate now" in flat(refused.text) and not refused.op(OpenForm)
    async with h.app.db.read() as s:
        rows = (await s.execute(select(ReviewRequest).where(ReviewRequest.use_case_id == uc_id))).scalars().all()
    assert {r.status for r in rows} == {"pending"}
    assert await stage_of(h, uc_id) == "controlled_rollout"
    # The card says why, and offers no approval while readiness blocks it.
    shown = await card(h, rr.id)
    text = flat(as_text(shown))
    assert "Readiness no longer meets this gate's rules, so it cannot be approved now" in text
    assert "Readiness is 52 (weak readiness)" in text
    labels = [b.label for b in shown.buttons]
    assert "Approve" not in labels and "Approve with conditions" not in labels and "Stop" in labels


async def test_a_drop_after_the_gate_passed_is_news_for_owners_leadership_status_and_digest(harness: Harness, clock):
    """The walkthrough: re-scored after controlled rollout to 52 (weak) with an area at 1 never reviewed."""
    h, policy = harness, harness.app.policy
    uc_id = await at_gate(h, "pilot")
    anna = h.person(OWNER)
    await anna.say(f"move UC-{uc_id}")
    await approve_all(h, uc_id, ["product", "security"])
    assert await stage_of(h, uc_id) == "controlled_rollout"
    posted_before = len(h.out.posts_in("#leadership"))

    # Anna re-scores in chat: Score again, then 52 of 90 with an area at 1.
    async with h.app.db.read() as s:
        sc = (await s.execute(select(Scorecard).where(Scorecard.use_case_id == uc_id,
                                                      Scorecard.instrument == "readiness"))).scalar_one()
    clock.advance(days=10)
    seen = await anna.press(Button("Score again", "scorecard.again", {"sc": sc.id}))
    vals = values_for(policy, 52)
    for item in policy.readiness.items:
        seen = await anna.press(Button(str(vals[item.key]), "scorecard.answer",
                                       {"sc": sc.id + 1, "k": item.key, "v": vals[item.key]}))
    summary = flat(seen.text)
    assert "Readiness has dropped below what Controlled rollout needs" in summary
    assert "Readiness fell from 90 (strong readiness) to 52 (weak readiness)" in summary
    assert "Areas scored 1 need an explicit review first" in summary

    # The other owner, the proposer and leadership are told.
    for email in (DELIVERY, "zoe@example.com"):
        assert any("Readiness dropped: UC-" in flat(t) and "52 of 90 (weak readiness)" in flat(t)
                   for t in h.out.dms_to(email)), email
    leaders = h.out.posts_in("#leadership")[posted_before:]
    assert any("Readiness dropped" in flat(t) and "Its move to Scale decision is blocked" in flat(t)
               for t in leaders)
    async with h.app.db.read() as s:
        [drop] = (await s.execute(select(ReadinessDrop))).scalars().all()
    assert (drop.use_case_id, drop.total, drop.band, drop.before_total, drop.before_band) == \
        (uc_id, 52, "weak", 90, "strong")

    # The status view shows it, and the gate to scale decision stays shut.
    status = flat((await anna.say(f"status UC-{uc_id}")).text)
    assert "Readiness dropped after the gate to Controlled rollout passed" in status
    assert "Readiness is 52 (weak readiness)" in status
    rollout_ready = flat((await anna.say(f"move UC-{uc_id}")).text)
    assert "is not ready for Scale decision yet" in rollout_ready and "Readiness is 52" in rollout_ready

    # Changing one more answer without a further fall is not news again.
    told = len(h.out.dms_to(DELIVERY))
    await anna.press(Button("5", "scorecard.answer", {"sc": sc.id + 1, "k": "problem_clarity", "v": 5}))
    assert len(h.out.dms_to(DELIVERY)) == told

    # The digest lists the drop.
    clock.set(datetime(2026, 12, 7, 8, 1, tzinfo=timezone.utc))  # the next weekly slot, on time
    text = await sent_digest(h)
    assert "Readiness dropped after a passed gate: 1" in text
    assert f"UC-{uc_id}" in text and "now 52 (weak readiness) (was 90, strong readiness)" in text


def test_every_later_gate_of_the_default_policy_applies_the_readiness_rules(policy):
    from vocabulary.rules.gates import READINESS_RULES

    for gate in policy.gates:
        if gate.from_stage == "exploration":
            continue
        assert set(READINESS_RULES) <= set(gate.requires), gate.from_stage

