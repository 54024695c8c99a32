"""Proactive messages: after a restart, a new process reaches people and channels from the stored references."""
from __future__ import annotations

from vocabulary.messages import Message, Text
from storage.repo import outbox_enqueue as notify
from storage.repo import conversation_refs, message_refs, people
from storage.repo import outbox as outbox_repo
from tests.support.fake_connector import FakeConnector
from tests.support.teams_activities import TeamsAiom, channel, personal, user

PRODUCT = "19:product@thread.tacv2"
LEGAL = "19:legal@thread.tacv2"


async def _person_id(t: TeamsAiom, email: str) -> int:
    async with t.app.db.read() as s:
        return (await people.by_email(s, email)).id


async def _enqueue_dm(t: TeamsAiom, clock, person_id: int, text: str, key: str) -> int:
    async with t.app.db.write() as s:
        return await notify.to_person(s, person_id=person_id, message=Message([Text([text])]), key=key,
                                      platforms=t.app.engine.platforms, now=clock.now)


async def test_messages_reach_people_and_channels_after_a_restart(db_url, policy, clock):
    fake = await FakeConnector().start()
    zoe, pat, bob = (user("Zoe", "zoe@example.com"), user("Pat Product", "pat.product@example.com"),
                     user("Bob", "bob.delivery@example.com"))
    first = await TeamsAiom.start(db_url, policy=policy, clock=clock, fake=fake)
    await first.chat(zoe).say("hello")
    await first.chat(pat, conversation=channel(PRODUCT, root="900")).say("hello", mention_bot=True)
    await first.chat(bob, conversation=channel(PRODUCT, root="901")).say("hello", mention_bot=True)
    await first.stop()  # nothing of Teams survives in memory from here on
    fake.reset()

    t = await TeamsAiom.start(db_url, policy=policy, clock=clock, fake=fake)
    try:
        # a person with a stored 1:1 conversation
        row = await _enqueue_dm(t, clock, await _person_id(t, "zoe@example.com"), "Your review is due", "k1")
        await t.drain()
        sent = fake.sent_to(personal(zoe)["id"])
        assert [s.text for s in sent] == ["Your review is due"]
        async with t.app.db.read() as s:
            out = await outbox_repo.get(s, row)
            assert (out.status, out.platform_message_id) == ("sent", sent[0].id)

        # a channel: a new thread from the stored channel reference, remembered, then updated in place
        async with t.app.db.write() as s:
            await notify.to_channels(s, targets=[("teams", PRODUCT)], message=Message([Text(["Review card v1"])]),
                                     key="review:1:card", remember_as="review:1", now=clock.now)
        await t.drain()
        posted = fake.sent_to(PRODUCT)
        assert [p.text for p in posted] == ["Review card v1"]
        async with t.app.db.write() as s:
            await notify.update_everywhere(s, purpose="review:1", message=Message([Text(["Decided: approved"])]),
                                           key="review:1:decided", platforms=t.app.engine.platforms,
                                           now=clock.now)
        await t.drain()
        assert [(u.conversation_id, u.activity_id, u.text) for u in fake.updates] == \
            [(PRODUCT, posted[0].id, "Decided: approved")]

        # a channel aiom never saw a message in, in the same tenant: built from the tenant's reference
        async with t.app.db.write() as s:
            await notify.to_channels(s, targets=[("teams", LEGAL)], message=Message([Text(["For legal"])]),
                                     key="legal:1", now=clock.now)
        await t.drain()
        assert [p.text for p in fake.sent_to(LEGAL)] == ["For legal"]

        # a person who only ever wrote in a channel: aiom opens the 1:1 chat, then remembers it
        await _enqueue_dm(t, clock, await _person_id(t, "bob.delivery@example.com"), "Named you owner", "k2")
        await t.drain()
        assert len(fake.created) == 1 and fake.created[0]["members"] == [{"id": bob.user_id}]
        bob_dm = [s for s in fake.sent if s.text == "Named you owner"]
        assert len(bob_dm) == 1 and bob_dm[0].conversation_id == f"a:dm-{bob.user_id}"
        async with t.app.db.read() as s:
            ref = await conversation_refs.personal_for(s, "teams", await _person_id(t, "bob.delivery@example.com"))
            assert ref is not None and ref.conversation_id == f"a:dm-{bob.user_id}"
        await _enqueue_dm(t, clock, await _person_id(t, "bob.delivery@example.com"), "Second note", "k3")
        await t.drain()
        assert len(fake.created) == 1  # the stored chat was used
    finally:
        await t.stop()
        await fake.stop()


async def test_a_send_that_fails_is_recorded_by_the_outbox(db_url, policy, clock):
    t = await TeamsAiom.start(db_url, policy=policy, clock=clock)
    try:
        zoe = user("Zoe", "zoe@example.com")
        await t.chat(zoe).say("hello")
        pid = await _person_id(t, "zoe@example.com")

        t.fake.fail_next(1, status=403, retry_after=None)  # the user blocked the bot: permanent
        row = await _enqueue_dm(t, clock, pid, "blocked", "f1")
        await t.drain()
        async with t.app.db.read() as s:
            out = await outbox_repo.get(s, row)
            assert out.status == "failed" and "403" in out.error

        t.fake.fail_next(5, status=502, retry_after=None)  # keeps failing through every retry: tried again later
        row = await _enqueue_dm(t, clock, pid, "later", "f2")
        await t.drain()
        async with t.app.db.read() as s:
            out = await outbox_repo.get(s, row)
            assert (out.status, out.attempts) == ("pending", 1) and "502" in out.error
        assert [c[2] for c in t.fake.calls if c[0] == "POST"][-5:] == [502] * 5
    finally:
        await t.stop()


async def test_nobody_known_in_teams_is_not_a_teams_recipient(db_url, policy, clock):
    t = await TeamsAiom.start(db_url, policy=policy, clock=clock)
    try:
        async with t.app.db.write() as s:
            p = await people.create(s, email="nobody@example.com", display_name="Nobody")
            assert await notify.to_person(s, person_id=p.id, message=Message([Text(["x"])]), key="n1",
                                          platforms=t.app.engine.platforms, now=clock.now) is None
        async with t.app.db.read() as s:
            assert await message_refs.all_for(s, "x") == []
    finally:
        await t.stop()
