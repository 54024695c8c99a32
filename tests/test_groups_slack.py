"""Review groups in Slack through the real bolt app and signed requests against the fake Web API: an admin binds
a group to a Slack user group (usergroups.list, usergroups.users.list); a subteam_members_changed event takes a
reviewer out and their next click is refused; a missing scope is named; a group without a channel gets its card
by direct message and a member decides from it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import with_admins
from storage import audit
from storage.tables import ReviewRequest
from tests.support import factories
from tests.support.reviewing import make_ready
from tests.support.slack_driver import SlackWorld, dm_channel

ADA, ANNA, SAM, SUE, PAT = "U100", "U222", "U555", "U556", "U444"
ADMIN = "ada.admin@example.com"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=with_admins(policy, [ADMIN]), clock=clock)
    w.fake.add_user(ADA, ADMIN, "Ada Admin")
    w.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
    w.fake.add_user(SAM, "sam.security@example.com", "Sam Security")
    w.fake.add_user(SUE, "sue.new@example.com", "Sue New")
    w.fake.add_user(PAT, "pat.product@example.com", "Pat Product")
    w.fake.add_usergroup("S0SEC", "security-review", [SAM, SUE], "Security review")
    yield w
    assert w.fake.violations == []
    await w.stop()


async def statuses(world) -> dict[str, str]:
    async with world.app.db.read() as s:
        return {r.group_key: r.status for r in (await s.execute(select(ReviewRequest))).scalars()}


async def test_bind_a_slack_user_group_then_a_removed_member_is_refused_at_once(world: SlackWorld, clock):
    await world.dm(ADA, "group security bind <!subteam^S0SEC|@security-review>")
    said = world.seen_in(dm_channel(ADA))
    assert "Security now follows the Slack user group @security-review: 2 members" in said, said
    assert "sue.new@example.com" in said and world.calls("usergroups.users.list")

    async with world.app.db.write() as s:  # a high-tier use case: the security group reviews it
        uc = await factories.use_case(s, now=clock(), tier="high")
        await make_ready(s, world.app.policy, uc, clock())
    await world.dm(ANNA, f"move UC-{uc.id}")
    card = world.last("CSECURITY", with_button="Approve")

    world.fake.usergroups["S0SEC"]["users"] = [SAM]  # Sue leaves the user group in Slack
    assert await world.event({"type": "subteam_members_changed", "subteam_id": "S0SEC", "team_id": "T1",
                              "removed_users": [SUE], "removed_users_count": 1, "added_users": [],
                              "added_users_count": 0, "date_previous_update": 1, "date_update": 2}) == 200
    await world.click(SUE, "Approve", card)
    refusal = world.calls("chat.postEphemeral")[-1]
    assert refusal["user"] == SUE and "Only members of Security" in world.fake.seen_text([refusal])
    assert (await statuses(world))["security"] == "pending"
    await world.click(SAM, "Approve", card)
    assert (await statuses(world))["security"] == "approved"

    async with world.app.db.read() as s:
        changes = [e for e in [x async for x in audit.entries(s)] if e.action == "settings.review_group_changed"]
    assert changes[-1].data["before"]["members"] == ["sam.security@example.com", "sue.new@example.com"]
    assert changes[-1].data["after"]["members"] == ["sam.security@example.com"]
    assert changes[-1].actor_label == "slack sync"


async def test_a_missing_scope_is_named_and_nothing_changes(world: SlackWorld):
    world.fake.missing_scopes.add("usergroups:read")
    await world.dm(ADA, "group security bind @security-review")
    said = world.seen_in(dm_channel(ADA))
    assert "lacks the scope usergroups:read" in said and "Nothing changed" in said
    await world.dm(ADA, "group security bind @no-such-group")
    world.fake.missing_scopes.clear()
    await world.dm(ADA, "group security bind @no-such-group")
    assert "There is no Slack user group @no-such-group" in world.seen_in(dm_channel(ADA))
    await world.dm(ADA, "groups")
    assert "Members come from: the policy file" in world.seen_in(dm_channel(ADA))


async def test_someone_who_is_not_an_admin_cannot_bind(world: SlackWorld):
    await world.dm(SAM, "group security bind @security-review")
    assert "Only an aiom admin can change review groups" in world.seen_in(dm_channel(SAM))
    assert not world.calls("usergroups.users.list")


async def test_a_group_without_a_channel_gets_its_card_by_dm_and_decides_from_it(db_url, policy, clock):
    groups = [g.model_copy(update={"channels": {}}) if g.key == "product" else g for g in policy.review.groups]
    policy = policy.model_copy(update={"review": policy.review.model_copy(update={"groups": groups})})
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    try:
        w.fake.add_user(ANNA, "anna.owner@example.com", "Anna Owner")
        w.fake.add_user(PAT, "pat.product@example.com", "Pat Product")
        w.fake.add_user("U445", "pia.product@example.com", "Pia Product")
        async with w.app.db.write() as s:
            uc = await factories.use_case(s, now=clock(), tier="low")
            await make_ready(s, w.app.policy, uc, clock())
        await w.dm(ANNA, f"move UC-{uc.id}")
        for member in (PAT, "U445"):
            assert "Review for Product and delivery" in w.seen_in(dm_channel(member))
        card = w.last(dm_channel(PAT), with_button="Approve")
        await w.click(PAT, "Approve", card)
        assert (await statuses(w))["product"] == "approved"
        assert "Approved by Pat Product" in w.screens[(dm_channel(PAT), card.ts)].all_text  # updated in place
    finally:
        await w.stop()


async def test_the_periodic_sync_catches_a_change_whose_event_was_missed(world: SlackWorld):
    from notifications import group_sync

    await world.dm(ADA, "group security bind @security-review")
    world.fake.usergroups["S0SEC"]["users"] = [SUE]  # changed while aiom was down: no event arrives
    from notifications.scheduler import Scheduler

    sched = Scheduler(world.app.notifications)
    sched.start(catch_up=False)
    try:
        assert "group-sync" in [j for j, _ in sched.next_runs()]  # the job that runs the sweep below
    finally:
        await sched.stop()
    assert await group_sync.sweep(world.app.notifications) == 1
    await world.dm(ADA, "group security")
    said = world.seen_in(dm_channel(ADA))
    assert "Members: Sue New (sue.new@example.com) Cards go to" in " ".join(said.split()), said
    world.fake.missing_scopes.add("usergroups:read")  # a source that cannot be read keeps its members
    assert await group_sync.sweep(world.app.notifications) == 0


async def test_channel_here_sends_the_next_review_cards_to_that_channel(world: SlackWorld, clock):
    await world.mention(ADA, "CSECNEW", "group security channel here")
    assert "Security gets its review cards in this channel from now on" in world.fake.seen_text()
    await world.dm(ADA, "groups")
    assert "Cards go to: Slack CSECNEW" in " ".join(world.seen_in(dm_channel(ADA)).split())
    async with world.app.db.write() as s:
        uc = await factories.use_case(s, now=clock(), tier="high")
        await make_ready(s, world.app.policy, uc, clock())
    await world.dm(ANNA, f"move UC-{uc.id}")
    assert world.last("CSECNEW", with_button="Approve")
    assert not [p for p in world.screens.values() if p.channel == "CSECURITY"]


async def test_an_admin_adds_people_by_slack_mention_and_by_email_at_once(world: SlackWorld):
    await world.dm(ADA, f"group legal add <@{SUE}> and lou.legal@example.com")
    said = " ".join(world.seen_in(dm_channel(ADA)).split())
    assert "Added sue.new@example.com, lou.legal@example.com to Legal" in said, said
    assert "Members: lee.legal@example.com, lou.legal@example.com, Sue New (sue.new@example.com)" in said, said[:900]
