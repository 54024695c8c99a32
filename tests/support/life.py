"""Helpers for the whole-life tests on Slack and Teams (tests/test_life_slack.py, tests/test_life_teams.py) and
the Slack review tests: plain channel messages, the audit trail of a use case, instruments filled at storage
level between gates."""
from __future__ import annotations

from sqlalchemy import select

from storage import audit
from storage.repo import use_cases
from storage.tables import AuditEntry, Condition, ReviewRequest, UseCase
from tests.support.fake_slack import HOME_TEAM
from tests.support.reviewing import make_ready


async def slack_thread_reply(world, user: str, channel: str, text: str, thread_ts: str) -> int:
    """A plain reply in a channel thread (no @mention), as Slack delivers it with the message.channels event."""
    event = {"type": "message", "channel": channel, "user": user, "text": text, "ts": world._ts(),
             "thread_ts": thread_ts, "channel_type": "channel", "team": HOME_TEAM}
    return await world.event(event)


async def ready(app, uc_id: int, **kw) -> None:
    """Supply what the gate out of the use case's current stage needs (tests/support/reviewing.make_ready)."""
    async with app.db.write() as s:
        await make_ready(s, app.policy, await use_cases.get(s, uc_id), app.clock(), **kw)


async def the_use_case(app) -> UseCase:
    async with app.db.read() as s:
        return (await s.execute(select(UseCase).order_by(UseCase.id.desc()).limit(1))).scalar_one()


async def review_id(app, uc_id: int, group: str) -> int:
    async with app.db.read() as s:
        q = (select(ReviewRequest.id).where(ReviewRequest.use_case_id == uc_id, ReviewRequest.group_key == group)
             .order_by(ReviewRequest.id.desc()).limit(1))
        return (await s.execute(q)).scalar_one()


async def conditions(app, status: str = "open") -> list[Condition]:
    async with app.db.read() as s:
        return list((await s.execute(select(Condition).where(Condition.status == status)
                                     .order_by(Condition.id))).scalars().all())


async def trail(app, uc_id: int) -> list[AuditEntry]:
    """The use case's audit entries in chain order, after checking the whole chain is intact."""
    async with app.db.read() as s:
        _, problems = await audit.verify(s)
        assert problems == [], [str(p) for p in problems]
        return [e async for e in audit.entries(s, use_case_id=uc_id)]


STAGES = ["exploration", "pilot", "controlled_rollout", "scale_decision", "ongoing_operation"]
# The decisions of the whole-life tests, in order: (group, decision).
LIFE_DECISIONS = [("product", "approve_with_conditions"), ("security", "approve_with_conditions"),
                  ("product", "approve_with_conditions"), ("product", "approve"), ("security", "approve"),
                  ("leadership", "approve")]


async def checked_life(app, uc_id: int, platform: str) -> tuple[list[AuditEntry], list[AuditEntry]]:
    """After a whole life: the stages, and an intact audit trail in which everything a person did names the
    platform and a message on it. Returns (the use case's entries, its review decisions in order)."""
    uc = await the_use_case(app)
    assert (uc.stage, uc.status) == ("ongoing_operation", "active")
    assert await stages(app, uc_id) == STAGES
    entries = await trail(app, uc_id)
    acts = [e.action for e in entries]
    assert acts.count("gate.passed") == 4 and acts.count("use_case.stage_changed") == 4
    assert acts.count("condition.opened") == 3 and acts.count("condition.closed") == 3
    assert "review.info_requested" in acts and "review.info_answered" in acts and "kpi.defined" in acts
    by_person = [e for e in entries if e.actor_id is not None]
    assert {e.platform for e in by_person} == {platform}
    unreferenced = [(e.action, e.message_ref) for e in by_person if not e.message_ref.startswith(f"{platform}:")]
    assert unreferenced == []
    decided = [e for e in entries if e.action == "review.decided"]
    assert [(e.data["group"], e.data["decision"]) for e in decided] == LIFE_DECISIONS
    return entries, decided


async def stages(app, uc_id: int) -> list[str]:
    async with app.db.read() as s:
        return [h.to_stage for h in await use_cases.stage_history(s, uc_id)]


# -- Teams: what a person sees across their chats with aiom ----------------------------------------------------
def teams_chats(u) -> tuple[str, ...]:
    """The conversations a Teams user has with aiom: the one they opened, and the one aiom opens to tell them."""
    return (f"a:personal-{u.aad}", f"a:dm-{u.user_id}")


def teams_seen(t, u) -> str:
    """Everything aiom posted or updated in a person's chats, as text."""
    convs = set(teams_chats(u))
    return "\n".join([s.text for s in t.fake.sent if s.conversation_id in convs] +
                     [x.text for x in t.fake.updates if x.conversation_id in convs])


def teams_card(t, conversations, label: str) -> tuple[str, str, dict]:
    """(conversation, message id, action) of the newest card in these conversations with a button `label`."""
    from tests.support.fake_connector import card_actions

    convs = set(conversations)
    for s in reversed(t.fake.sent):
        base = s.conversation_id.split(";messageid=")[0]
        if base not in convs or s.card is None:
            continue
        hit = [a for a in card_actions(t.current_card(s.id)) if a.get("title") == label]
        if hit:
            return base, s.id, hit[0]
    raise AssertionError(f"no card in {sorted(convs)} has a button {label!r}")


async def teams_click(t, u, conversations, label: str):
    """Click `label` on the newest card showing it in these conversations (a channel card clicks in its thread)."""
    from tests.support.teams_activities import channel, execute

    conv, mid, action = teams_card(t, conversations, label)
    where = channel(conv, root=mid, tenant=u.tenant) if conv.startswith("19:") else \
        {"id": conv, "conversationType": "personal", "tenantId": u.tenant}
    return await t.post(execute(u, dict(action["data"]), reply_to=mid, service_url=t.service_url,
                                conversation=where)), mid


async def teams_form(t, u, label: str, conversations, values: dict):
    """Click a button that opens a form (in one of the person's chats with aiom), fill it in and submit it."""
    from tests.support.teams_activities import Chat

    turn, mid = await teams_click(t, u, conversations, label)
    assert turn.status == 200, turn.body
    await t.drain()
    conv, _form, _action = teams_card(t, teams_chats(u), _submit_label(t, u))
    done = await Chat(t, u, {"id": conv, "conversationType": "personal", "tenantId": u.tenant}).submit(values)
    assert done.status == 200 and "Please" not in done.text, done.text
    await t.drain()
    return done, mid


def _submit_label(t, u) -> str:
    """The submit button of the newest form card in the person's chats."""
    from tests.support.fake_connector import card_actions

    convs = set(teams_chats(u))
    for s in reversed(t.fake.sent):
        if s.conversation_id.split(";messageid=")[0] in convs and s.card is not None:
            acts = [a for a in card_actions(t.current_card(s.id)) if (a.get("data") or {}).get("aiom") == "form"]
            if acts:
                return acts[0]["title"]
    raise AssertionError(f"no form card in {sorted(convs)}")
