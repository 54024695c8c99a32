"""Slack payloads as neutral `Inbound`s (wrapped in a `Turn` saying how to answer).

Called after `ack()`: these may look users up (users.info, cached) and open
the bot's DM with a user (conversations.open, cached).

Where the answer goes: a DM, @mention or click is answered where it happened.
A `/aiom` command or a click on an ephemeral message outside the bot's DM is
answered in place and privately when it only shows something (status, my,
portfolio, help); anything that starts a conversation (propose ...) moves to
the bot's DM, and the person is told so where they were.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack import identity, keys
from bot.slack.render import decode_action, payload_of
from bot.slack.turn import Turn
from vocabulary.interaction import Actor, Inbound, Where

if TYPE_CHECKING:  # pragma: no cover
    from bot.slack.runtime import SlackRuntime


# What only shows something: answered in place, seen by the person alone.
READ_ONLY_COMMANDS = {"status", "my", "mine", "ideas", "portfolio", "help", "?", "commands"}
READ_ONLY_ACTIONS = {"status.show", "status.mine", "portfolio.show", "help.show"}


def read_only(text: str) -> bool:
    word = (text or "").strip().split(" ", 1)[0].lower().strip("/!")
    return word in READ_ONLY_COMMANDS


def kind_of(channel: str, channel_type: str = "") -> str:
    if channel_type == "im" or channel.startswith("D"):
        return "personal"
    if channel_type == "mpim":
        return "group"
    return "channel"


def _ref(channel: str, ts: str) -> str:
    return f"slack:{channel}/{ts}" if channel and ts else ""


async def message_actor(rt: "SlackRuntime", event: dict) -> Actor:
    return await identity.actor(rt.directory, event.get("user", ""),
                              team_hint=event.get("user_team") or event.get("team", ""), bot=bool(event.get("bot_id")))


def thread_of_message(event: dict) -> str:
    if kind_of(event.get("channel", ""), event.get("channel_type", "")) == "personal":
        return event.get("thread_ts", "")
    # In channels the bot answers in a thread: under the mention, or in the thread it was mentioned in.
    return event.get("thread_ts") or event.get("ts", "")


async def message_turn(rt: "SlackRuntime", body: dict, event: dict, *, mention: bool = False,
                       actor: Actor | None = None) -> Turn:
    """A DM, a reply in a channel thread, or an @mention (the bot's mention is removed from the text)."""
    ws = await rt.directory.workspace()
    user = event.get("user", "")
    channel = event.get("channel", "")
    kind = kind_of(channel, event.get("channel_type", ""))
    if kind == "personal":
        rt.directory.remember_dm(user, channel)
    thread = thread_of_message(event)
    actor = actor or await message_actor(rt, event)
    text, mentions = await identity.read_text(rt.directory, event.get("text") or "",
                                            drop_user=ws.bot_user_id if mention else None)
    where = Where(platform="slack", conversation_id=channel, thread_id=thread, kind=kind,
                  tenant=body.get("team_id") or ws.team_id)
    inbound = Inbound(actor=actor, where=where, text=text, mentions=mentions, event_id=body.get("event_id"),
                      message_ref=_ref(channel, event.get("ts", "")))
    return Turn(inbound=inbound, user_id=user, channel=channel, thread_ts=thread, personal=kind == "personal")


async def dm_where(rt: "SlackRuntime", user_id: str, team: str) -> Where:
    channel = await rt.directory.dm_channel(user_id)
    return Where(platform="slack", conversation_id=channel, kind="personal", tenant=team)


async def action_turn(rt: "SlackRuntime", body: dict, action: dict) -> Turn:
    """A button click, on a message (in a channel, a thread, a DM, or ephemeral) or in App Home."""
    ws = await rt.directory.workspace()
    user = body.get("user") or {}
    uid = user.get("id", "")
    container = body.get("container") or {}
    message = body.get("message") or {}
    team = (body.get("team") or {}).get("id") or ws.team_id
    actor = await identity.actor(rt.directory, uid, team_hint=user.get("team_id", ""),
                               name_hint=user.get("name", ""))
    source_channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    source_ts = container.get("message_ts", "")
    from_view = container.get("type") == "view"
    name = decode_action(action.get("action_id", ""))
    ephemeral = bool(container.get("is_ephemeral"))
    in_place = moved = False
    if ephemeral and source_channel and kind_of(source_channel) != "personal":
        # A private message in a channel (an answer to /aiom there): showing stays private, in place; starting
        # something goes on in the DM. A private note inside a thread keeps to that thread.
        in_place = name in READ_ONLY_ACTIONS
        moved = not in_place and not container.get("thread_ts")
    if from_view or not source_channel or moved:
        where = await dm_where(rt, uid, team)
        thread = ""
    elif in_place:
        thread = container.get("thread_ts", "")
        where = Where(platform="slack", conversation_id=source_channel, thread_id=thread,
                      kind=kind_of(source_channel), tenant=team)
    else:
        channel_name = (body.get("channel") or {}).get("name", "")
        kind = "group" if channel_name.startswith("mpdm-") else kind_of(source_channel)
        parent = message.get("thread_ts", "")
        if container.get("is_ephemeral"):
            thread = container.get("thread_ts", "")
        elif kind == "personal":
            thread = parent if parent and parent != message.get("ts") else ""
        else:
            # In a channel, what a click starts goes on in the thread of the clicked message.
            thread = parent or message.get("ts") or source_ts
        where = Where(platform="slack", conversation_id=source_channel, thread_id=thread, kind=kind, tenant=team)
    inbound = Inbound(actor=actor, where=where, action=name or "unknown", payload=payload_of(action.get("value")),
                      event_id=keys.action_key(body, action), source_message_id=source_ts or None,
                      message_ref=_ref(source_channel, source_ts))
    return Turn(inbound=inbound, user_id=uid, channel=where.conversation_id, thread_ts=where.thread_id,
                personal=where.kind == "personal", source_channel=source_channel if not from_view else "",
                source_ts=source_ts if not from_view else "",
                source_ephemeral=ephemeral, response_url=body.get("response_url", ""),
                trigger_id=body.get("trigger_id", ""), from_view=from_view, ephemeral=in_place,
                moved_from=source_channel if moved else "")


async def command_turn(rt: "SlackRuntime", body: dict) -> Turn:
    """`/aiom propose` etc.: the same commands as typed text. In the bot's DM, answered there; elsewhere, shown in
    place to the person alone when it only shows something, else carried on in the DM."""
    ws = await rt.directory.workspace()
    uid = body.get("user_id", "")
    team = body.get("team_id") or ws.team_id
    actor = await identity.actor(rt.directory, uid, team_hint=team, name_hint=body.get("user_name", ""))
    raw = (body.get("text") or "").strip()
    text, mentions = await identity.read_text(rt.directory, raw)
    text = text or "help"
    where = await dm_where(rt, uid, team)
    here = body.get("channel_id", "") or where.conversation_id
    in_place = here != where.conversation_id and read_only(text)
    if in_place:  # a channel, or a DM between other people: shared, so never "personal"
        kind = "channel" if kind_of(here, _channel_type(body)) == "channel" else "group"
        where = Where(platform="slack", conversation_id=here, kind=kind, tenant=team)
    inbound = Inbound(actor=actor, where=where, text=text, mentions=mentions,
                      event_id=keys.command_key(body))
    return Turn(inbound=inbound, user_id=uid, channel=where.conversation_id, personal=not in_place,
                response_url=body.get("response_url", ""), trigger_id=body.get("trigger_id", ""),
                ephemeral=in_place, moved_from=here if (here != where.conversation_id and not in_place) else "")


def _channel_type(body: dict) -> str:
    name = body.get("channel_name", "")
    return "im" if name == "directmessage" else "mpim" if name.startswith("mpdm-") else ""


async def shortcut_turn(rt: "SlackRuntime", body: dict, action: str, payload: dict | None = None) -> Turn:
    ws = await rt.directory.workspace()
    user = body.get("user") or {}
    uid = user.get("id", "")
    team = (body.get("team") or {}).get("id") or ws.team_id
    actor = await identity.actor(rt.directory, uid, team_hint=user.get("team_id", ""), name_hint=user.get("name", ""))
    where = await dm_where(rt, uid, team)
    inbound = Inbound(actor=actor, where=where, action=action, payload=payload or {},
                      event_id=keys.shortcut_key(body))
    return Turn(inbound=inbound, user_id=uid, channel=where.conversation_id, personal=True,
                trigger_id=body.get("trigger_id", ""))


async def submission_turn(rt: "SlackRuntime", body: dict, meta: dict, values: dict) -> Turn:
    ws = await rt.directory.workspace()
    user = body.get("user") or {}
    uid = user.get("id", "")
    team = (body.get("team") or {}).get("id") or ws.team_id
    actor = await identity.actor(rt.directory, uid, team_hint=user.get("team_id", ""), name_hint=user.get("name", ""))
    channel, thread = str(meta.get("c") or ""), str(meta.get("t") or "")
    if channel:
        where = Where(platform="slack", conversation_id=channel, thread_id=thread, kind=kind_of(channel), tenant=team)
    else:
        where = await dm_where(rt, uid, team)
    payload = meta.get("p") if isinstance(meta.get("p"), dict) else {}
    inbound = Inbound(actor=actor, where=where, form_id=str(meta.get("f") or ""), payload=payload, values=values,
                      event_id=keys.view_key(body))
    return Turn(inbound=inbound, user_id=uid, channel=where.conversation_id, thread_ts=where.thread_id,
                personal=where.kind == "personal", trigger_id=body.get("trigger_id", ""))
