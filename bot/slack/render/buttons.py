"""Neutral buttons as Block Kit buttons, and action ids back to neutral action names.

A button's action_id is `"{action}#{n}"` (n unique within the message, as
Slack requires), so one listener maps every click back to the neutral action;
link buttons get `"_link#{n}"` and their clicks are ignored. The value is the
button's id-only payload as compact JSON.

Payloads carry ids only, so they fit by construction. Should one ever not fit
(an action id over 255 characters, a value over 2,000), the button is still
shown: it becomes a `slack.ref` button whose value is a short key, and the
real action and payload are stored under that key before the message is sent
(bot/slack/stash.py); a click reads them back and goes on as usual.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re

import bot.slack.render.limits as L
from bot.slack.render.mrkdwn import escape_url
from vocabulary.messages import Button, Confirm

log = logging.getLogger(__name__)

ACTION_ID = re.compile(r"^(?P<name>.+)#\d+$")
LINK_ACTION = "_link"
STASH_ACTION = "slack.ref"


def decode_action(action_id: str) -> str:
    m = ACTION_ID.match(action_id or "")
    return m.group("name") if m else (action_id or "")


def payload_of(value: str | None) -> dict:
    if not value:
        return {}
    try:
        data = json.loads(value)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def plain(text: str, limit: int) -> dict:
    return {"type": "plain_text", "text": L.clip(text.strip() or "…", limit), "emoji": True}


def confirm(c: Confirm, danger: bool) -> dict:
    out = {"title": plain(c.title, L.CONFIRM_TITLE), "text": plain(c.text, L.CONFIRM_TEXT),
           "confirm": plain(c.yes, L.CONFIRM_BUTTON), "deny": plain(c.no, L.CONFIRM_BUTTON)}
    if danger:
        out["style"] = "danger"
    return out


def stash_key(action: str, value: str) -> str:
    """The same button always gets the same key (a message rendered again stores nothing new)."""
    return hashlib.sha256(f"{action}\n{value}".encode()).hexdigest()[:24]


def button(b: Button, n: int, stash: dict[str, dict] | None = None) -> dict | None:
    """One Block Kit button. None only for a link button whose url cannot be sent (not http(s), too long)."""
    el: dict = {"type": "button", "text": plain(b.label, L.BUTTON_TEXT)}
    if b.url:
        url = escape_url(b.url)
        if len(url) > L.BUTTON_URL or not b.url.startswith(("https://", "http://")):
            log.warning("link button %r left out: unusable url", b.label)
            return None
        el["url"] = url
        el["action_id"] = f"{LINK_ACTION}#{n}"
    else:
        action_id = f"{b.action}#{n}"
        value = json.dumps(b.payload, separators=(",", ":"), ensure_ascii=False) if b.payload else ""
        if len(action_id) > L.ACTION_ID or len(value) > L.BUTTON_VALUE:
            key = stash_key(b.action, value)
            log.warning("button %r: action id of %s / payload of %s characters do not fit Slack; it carries the "
                        "key %s instead (ids only, please)", b.label, len(action_id), len(value), key)
            if stash is not None:
                stash[key] = {"a": b.action, "p": b.payload}
            action_id, value = f"{STASH_ACTION}#{n}", json.dumps({"k": key}, separators=(",", ":"))
        el["action_id"] = action_id
        if value:
            el["value"] = value
    if b.style in ("primary", "danger"):
        el["style"] = b.style
    if b.confirm is not None:
        el["confirm"] = confirm(b.confirm, b.style == "danger")
    return el


def actions_blocks(buttons: list[Button], counter: list[int], stash: dict[str, dict] | None = None) -> list[dict]:
    """Buttons in rows of at most 25 (Slack's limit per actions block). `counter` numbers them per message;
    buttons that do not fit Slack's limits leave their action and payload in `stash`."""
    elements = []
    for b in buttons:
        counter[0] += 1
        el = button(b, counter[0], stash)
        if el is not None:
            elements.append(el)
    return [{"type": "actions", "elements": elements[i:i + L.BUTTONS_PER_ACTIONS]}
            for i in range(0, len(elements), L.BUTTONS_PER_ACTIONS)]
