"""Neutral messages as Block Kit: header, sections, fields, buttons, context, within Slack's limits."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import bot.slack.render.limits as L
import bot.slack.render.more as more
from bot.slack.render.buttons import actions_blocks
from bot.slack.render.mrkdwn import inline, is_plain, neutral
from vocabulary.messages import (
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


@dataclass
class Rendered:
    blocks: list[dict]
    text: str
    extra: dict = field(default_factory=dict)
    # Buttons whose action or payload did not fit in Slack's limits, by the short key their value carries
    # instead ({"a": action, "p": payload}); the sender stores them before posting (bot/slack/stash.py).
    stash: dict[str, dict] = field(default_factory=dict)

    def kwargs(self) -> dict:
        return {"blocks": self.blocks, "text": self.text}


@dataclass
class _State:
    slack_ids: Mapping[int, str]
    hint: str
    counter: list[int] = field(default_factory=lambda: [0])
    stash: dict[str, dict] = field(default_factory=dict)
    noted: bool = False  # a "see the rest" line is in the message already


def mention_ids(message: Message) -> set[int]:
    """Person ids the message mentions (the adapter looks up their Slack identities before rendering)."""
    out: set[int] = set()
    for b in message.blocks:
        if isinstance(b, Text):
            out.update(p.person_id for p in b.parts if isinstance(p, Mention))
    return out


def render(message: Message, slack_ids: Mapping[int, str] | None = None, *, max_blocks: int = L.MESSAGE_BLOCKS,
           more_hint: str | None = None, can_export: bool | None = None) -> Rendered:
    """Block Kit for a neutral message. Whatever does not fit is shortened with a line saying where to see the
    rest: `more_hint`, or the continuation derived from the message (render/more.py; `can_export` says whether
    the reader may export the portfolio, None for a channel)."""
    cont = more.continuation(message, can_export=can_export)
    st = _State(slack_ids or {}, more_hint if more_hint is not None else cont.text)
    blocks: list[dict] = []
    for b in message.blocks:
        blocks.extend(block(b, st))
    fitted = L.fit_blocks(blocks, max_blocks, st.hint)
    st.noted = st.noted or len(blocks) > max_blocks  # fit_blocks left its note
    if (not st.noted and len(fitted) < max_blocks and more.lists_only_part(message)
            and not more.already_says(message, cont)):
        fitted.append(context(st.hint))
    return Rendered(blocks=fitted, text=fallback_text(message), stash=st.stash)


def fallback_text(message: Message) -> str:
    text = (message.fallback or "").strip()
    if not text:
        for b in message.blocks:
            if isinstance(b, Context) and b.text.strip():
                text = b.text.strip()
                break
    return L.clip_mrkdwn(neutral(text or "Message from aiom"), L.FALLBACK_TEXT)


def block(b, st: _State) -> list[dict]:
    if isinstance(b, Header):
        text = " ".join(b.text.split())
        return [{"type": "header", "text": {"type": "plain_text", "text": L.clip(text, L.HEADER_TEXT),
                                            "emoji": True}}] if text else []
    if isinstance(b, Text):
        return text_blocks(b, st)
    if isinstance(b, Facts):
        fields = [{"type": "mrkdwn", "text": L.clip_mrkdwn(_fact(label, value), L.FIELD_TEXT)}
                  for label, value in b.items]
        return [{"type": "section", "fields": fields[i:i + L.FIELDS_PER_SECTION]}
                for i in range(0, len(fields), L.FIELDS_PER_SECTION)]
    if isinstance(b, Buttons):
        return [a for a in actions_blocks(b.buttons, st.counter, st.stash) if a["elements"]]
    if isinstance(b, Context):
        return [plain_context(b.text)] if b.text.strip() else []
    if isinstance(b, Divider):
        return [{"type": "divider"}]
    if isinstance(b, Image):
        if not b.url.startswith(("https://", "http://")) or len(b.url) > L.IMAGE_URL:
            return []
        return [{"type": "image", "image_url": b.url, "alt_text": L.clip(b.alt or "image", L.ALT_TEXT)}]
    return []


def text_blocks(b: Text, st: _State) -> list[dict]:
    """A text as sections: plain_text when it is only plain text (nothing for Slack to parse), else mrkdwn with
    every plain part neutralised. A text too long for three sections is shortened, with a line saying so."""
    plain_only = is_plain(b.parts)
    body = "".join(b.parts) if plain_only else inline(b.parts, st.slack_ids)
    if not body.strip():
        return []
    if b.muted:
        return [plain_context(body) if plain_only else context(body)]
    chunks, clipped = L.split_text(body, L.SECTION_TEXT, L.SECTIONS_PER_TEXT, mrkdwn=not plain_only)
    out: list[dict] = [{"type": "section", "text": plain_text(c) if plain_only else {"type": "mrkdwn", "text": c}}
                       for c in chunks]
    if clipped and not st.noted:
        out.append(L.clipped_note(st.hint))
        st.noted = True
    return out


def _fact(label: str, value) -> str:
    label = neutral(str(label)).strip()
    value = neutral(str(value)).strip() or "–"
    return f"*{label}*\n{value}" if label else value


def context(mrkdwn: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": L.clip_mrkdwn(mrkdwn, L.CONTEXT_TEXT)}]}


def plain_text(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def plain_context(text: str) -> dict:
    return {"type": "context", "elements": [plain_text(L.clip(text.strip(), L.CONTEXT_TEXT))]}
