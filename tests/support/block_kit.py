"""Block Kit limits as Slack enforces them, and the strings Slack parses as mrkdwn.

The fake Web API checks every message, modal and home tab it receives with these; tests assert that it saw no
violation, so an oversized answer can never become an API error in production.
"""
from __future__ import annotations


def mrkdwn_strings(obj, out: list[str] | None = None, top: bool = True) -> list[str]:
    """Every string Slack parses as mrkdwn (mentions, links): mrkdwn text objects and a message's `text`.
    plain_text objects (headers, buttons, labels) are shown as typed and never parsed."""
    out = [] if out is None else out
    if isinstance(obj, dict):
        if top and isinstance(obj.get("text"), str):
            out.append(obj["text"])
        if obj.get("type") == "mrkdwn" and isinstance(obj.get("text"), str):
            out.append(obj["text"])
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                mrkdwn_strings(v, out, top=False)
    elif isinstance(obj, list):
        for v in obj:
            mrkdwn_strings(v, out, top=False)
    return out


def _strings(obj, out: list[str]) -> None:
    if isinstance(obj, str):
        out.append(obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k not in ("action_id", "block_id", "value", "channel", "ts", "thread_ts", "user", "trigger_id",
                         "private_metadata", "callback_id", "type", "style", "image_url", "url"):
                _strings(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _strings(v, out)


# -- Block Kit limits ------------------------------------------------------------------------
def _text_len(obj) -> int:
    return len(obj.get("text", "")) if isinstance(obj, dict) else 0


def check_message(a: dict) -> list[str]:
    p: list[str] = []
    blocks = a.get("blocks")
    if blocks is None:
        if not a.get("text"):
            p.append("neither blocks nor text")
        return p
    if not isinstance(blocks, list):
        return ["blocks is not a list"]
    if not a.get("text"):
        p.append("no plain-text fallback (text)")
    elif len(a["text"]) > 40_000:
        p.append("text over 40,000 characters")
    if len(blocks) > 50:
        p.append(f"{len(blocks)} blocks (max 50)")
    p.extend(check_blocks(blocks))
    return p


def check_view(view: dict) -> list[str]:
    p: list[str] = []
    blocks = view.get("blocks") or []
    if len(blocks) > 100:
        p.append(f"{len(blocks)} blocks in a view (max 100)")
    if view.get("type") == "modal":
        for key in ("title", "submit", "close"):
            if key in view and len(view[key].get("text", "")) > 24:
                p.append(f"modal {key} over 24 characters")
        if not view.get("title"):
            p.append("modal without a title")
        if len(view.get("private_metadata", "")) > 3000:
            p.append("private_metadata over 3000 characters")
        if len(view.get("callback_id", "")) > 255:
            p.append("callback_id over 255 characters")
    p.extend(check_blocks(blocks))
    return p


def check_blocks(blocks: list) -> list[str]:
    p: list[str] = []
    ids = set()
    action_ids = set()
    for i, b in enumerate(blocks):
        t = b.get("type")
        where = f"block {i} ({t})"
        bid = b.get("block_id")
        if bid is not None:
            if len(bid) > 255:
                p.append(f"{where}: block_id over 255")
            if bid in ids:
                p.append(f"{where}: duplicate block_id {bid}")
            ids.add(bid)
        if t == "header":
            n = _text_len(b.get("text"))
            if not 1 <= n <= 150:
                p.append(f"{where}: header text of {n} characters")
        elif t == "section":
            if "text" not in b and "fields" not in b:
                p.append(f"{where}: neither text nor fields")
            if "text" in b and not 1 <= _text_len(b["text"]) <= 3000:
                p.append(f"{where}: text of {_text_len(b['text'])} characters")
            fields = b.get("fields") or []
            if len(fields) > 10:
                p.append(f"{where}: {len(fields)} fields (max 10)")
            for f in fields:
                if not 1 <= _text_len(f) <= 2000:
                    p.append(f"{where}: field of {_text_len(f)} characters")
        elif t == "context":
            els = b.get("elements") or []
            if not 1 <= len(els) <= 10:
                p.append(f"{where}: {len(els)} elements")
            for e in els:
                if e.get("type") in ("mrkdwn", "plain_text") and not 1 <= _text_len(e) <= 3000:
                    p.append(f"{where}: element text of {_text_len(e)} characters")
        elif t == "actions":
            els = b.get("elements") or []
            if not 1 <= len(els) <= 25:
                p.append(f"{where}: {len(els)} elements (1 to 25)")
            for e in els:
                p.extend(f"{where}: {x}" for x in check_element(e, action_ids))
        elif t == "image":
            if len(b.get("image_url", "")) > 3000 or len(b.get("alt_text", "")) > 2000:
                p.append(f"{where}: image url or alt text too long")
        elif t == "input":
            if not 1 <= _text_len(b.get("label")) <= 2000:
                p.append(f"{where}: label length")
            if "hint" in b and _text_len(b["hint"]) > 2000:
                p.append(f"{where}: hint over 2000")
            p.extend(f"{where}: {x}" for x in check_element(b.get("element") or {}, action_ids, in_input=True))
        elif t == "divider":
            pass
        else:
            p.append(f"{where}: unexpected block type")
    return p


def check_element(e: dict, action_ids: set, in_input: bool = False) -> list[str]:
    p: list[str] = []
    aid = e.get("action_id", "")
    if len(aid) > 255:
        p.append(f"action_id over 255 ({len(aid)})")
    if aid and not in_input:
        if aid in action_ids:
            p.append(f"duplicate action_id {aid}")
        action_ids.add(aid)
    t = e.get("type")
    if t == "button":
        if not 1 <= _text_len(e.get("text")) <= 75:
            p.append(f"button text of {_text_len(e.get('text'))} characters")
        if len(e.get("value", "")) > 2000:
            p.append("button value over 2000")
        if len(e.get("url", "")) > 3000:
            p.append("button url over 3000")
        c = e.get("confirm")
        if c:
            if _text_len(c.get("title")) > 100 or _text_len(c.get("text")) > 300:
                p.append("confirm title/text too long")
            if _text_len(c.get("confirm")) > 30 or _text_len(c.get("deny")) > 30:
                p.append("confirm buttons too long")
    elif t == "static_select":
        opts = e.get("options") or []
        if not 1 <= len(opts) <= 100:
            p.append(f"{len(opts)} options")
        for o in opts:
            if _text_len(o.get("text")) > 75 or len(o.get("value", "")) > 150:
                p.append("option text/value too long")
    elif t == "plain_text_input":
        if e.get("max_length", 3000) > 3000:
            p.append("max_length over 3000")
        if len(e.get("initial_value", "")) > e.get("max_length", 3000):
            p.append("initial_value longer than max_length")
    if "placeholder" in e and _text_len(e["placeholder"]) > 150:
        p.append("placeholder over 150")
    return p
