"""The de-duplication key of a Slack request: the journal's key and the engine's `Inbound.event_id` are the same.

None for a request that starts no turn (url_verification, App Home opened, a link button, channel chatter,
another bot's message): those are acknowledged without being journaled.
"""
from __future__ import annotations

import hashlib
import json

from bot.slack.render.buttons import LINK_ACTION

MAX = 256
TURN_EVENTS = {"message", "app_mention"}
HANDLED_SUBTYPES = {None, "file_share", "thread_broadcast"}


def action_key(body: dict, action: dict) -> str:
    container = body.get("container") or {}
    uid = (body.get("user") or {}).get("id", "")
    stamp = container.get("message_ts", "") or container.get("view_id", "")
    return f"act:{stamp}:{action.get('action_ts', '')}:{uid}:{action.get('action_id', '')}"[:MAX]


def view_key(body: dict) -> str:
    view = body.get("view") or {}
    digest = hashlib.sha256(json.dumps((view.get("state") or {}).get("values", {}), sort_keys=True)
                            .encode()).hexdigest()[:16]
    return f"view:{view.get('id', '')}:{body.get('trigger_id') or digest}"[:MAX]


def command_key(body: dict) -> str | None:
    return f"cmd:{body['trigger_id']}"[:MAX] if body.get("trigger_id") else None


def shortcut_key(body: dict) -> str:
    return f"shortcut:{body.get('trigger_id', '')}"[:MAX]


def wanted_message(event: dict) -> bool:
    """Whether a message event may be for aiom (listeners/events/message.py takes only these): a person's DM to
    the bot, or a person's reply in a thread; never a bot's message, an edit or a deletion."""
    if event.get("subtype") not in HANDLED_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile") or not event.get("user"):
        return False
    if event.get("channel_type") == "im":
        return True
    return bool(event.get("thread_ts"))  # channel chatter outside threads is none of aiom's business


def request_key(body: dict, kind: str) -> str | None:
    """The key of a checked request body (bot/slack/gate.py), or None when it is not journaled."""
    if kind == "command":
        return command_key(body) if body.get("command") else None
    if kind == "event":
        if body.get("type") != "event_callback" or not isinstance(body.get("event"), dict):
            return None
        event = body["event"]
        if event.get("type") not in TURN_EVENTS or not body.get("event_id"):
            return None
        if event.get("type") == "message" and not wanted_message(event):
            return None
        if event.get("type") == "app_mention" and (event.get("bot_id") or not event.get("user")
                                                   or event.get("subtype")):
            return None  # the listener's own filter (listeners/events/app_mention.py)
        return str(body["event_id"])[:MAX]
    kind_ = body.get("type")
    if kind_ == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            return None
        action = actions[0]
        if action.get("type") != "button" or str(action.get("action_id", "")).startswith(LINK_ACTION + "#"):
            return None
        return action_key(body, action)
    if kind_ == "view_submission":
        return view_key(body)
    if kind_ in ("shortcut", "message_action") and body.get("trigger_id"):
        return shortcut_key(body)
    return None
