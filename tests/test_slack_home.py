"""The App Home tab for a reviewer: the reviews waiting for them, with the use case and the group."""
from __future__ import annotations

import pytest

from tests.support import factories
from tests.support.reviewing import make_ready
from tests.support.slack_driver import SlackWorld

ANNA, PAT = "U222", "U444"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    w.fake.add_user(PAT, "pat.product@example.com", "Pat Product")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def test_app_home_shows_a_reviewer_the_reviews_waiting_for_them(world: SlackWorld, clock):
    view = await world.open_home(PAT)
    assert "Reviews waiting for you" not in world.fake.seen_text([world.calls("views.publish")[-1]])
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), tier="low", title="Claims triage assistant")
        await make_ready(s, world.app.policy, uc, clock())
    await world.dm(ANNA, f"move UC-{uc.id}")  # a review for the product group, Pat among its members
    assert world.last("CPRODUCT", with_button="Approve")
    view = await world.open_home(PAT)
    text = world.fake.seen_text([world.calls("views.publish")[-1]])
    assert view["type"] == "home"
    assert f"Reviews waiting for you:\n• UC-{uc.id} · Claims triage assistant · Product and delivery review · due" in text
    # the owner sees the same use case as one of their ideas, and no review waiting for them
    await world.open_home(ANNA)
    text = world.fake.seen_text([world.calls("views.publish")[-1]])
    assert f"UC-{uc.id} · Claims triage assistant" in text and "No reviews are waiting for you." in text
