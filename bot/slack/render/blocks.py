"""Neutral messages as Block Kit: header, sections, fields, buttons, context, within Slack's limits."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from bot.slack.render import limits as L
from bot.slack.render.buttons import actions_blocks
from bot.slack.render.mrkdwn import escape, inline
from conversations.messages import (
    Buttons,
    Context,
    Divider,
    Facts,
    Header,
    Image,
    Mention,
    Message,
    Text,
)

MORE_HINT = "Send me *status* in a direct message to see everything."


@dataclass
class Rendered:
    blocks: list[dict]
    text: str
    extra: dict = field(default_factory=dict)

    def kwargs(self) -> dict:
        return {"blocks": self.blocks, "text": self.text}


def mention_ids(message: Message) -> set[int]:
    """Person ids the message mentions (the adapter looks up their Slack identities before rendering)."""
    out: set[int] = set()
    for b in message.blocks:
        if isinstance(b, Text):
            out.update(p.person_id for p in b.parts if isinstance(p, Mention))
    return out


def render(message: Message, slack_ids: Mapping[int, str] | None = None, *, max_blocks: int = L.MESSAGE_BLOCKS,
           more_hint: str = MORE_HINT) -> Rendered:
    blocks: list[dict] = []
    counter = [0]
    for b in message.blocks:
        blocks.extend(block(b, slack_ids or {}, counter))
    blocks = L.fit_blocks(blocks, max_blocks, more_hint)
    return Rendered(blocks=blocks, text=fallback_text(message))


def fallback_text(message: Message) -> str:
    text = (message.fallback or "").strip()
    if not text:
        for b in message.blocks:
            if isinstance(b, Context) and b.text.strip():
                text = b.text.strip()
                break
    return L.clip_mrkdwn(escape(text or "Message from aiom"), L.FALLBACK_TEXT)


def block(b, slack_ids: Mapping[int, str], counter: list[int]) -> list[dict]:
    if isinstance(b, Header):
        text = " ".join(b.text.split())
        return [{"type": "header", "text": {"type": "plain_text", "text": L.clip(text, L.HEADER_TEXT),
                                            "emoji": True}}] if text else []
    if isinstance(b, Text):
        body = inline(b.parts, slack_ids)
        if not body.strip():
            return []
        if b.muted:
            return [context(body)]
        return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
                for chunk in L.split_mrkdwn(body, L.SECTION_TEXT, L.SECTIONS_PER_TEXT)]
    if isinstance(b, Facts):
        fields = [{"type": "mrkdwn", "text": L.clip_mrkdwn(_fact(label, value), L.FIELD_TEXT)}
                  for label, value in b.items]
        return [{"type": "section", "fields": fields[i:i + L.FIELDS_PER_SECTION]}
                for i in range(0, len(fields), L.FIELDS_PER_SECTION)]
    if isinstance(b, Buttons):
        return [a for a in actions_blocks(b.buttons, counter) if a["elements"]]
    if isinstance(b, Context):
        return [context(escape(b.text))] if b.text.strip() else []
    if isinstance(b, Divider):
        return [{"type": "divider"}]
    if isinstance(b, Image):
        if not b.url.startswith(("https://", "http://")) or len(b.url) > L.IMAGE_URL:
            return []
        return [{"type": "image", "image_url": b.url, "alt_text": L.clip(b.alt or "image", L.ALT_TEXT)}]
    return []


def _fact(label: str, value) -> str:
    label = escape(str(label)).strip()
    value = escape(str(value)).strip() or "–"
    return f"*{label}*\n{value}" if label else value


def context(mrkdwn: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": L.clip_mrkdwn(mrkdwn, L.CONTEXT_TEXT)}]}
