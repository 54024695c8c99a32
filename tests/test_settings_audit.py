"""Setting changes in the audit trail: a changed effective policy is recorded at start-up as
settings.policy_changed (its hash and what changed, by section and key); an unchanged one writes nothing."""
from __future__ import annotations

from storage import audit
from storage.policy_audit import ACTION
from tests.support.harness import Harness


async def policy_entries(h: Harness) -> list:
    async with h.app.db.read() as s:
        return [e async for e in audit.entries(s) if e.action == ACTION]


async def restart(db_url: str, policy, clock) -> list:
    h = await Harness.start(db_url, policy=policy, clock=clock)
    try:
        return await policy_entries(h)
    finally:
        await h.stop()


def changed_policy(policy):
    data = policy.model_dump()
    data["review"]["deadline_days"]["low"] = 4
    product = next(g for g in data["review"]["groups"] if g["key"] == "product")
    product["members"].append("paula.product@example.com")
    data["digests"] = [d for d in data["digests"] if d["key"] != "quarterly"]
    data["reminders"]["working_hours"]["start_hour"] = 8
    return type(policy).model_validate(data)


async def test_the_first_start_records_the_policy_and_an_unchanged_restart_writes_nothing(db_url, policy, clock):
    [first] = await restart(db_url, policy, clock)
    assert first.data["first"] is True and first.data["previous_hash"] is None
    assert len(first.data["hash"]) == 64 and first.actor_label == "policy" and first.entity == "policy"
    assert await restart(db_url, policy, clock) == [first]  # same policy: nothing written
    assert await restart(db_url, policy.model_copy(), clock) == [first]


async def test_a_changed_policy_is_audited_with_its_hash_and_what_changed(db_url, policy, clock):
    [first] = await restart(db_url, policy, clock)
    entries = await restart(db_url, changed_policy(policy), clock)
    assert len(entries) == 2
    change = entries[1].data
    assert change["previous_hash"] == first.data["hash"] and change["hash"] != first.data["hash"]
    assert change["first"] is False
    assert change["sections"] == ["digests", "reminders", "review"]
    assert sorted(change["changed"]) == ["reminders.working_hours.start_hour", "review.deadline_days.low",
                                         "review.groups.product"]
    assert change["removed"] == ["digests.quarterly"] and change["added"] == []
    # Back to the old policy: a change again (against the last recorded one, not the first).
    entries = await restart(db_url, policy, clock)
    assert len(entries) == 3 and entries[2].data["hash"] == first.data["hash"]
    assert entries[2].data["previous_hash"] == change["hash"] and entries[2].data["added"] == ["digests.quarterly"]
    h = await Harness.start(db_url, policy=policy, clock=clock)
    try:
        async with h.app.db.read() as s:
            assert (await audit.verify(s))[1] == []
    finally:
        await h.stop()
