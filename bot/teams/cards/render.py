"""A neutral `Message` as an Adaptive Card 1.5.

Header -> large bold TextBlock; Text -> wrapped TextBlock (escaped markdown);
Facts -> FactSet; Buttons -> ActionSet of `Action.Execute` (data carries
`{"aiom": action, "p": payload}`, ids only; a button with a confirmation
becomes an `Action.ShowCard` holding the real action); Context -> small subtle
TextBlock; Divider -> a separator line; Image -> Image.

Cards stay under Teams' 28 KB message limit: the JSON is measured and long
fact lists and texts are trimmed ("… and N more").
"""
from __future__ import annotations

import json
from typing import Any

from bot.teams.cards.escape import md, plain, safe_url
from conversations.messages import (
    Button,
    Buttons,
    Context,
    Divider,
    Facts,
    Header,
    Image,
    Link,
    Mention,
    Message,
    Strong,
    Text,
)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
# Teams refuses messages over 28 KB; the activity around the card needs a little room too.
CARD_BUDGET = 26 * 1024
MAX_ACTIONS_PER_ROW = 5
MAX_TEXT = 6000
MAX_FACTS = 60


def card(body: list[dict], *, fallback: str = "") -> dict:
    out: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION,
                           "body": body or [text_block(md(fallback or " "))], "msteams": {"width": "Full"}}
    if fallback:
        out["fallbackText"] = plain(fallback[:500])
    return out


def text_block(text: str, **kw: Any) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **kw}


def inline(parts) -> str:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(md(p))
        elif isinstance(p, Strong):
            out.append(f"**{md(p.text)}**")
        elif isinstance(p, Mention):
            out.append(f"**{md(p.name)}**")
        elif isinstance(p, Link):
            url = safe_url(p.url)
            out.append(f"[{md(p.label)}]({url})" if url else md(p.label))
    return "".join(out)


def action(button: Button) -> dict:
    if button.url:
        url = safe_url(button.url)
        if url:
            return {"type": "Action.OpenUrl", "title": button.label, "url": url}
    act: dict[str, Any] = {"type": "Action.Execute", "title": button.label, "verb": button.action,
                           "data": {"aiom": button.action, "p": dict(button.payload)}}
    if button.style == "primary":
        act["style"] = "positive"
    elif button.style == "danger":
        act["style"] = "destructive"
    if button.confirm is None:
        return act
    c = button.confirm
    act["title"] = c.yes
    act["style"] = "destructive" if button.style == "danger" else act.get("style", "positive")
    return {"type": "Action.ShowCard", "title": button.label,
            "card": {"type": "AdaptiveCard",
                     "body": [text_block(md(c.title), weight="Bolder"), text_block(md(c.text))],
                     "actions": [act]}}


def action_sets(buttons: list[Button]) -> list[dict]:
    rows = [buttons[i:i + MAX_ACTIONS_PER_ROW] for i in range(0, len(buttons), MAX_ACTIONS_PER_ROW)]
    return [{"type": "ActionSet", "actions": [action(b) for b in row]} for row in rows if row]


def body_of(message: Message) -> list[dict]:
    body: list[dict] = []
    separate = False
    for b in message.blocks:
        elements: list[dict]
        if isinstance(b, Header):
            elements = [text_block(md(b.text), size="Large", weight="Bolder")]
        elif isinstance(b, Text):
            elements = [text_block(inline(b.parts), isSubtle=True) if b.muted else text_block(inline(b.parts))]
        elif isinstance(b, Facts):
            elements = [{"type": "FactSet", "facts": [{"title": md(k), "value": md(v)} for k, v in b.items]}] \
                if b.items else []
        elif isinstance(b, Buttons):
            elements = action_sets(b.buttons)
        elif isinstance(b, Context):
            elements = [text_block(md(b.text), size="Small", isSubtle=True)]
        elif isinstance(b, Divider):
            separate = True
            continue
        elif isinstance(b, Image):
            url = safe_url(b.url)
            elements = [{"type": "Image", "url": url, "altText": b.alt[:200]}] if url else []
        else:  # pragma: no cover - a block type added without a renderer
            elements = []
        if separate and elements:
            elements[0]["separator"] = True
            separate = False
        body.extend(elements)
    return body


def render(message: Message, *, budget: int = CARD_BUDGET) -> dict:
    """The Adaptive Card for `message`, trimmed to fit `budget` bytes of JSON."""
    return fit(card(body_of(message), fallback=message.fallback), budget)


def attachment(card_json: dict) -> dict:
    return {"contentType": CARD_CONTENT_TYPE, "content": card_json}


# -- keeping under the size limit --------------------------------------------------------------
def size_of(card_json: dict) -> int:
    return len(json.dumps(card_json, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def fit(card_json: dict, budget: int = CARD_BUDGET) -> dict:
    """Trim long fact lists and texts until the card's JSON is within `budget` bytes."""
    body = card_json["body"]
    for el in body:  # first, limits no useful card reaches
        _cap(el, MAX_FACTS, MAX_TEXT)
    while size_of(card_json) > budget:
        target = _largest(body)
        if target is None:
            break
        el, kind = target
        if kind == "facts":
            real = [f for f in el["facts"] if not f.get("_more")]
            keep = max(1, len(real) // 2)
            hidden = int(el.get("_hidden", 0)) + len(real) - keep
            el["facts"] = real[:keep] + [{"title": "…", "value": f"and {hidden} more", "_more": True}]
            el["_hidden"] = hidden
            if keep <= 1:
                el["_done"] = True
        else:
            t = el["text"]
            cut = max(200, len(t) // 2)
            if cut >= len(t):
                el["_done"] = True
            el["text"] = _cut_text(t, cut)
    _strip_private(body)
    return card_json


def _cap(el: dict, max_facts: int, max_text: int) -> None:
    if el.get("type") == "FactSet" and len(el["facts"]) > max_facts:
        hidden = len(el["facts"]) - max_facts
        el["facts"] = el["facts"][:max_facts] + [{"title": "…", "value": f"and {hidden} more", "_more": True}]
        el["_hidden"] = hidden
    elif el.get("type") == "TextBlock" and len(el["text"]) > max_text:
        el["text"] = _cut_text(el["text"], max_text)


def _cut_text(t: str, n: int) -> str:
    if len(t) <= n:
        return t
    cut = t[:n]
    while cut.endswith("\\"):  # never leave half an escape
        cut = cut[:-1]
    return cut + " …"


def _largest(body: list[dict]) -> tuple[dict, str] | None:
    best, best_size, kind = None, 0, ""
    for el in body:
        if el.get("_done"):
            continue
        if el.get("type") == "FactSet" and len([f for f in el["facts"] if not f.get("_more")]) > 1:
            s = sum(len(f["title"]) + len(f["value"]) for f in el["facts"])
            if s > best_size:
                best, best_size, kind = el, s, "facts"
        elif el.get("type") == "TextBlock" and len(el["text"]) > 300:
            if len(el["text"]) > best_size:
                best, best_size, kind = el, len(el["text"]), "text"
    return (best, kind) if best is not None else None


def _strip_private(body: list[dict]) -> None:
    for el in body:
        for k in [k for k in el if k.startswith("_")]:
            del el[k]
        if el.get("type") == "FactSet":
            for f in el["facts"]:
                f.pop("_more", None)
