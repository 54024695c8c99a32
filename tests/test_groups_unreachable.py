"""No review sits with nobody able to decide it: the owner who asked, the other owner and the admins are told
which group and why; the card shows it; `groups` shows it."""
from __future__ import annotations

import pytest

from bot.app import with_admins
from vocabulary.policy import load_policy
from storage import audit
from tests.support import factories
from tests.support.harness import Harness, as_text
from tests.support.reviewing import card, flat, make_ready, review_for

ADMIN, OWNER, DELIVERY = "ada.admin@example.com", "anna.owner@example.com", "bob.delivery@example.com"


@pytest.fixture
async def h(db_url, clock):
    h = await Harness.start(db_url, policy=with_admins(load_policy(None), [ADMIN]), clock=clock)  # the default
    yield h
    await h.stop()


async def test_default_policy_move_tells_the_owners_and_admins_which_groups_cannot_decide(h):
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock())
        await make_ready(s, h.app.policy, uc, h.app.clock())
    seen = flat((await h.person(OWNER).say(f"move UC-{uc.id}")).text)
    assert "review requested" in seen
    assert f"Nobody can decide this review of UC-{uc.id}" in seen
    assert "Product and delivery (review" in seen and "Product and delivery has no members" in seen
    assert "group product add alice@example.com" in seen and "The admins have been told" in seen
    for who in (ADMIN, DELIVERY):
        told = flat(" ".join(h.out.dms_to(who)))
        assert f"Nobody can decide this review of UC-{uc.id}" in told and "has no members" in told, who
    assert not h.out.dms_to(OWNER)  # the owner who asked read it in the reply
    rr = await review_for(h, uc.id, "product")
    assert "Nobody can decide this review yet: Product and delivery has no members" in flat(
        as_text(await card(h, rr.id)))
    async with h.app.db.read() as s:
        assert [e.data["group"] async for e in audit.entries(s) if e.action == "review.undecidable"] == ["product"]


async def test_a_group_whose_only_member_is_the_proposer_cannot_decide_and_says_why(h):
    admin = h.person(ADMIN)
    await admin.say(f"group product add {OWNER}")
    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock())
        await make_ready(s, h.app.policy, uc, h.app.clock())
    seen = flat((await h.person(OWNER).say(f"move UC-{uc.id}")).text)
    assert f"the only member of Product and delivery ({OWNER}) may not decide" in seen
    listing = flat((await admin.say("groups")).text)
    assert "Product and delivery (product) Members: Anna" in listing or OWNER in listing
    assert "Can decide a review today: NO: Security has no members" in listing


async def test_the_digest_lists_the_reviews_nobody_can_decide(h):
    from notifications.digest.runs import preview

    async with h.app.db.write() as s:
        uc = await factories.use_case(s, now=h.app.clock())
        await make_ready(s, h.app.policy, uc, h.app.clock())
    await h.person(OWNER).say(f"move UC-{uc.id}")
    key = h.app.policy.digests[0].key
    text = flat(as_text(await preview(h.app.notifications, key, h.app.clock())))
    assert "Reviews nobody can decide: 1" in text
    assert f"UC-{uc.id}" in text and "Product and delivery review, Product and delivery has no members" in text
    await h.person(ADMIN).say("group product add pam@example.com")
    assert "Reviews nobody can decide" not in flat(as_text(await preview(h.app.notifications, key, h.app.clock())))


async def test_an_escalation_to_a_group_nobody_can_decide_is_named_to_owners_and_admins(db_url, policy, clock):
    from tests.support.reviewing import button, reviewer

    h = await Harness.start(db_url, policy=with_admins(policy, [ADMIN]), clock=clock)
    try:
        await h.person(ADMIN).say("group leadership remove lena.lead@example.com leo.lead@example.com")
        async with h.app.db.write() as s:
            uc = await factories.use_case(s, now=h.app.clock(), tier="low")
            await make_ready(s, h.app.policy, uc, h.app.clock())
        assert "Nobody can decide" not in flat((await h.person(OWNER).say(f"move UC-{uc.id}")).text)
        rr = await review_for(h, uc.id, "product")
        pat = reviewer(h, "pat.product@example.com", "product")
        await pat.press(button(await card(h, rr.id), "Escalate"))
        await pat.submit("review.escalate", {"r": rr.id}, {"reason": "Budget beyond our remit"})
        for who in (OWNER, DELIVERY, ADMIN):
            told = flat(" ".join(h.out.dms_to(who)))
            assert "Executive sponsors / leadership has no members" in told, who
    finally:
        await h.stop()
