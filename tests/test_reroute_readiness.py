"""A tier or EU AI Act class change that drops the last open reviews of a gate would pass it on the approvals
already given: such a pass is checked against the gate's readiness rules exactly as an approval is, refused with
the failing rule named, and audited; once the owners re-score, the same change passes the gate."""
from __future__ import annotations

from vocabulary.messages import Button
from storage import audit
from tests.support import factories
from tests.support.harness import Harness
from tests.support.reviewing import flat, make_ready, review_for, reviewer
from tests.test_readiness_every_gate import rescore, stage_of, values_for

OWNER = "anna.owner@example.com"
MEMBER = {"product": "pat.product@example.com", "security": "sam.security@example.com"}


async def approved_but_privacy(h: Harness, **kw) -> int:
    """A medium-tier use case in pilot asking for the low tier; Product and Security approved, Privacy open."""
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock(), stage="pilot", tier="medium", tier_requested="low",
                                      tier_justification="Internal users only", tier_override_status="pending", **kw)
        await make_ready(s, h.app.policy, uc, h.app.clock())
    seen = await h.person(OWNER).say(f"move UC-{uc.id}")
    assert "review requested" in flat(seen.text), seen.text
    for g in ("product", "security"):
        rr = await review_for(h, uc.id, g)
        said = await reviewer(h, MEMBER[g], g).press(Button("Approve", "review.approve", {"r": rr.id}))
        assert "Recorded" in flat(said.text) or "approved" in flat(said.text).lower(), said.text
    assert (await review_for(h, uc.id, "privacy")).status == "pending"
    return uc.id


async def held(h: Harness, uc_id: int) -> list:
    async with h.app.db.read() as s:
        return [e async for e in audit.entries(s, use_case_id=uc_id) if e.action == "gate.reroute_held"]


async def test_accepting_a_lower_tier_never_passes_a_gate_the_readiness_rules_block(harness: Harness):
    h = harness
    uc_id = await approved_but_privacy(h)
    await rescore(h, uc_id, values_for(h.app.policy, 50))  # weak, after both approvals
    rita = reviewer(h, "rita.risk@example.com", "risk")
    seen = await rita.press(Button("Accept", "tier.decide", {"uc": uc_id, "c": "accept"}))
    text = flat(seen.text)
    assert ("Accepting the requested low risk tier would cancel the open review of Privacy, and with the remaining "
            f"groups all approved, UC-{uc_id}'s gate Pilot → Controlled rollout would pass now.") in text
    assert "Readiness is 50 (weak readiness); this gate needs moderate readiness (55 or more)" in text
    assert "Nothing was recorded: the tier request is unchanged and the gate stays open." in text
    assert await stage_of(h, uc_id) == "pilot"
    assert (await review_for(h, uc_id, "privacy")).status == "pending"
    [entry] = await held(h, uc_id)
    assert entry.data["trigger"] == "tier" and entry.data["would_cancel"] == ["privacy"]
    assert any("Readiness is 50" in r for r in entry.data["rules"])
    assert entry.actor_label == "rita.risk@example.com"

    # The owners close the gaps and score again: the same click passes the gate.
    await rescore(h, uc_id, values_for(h.app.policy, 80))
    seen = await rita.press(Button("Accept", "tier.decide", {"uc": uc_id, "c": "accept"}))
    assert "is accepted" in flat(seen.text), seen.text
    assert await stage_of(h, uc_id) == "controlled_rollout"
    assert (await review_for(h, uc_id, "privacy")).status == "cancelled"


async def test_an_area_at_one_not_reviewed_holds_a_pass_by_re_routing(harness: Harness):
    h = harness
    uc_id = await approved_but_privacy(h)
    values = values_for(h.app.policy, 80)
    await rescore(h, uc_id, {**values, "user_adoption_readiness": 1}, review_ones=False)
    seen = await reviewer(h, "rita.risk@example.com", "risk").press(
        Button("Accept", "tier.decide", {"uc": uc_id, "c": "accept"}))
    text = flat(seen.text)
    assert "would pass now" in text and "User adoption readiness" in text and "scored 1" in text
    assert await stage_of(h, uc_id) == "pilot" and len(await held(h, uc_id)) == 1


async def test_a_moderate_band_needs_an_approval_with_conditions_even_when_re_routing(harness: Harness):
    h = harness
    uc_id = await approved_but_privacy(h)
    await rescore(h, uc_id, values_for(h.app.policy, 60))  # moderate: passes only with conditions
    seen = await reviewer(h, "rita.risk@example.com", "risk").press(
        Button("Accept", "tier.decide", {"uc": uc_id, "c": "accept"}))
    text = flat(seen.text)
    assert "would pass now" in text and "passes this gate only with conditions" in text
    assert await stage_of(h, uc_id) == "pilot"
    [entry] = await held(h, uc_id)
    assert "only with conditions" in entry.data["rules"][0]


async def test_a_lower_tier_that_still_leaves_a_review_open_is_accepted_as_before(harness: Harness):
    h = harness
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock(), stage="pilot", tier="medium", tier_requested="low",
                                      tier_justification="Internal users only", tier_override_status="pending")
        await make_ready(s, h.app.policy, uc, h.app.clock())
    await h.person(OWNER).say(f"move UC-{uc.id}")
    await rescore(h, uc.id, values_for(h.app.policy, 50))
    seen = await reviewer(h, "rita.risk@example.com", "risk").press(
        Button("Accept", "tier.decide", {"uc": uc.id, "c": "accept"}))
    assert "is accepted" in flat(seen.text)  # Product and Security are still to decide: nothing passes now
    assert await stage_of(h, uc.id) == "pilot" and await held(h, uc.id) == []


async def test_an_eu_ai_act_class_change_that_would_pass_the_gate_is_held_the_same_way(harness: Harness):
    h = harness
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock(), stage="pilot", tier="low", ai_act_class="high_risk",
                                      ai_act_role="deployer")
        await make_ready(s, h.app.policy, uc, h.app.clock())
    seen = await h.person(OWNER).say(f"move UC-{uc.id}")
    assert "review requested" in flat(seen.text), seen.text
    for g in ("product", "security"):
        rr = await review_for(h, uc.id, g)
        await reviewer(h, MEMBER[g], g).press(Button("Approve", "review.approve", {"r": rr.id}))
    await rescore(h, uc.id, values_for(h.app.policy, 40))  # weak
    rita = h.person("rita.risk@example.com")
    seen = await rita.say(f"classify UC-{uc.id} minimal because the ranking was dropped from the scope")
    text = flat(seen.text)
    assert ("Classifying it minimal risk · deployer would cancel the open reviews of Legal, Risk and Privacy, and "
            f"with the remaining groups all approved, UC-{uc.id}'s gate Pilot → Controlled rollout would pass now.") \
        in text
    assert "Readiness is 40 (weak readiness)" in text
    assert "Nothing was recorded: the classification is unchanged and the gate stays open." in text
    assert await stage_of(h, uc.id) == "pilot"
    [entry] = await held(h, uc.id)
    assert entry.data["trigger"] == "ai_act" and set(entry.data["would_cancel"]) == {"legal", "risk", "privacy"}
    async with h.app.db.read() as s:
        from storage.repo import use_cases

        assert (await use_cases.get(s, uc.id)).ai_act_class == "high_risk"
