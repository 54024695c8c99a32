"""A neutral `Message` as an Adaptive Card 1.5.

Header -> large bold TextBlock; Text -> wrapped TextBlock (escaped markdown);
Facts -> FactSet; Buttons -> ActionSet of `Action.Execute` (data carries
`{"aiom": action, "p": payload}`, ids only; a button with a confirmation
becomes an `Action.ShowCard` holding the real action); Context -> small subtle
TextBlock; Divider -> a separator line; Image -> Image.

Cards stay under Teams' 28 KB message limit: the JSON is measured and, only when it is too big, long
fact lists and texts are trimmed ("… and N more"), then buttons and parts left out, saying so (fit.py).
"""
from __future__ import annotations

from dataclasses import replace

from typing import Any

from bot.teams.render.escape import md, plain, safe_url
from bot.teams.render.fit import CARD_BUDGET, fit, size_of
from vocabulary.messages import (
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
from notifications.digest.pictures import png_of

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
MAX_ACTIONS_PER_ROW = 5


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


LONG_LABEL = 40  # Teams cuts a button's title at about this length: longer choices are written out in full


def short(button: Button) -> Button:
    """A button whose label Teams would cut: its first words, the full text being in the card body."""
    if len(button.label) <= LONG_LABEL or button.url:
        return button
    cut = button.label[:LONG_LABEL - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return replace(button, label=cut + "…")


def long_labels(buttons: list[Button]) -> list[dict]:
    """The full text of each choice too long for its button (it may set a risk tier: nothing may be cut)."""
    full = [b.label for b in buttons if len(b.label) > LONG_LABEL and not b.url]
    if not full:
        return []
    return [text_block("\n".join(f"- {md(label)}" for label in full))]


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
            elements = long_labels(b.buttons) + action_sets([short(x) for x in b.buttons])
        elif isinstance(b, Context):
            elements = [text_block(md(b.text), size="Small", isSubtle=True)]
        elif isinstance(b, Divider):
            separate = True
            continue
        elif isinstance(b, Image):
            # A PNG aiom drew travels inside the card (data: address); any other address must be a web one.
            url = b.url if png_of(b.url) is not None else safe_url(b.url)
            elements = [{"type": "Image", "url": url, "altText": b.alt[:1000]}] if url else []
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


__all__ = ["CARD_BUDGET", "CARD_CONTENT_TYPE", "attachment", "card", "fit", "render", "size_of", "text_block"]
