"""`/aiom` in Slack, every subcommand, through the real bolt app: what only shows something is answered in place
and privately (the command's response_url) wherever it is typed; what starts a conversation goes on in the
bot's DM with a private pointer; in the DM itself everything is answered there. A big portfolio stays within
Slack's limits and says how to see the rest."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import factories
from tests.support import slack_signing as signing
from tests.support.slack_driver import SlackWorld, dm_channel
from tests.support.slack_more import as_posted, responses, text_of

ZOE, LENA = "U111", "U777"


@pytest.fixture
async def world(db_url, policy, clock):
    w = await SlackWorld.start(db_url, policy=policy, clock=clock)
    w.fake.add_user(ZOE, "zoe@example.com", "Zoe Proposer")
    w.fake.add_user(LENA, "lena.lead@example.com", "Lena Lead")
    async with w.app.db.write() as s:
        await factories.use_case(s, now=clock(), title="Claims triage assistant")
    yield w
    assert w.fake.violations == []
    await w.stop()


READ_ONLY = [
    ("status UC-1", ["UC-1 · Claims triage assistant", "Stage", "Exploration", "Risk register"]),
    ("status", ["Your AI ideas", "UC-1 · Claims triage assistant", "you: proposer", "Next:"]),
    ("my", ["Your AI ideas", "UC-1 · Claims triage assistant", "No reviews are waiting for you."]),
    ("portfolio", ["AI portfolio", "1 use case", "Exploration"]),
    ("help", ["What I can do", "Propose an AI idea"]),
    ("", ["What I can do", "Propose an AI idea"]),  # bare /aiom
]


@pytest.mark.parametrize("text,shows", READ_ONLY, ids=[t or "bare" for t, _ in READ_ONLY])
async def test_read_only_commands_answer_in_place_only_for_the_person(world: SlackWorld, text, shows):
    mark = world.fake.mark()
    status, _ = await world.command(ZOE, text, channel="CGENERAL")
    assert status == 200
    answers = responses(world, mark)
    assert len(answers) == 1
    answer = answers[0]
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    for expected in shows:
        assert expected in text_of(answer), expected
    # nothing posted in the channel, nor in the DM, and no pointer to a DM
    assert world.calls("chat.postMessage") == [] and world.calls("chat.postEphemeral") == []
    assert "direct messages" not in text_of(answer)


async def test_propose_goes_on_in_the_dm_with_a_private_pointer(world: SlackWorld):
    mark = world.fake.mark()
    await world.command(ZOE, "propose", channel="CGENERAL")
    posted = world.calls("chat.postMessage")
    assert {c["channel"] for c in posted} == {dm_channel(ZOE)}
    assert "What should we call this idea" in world.last(dm_channel(ZOE)).all_text
    pointer = responses(world, mark)
    assert len(pointer) == 1 and pointer[0]["response_type"] == "ephemeral"
    assert "opened our direct messages" in text_of(pointer[0])
    assert f"/archives/{dm_channel(ZOE)}" in pointer[0]["text"]  # a link straight to the DM


@pytest.mark.parametrize("text,shows", [("my", "Your AI ideas"), ("status UC-1", "UC-1 · Claims triage assistant"),
                                        ("", "What I can do")])
async def test_in_the_bots_dm_the_answer_is_an_ordinary_message(world: SlackWorld, text, shows):
    mark = world.fake.mark()
    await world.command(ZOE, text, channel=dm_channel(ZOE))
    assert shows in world.last(dm_channel(ZOE)).all_text
    assert responses(world, mark) == []  # no ephemeral, no pointer: the person is in the DM already


async def test_clicks_on_a_private_answer_show_in_place_or_move_to_the_dm(world: SlackWorld):
    mark = world.fake.mark()
    await world.command(ZOE, "my", channel="CGENERAL")
    mine = as_posted(responses(world, mark)[-1], "CGENERAL")

    mark = world.fake.mark()
    await world.click(ZOE, "Status UC-1", mine)  # showing: in place again, privately
    shown = responses(world, mark)
    assert len(shown) == 1 and "UC-1 · Claims triage assistant" in text_of(shown[0])
    assert shown[0]["response_type"] == "ephemeral" and world.calls("chat.postMessage") == []

    mark = world.fake.mark()
    await world.click(ZOE, "Propose an AI idea", mine)  # starting something: the DM
    assert "What should we call this idea" in world.last(dm_channel(ZOE)).all_text
    assert {c["channel"] for c in world.calls("chat.postMessage")} == {dm_channel(ZOE)}
    assert any("opened our direct messages" in text_of(c) for c in responses(world, mark))


async def test_a_big_portfolio_stays_within_slacks_limits_and_says_how_to_see_the_rest(world: SlackWorld, clock):
    long_ago = clock() - timedelta(days=200)  # pilots whose exit date passed long ago: all in the limbo list
    async with world.app.db.write() as s:
        for i in range(70):
            await factories.use_case(s, now=long_ago, stage="pilot", title=f"Pilot idea {i} " + "x" * 60)
    for user, hint, absent in ((LENA, "*export*", None), (ZOE, "*status UC-n*", "*export*")):
        mark = world.fake.mark()
        await world.command(user, "portfolio", channel="CGENERAL")
        answer = responses(world, mark)[-1]
        assert len(answer["blocks"]) <= 50
        shown = text_of(answer)
        assert "Pilots past their exit date without a decision (70)" in shown and "and 65 more" in shown
        note = answer["blocks"][-1]
        assert note["type"] == "context" and hint in note["elements"][0]["text"]  # a real next step
        if absent:
            assert absent not in note["elements"][0]["text"]  # not offered to someone who may not export

    # "my" for the proposer of all 71: the view names its own continuation; nothing is added twice
    mark = world.fake.mark()
    await world.command(ZOE, "my", channel="CGENERAL")
    answer = responses(world, mark)[-1]
    assert len(answer["blocks"]) <= 50
    assert "and 63 more (type status UC-n for any of them)" in text_of(answer)
    assert "status UC-n*" not in text_of(answer)


async def test_a_replayed_command_shortcut_or_modal_changes_nothing(world: SlackWorld):
    # a slash command delivered twice (same trigger): answered once, and one pointer only
    fields = {"token": "legacy", "team_id": "T0HOME", "team_domain": "test", "channel_id": "CGENERAL",
              "channel_name": "general", "user_id": ZOE, "user_name": "zoe", "command": "/aiom", "text": "propose",
              "api_app_id": "AAIOM", "response_url": f"{world.fake.root}/respond/cmd1", "trigger_id": "trig.cmd.1"}
    body, headers = signing.command_request(fields)
    await world._post(body, headers)
    first = (len(world.calls("chat.postMessage")), len(world.calls("respond")))
    assert first[0] >= 1 and first[1] == 1
    body, headers = signing.command_request(fields)
    await world._post(body, headers)
    assert (len(world.calls("chat.postMessage")), len(world.calls("respond"))) == first

    # the shortcut delivered twice: one modal
    payload = {"type": "shortcut", "token": "legacy", "action_ts": "1.2", "team": {"id": "T0HOME"},
               "user": world.user_json(ZOE), "callback_id": "aiom_propose", "trigger_id": "trig.short.1"}
    await world.interact(payload)
    await world.interact(payload)
    assert len(world.calls("views.open")) == 1

    # the modal submitted twice (the same submission): one answer
    view = world.last_view()
    values = {"title": "Claims triage assistant",
              "problem": "Claims handlers spend two hours a day sorting new claims by urgency.",
              "outcome": "Cut claims triage time by 30% while keeping human review for high-risk cases",
              "value_stream": "Claims handling", "theme": "operational_excellence", "affected_users": "Handlers",
              "data_used": "Claim forms", "vendor": "no", "timeline": "within_3_months",
              "business_owner": ZOE, "delivery_owner": LENA}
    values.update({b["block_id"][2:]: b["element"]["options"][0]["value"] for b in view["blocks"]
                   if b["type"] == "input" and b["block_id"].startswith("f:risk:")})
    sent: list[dict] = []
    interact = world.interact

    async def recording(payload, **kw):  # the test driver's request, kept to be sent again
        sent.append(payload)
        return await interact(payload, **kw)

    world.interact = recording
    status, body = await world.submit(ZOE, view, values)
    assert status == 200 and body == {}
    assert "Thanks, I have your form" in world.seen_in(dm_channel(ZOE))
    posts = len(world.calls("chat.postMessage"))
    status, body = await interact(sent[-1])
    assert status == 200
    assert len(world.calls("chat.postMessage")) == posts
