"""Neutral forms as Slack modals, and a submitted modal's state back to neutral values.

Each field is an input block with block_id `f:{name}` and action_id `v`;
private_metadata carries the form id, its id-only payload and the
conversation to answer in (never more than 3,000 characters).
"""
from __future__ import annotations

import json
from datetime import date

import bot.slack.render.limits as L
from bot.slack.render.buttons import plain
from bot.slack.render.mrkdwn import escape
from vocabulary.messages import Form, FormField

CALLBACK_ID = "aiom_form"
BLOCK_PREFIX = "f:"
ACTION = "v"


class MetadataTooLong(ValueError):
    pass


def block_id(name: str) -> str:
    return (BLOCK_PREFIX + name)[: L.BLOCK_ID]


def metadata(form: Form, channel: str, thread: str) -> str:
    meta = json.dumps({"f": form.form_id, "p": form.payload, "c": channel, "t": thread},
                      separators=(",", ":"), ensure_ascii=False)
    if len(meta) > L.PRIVATE_METADATA:
        raise MetadataTooLong(f"form {form.form_id!r} carries {len(meta)} characters of metadata")
    return meta


def read_metadata(raw: str | None) -> dict:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def modal(form: Form, *, channel: str, thread: str = "", slack_user_ids: dict[str, str] | None = None) -> dict:
    blocks: list[dict] = []
    if form.intro.strip():
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": L.clip_mrkdwn(escape(form.intro), L.SECTION_TEXT)}})
    for f in form.fields[: L.VIEW_BLOCKS - len(blocks)]:
        blocks.append(input_block(f, (slack_user_ids or {}).get(f.name)))
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain(form.title or "aiom", L.VIEW_TITLE),
        "submit": plain(form.submit_label or "Submit", L.VIEW_BUTTON),
        "close": plain("Cancel", L.VIEW_BUTTON),
        "private_metadata": metadata(form, channel, thread),
        "blocks": blocks,
    }


def input_block(f: FormField, initial_user: str | None = None) -> dict:
    el = element(f, initial_user)
    block: dict = {"type": "input", "block_id": block_id(f.name), "optional": bool(f.optional),
                   "label": plain(f.label or f.name, L.INPUT_LABEL), "element": el}
    hint = " ".join(f.hint.split())
    if hint and hint != f.label:
        block["hint"] = plain(hint, L.INPUT_HINT)
    return block


def element(f: FormField, initial_user: str | None) -> dict:
    el: dict
    if f.type == "select":
        options = [_option(k, label) for k, label in f.options if len(str(k)) <= L.OPTION_VALUE][: L.OPTIONS]
        el = {"type": "static_select", "action_id": ACTION, "options": options}
        chosen = next((o for o in options if o["value"] == str(f.initial)), None) if f.initial is not None else None
        if chosen:
            el["initial_option"] = chosen
    elif f.type == "number":
        el = {"type": "number_input", "action_id": ACTION, "is_decimal_allowed": True}
        if f.min_value is not None:
            el["min_value"] = f"{f.min_value:g}"
        if f.max_value is not None:
            el["max_value"] = f"{f.max_value:g}"
        if isinstance(f.initial, (int, float)):
            el["initial_value"] = f"{f.initial:g}"
    elif f.type == "date":
        el = {"type": "datepicker", "action_id": ACTION}
        if isinstance(f.initial, str) and _is_date(f.initial):
            el["initial_date"] = f.initial
    elif f.type == "person":
        el = {"type": "users_select", "action_id": ACTION}
        if initial_user:
            el["initial_user"] = initial_user
    elif f.type == "email":
        el = {"type": "email_text_input", "action_id": ACTION}
        if isinstance(f.initial, str) and f.initial:
            el["initial_value"] = f.initial[:320]
    else:
        limit = min(f.max_length or L.INPUT_MAX_LENGTH, L.INPUT_MAX_LENGTH)
        el = {"type": "plain_text_input", "action_id": ACTION, "multiline": f.type == "multiline",
              "max_length": limit}
        if isinstance(f.initial, str) and f.initial:
            el["initial_value"] = f.initial[:limit]
    if f.placeholder and f.type not in ("date",):
        el["placeholder"] = plain(f.placeholder, L.PLACEHOLDER)
    return el


def _option(key, label: str) -> dict:
    return {"text": plain(str(label), L.OPTION_TEXT), "value": str(key)}


def _is_date(s: str) -> bool:
    try:
        date.fromisoformat(s)
        return True
    except ValueError:
        return False


def submitted_values(state_values: dict) -> tuple[dict, dict[str, str]]:
    """(values by field name, Slack user ids of person fields by field name) from view.state.values."""
    values: dict = {}
    users: dict[str, str] = {}
    for bid, actions in (state_values or {}).items():
        if not bid.startswith(BLOCK_PREFIX) or not isinstance(actions, dict):
            continue
        name = bid[len(BLOCK_PREFIX):]
        el = actions.get(ACTION) or next(iter(actions.values()), {})
        kind = el.get("type")
        if kind == "static_select":
            opt = el.get("selected_option") or {}
            values[name] = opt.get("value")
        elif kind == "datepicker":
            values[name] = el.get("selected_date")
        elif kind == "users_select":
            uid = el.get("selected_user")
            values[name] = None
            if uid:
                users[name] = uid
        else:  # plain_text_input, number_input, email_text_input
            values[name] = el.get("value")
    return values, users


def errors_for(form_names: list[str], errors: dict[str, str]) -> dict[str, str]:
    """Field errors keyed by block id; errors about fields not on the screen go on the first field."""
    out: dict[str, str] = {}
    stray = []
    for name, text in errors.items():
        if name in form_names:
            out[block_id(name)] = L.clip(text, 500)
        else:
            stray.append(f"{name}: {text}")
    if stray and form_names:
        first = block_id(form_names[0])
        out[first] = L.clip("; ".join(filter(None, [out.get(first, "")] + stray)), 500)
    return out


def field_names(view: dict) -> list[str]:
    return [b["block_id"][len(BLOCK_PREFIX):] for b in view.get("blocks", [])
            if b.get("type") == "input" and str(b.get("block_id", "")).startswith(BLOCK_PREFIX)]
