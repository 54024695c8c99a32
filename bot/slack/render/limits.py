"""Block Kit limits (https://docs.slack.dev/reference/block-kit) and the helpers that keep within them.

Everything a renderer emits passes through these, so a long answer or a big
list is shortened gracefully instead of being refused by Slack.
"""
from __future__ import annotations

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
CONTEXT_TEXT = 3000
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
BUTTONS_PER_ACTIONS = 25
ACTION_ID = 255
BUTTON_VALUE = 2000
BUTTON_URL = 3000
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
IMAGE_URL = 3000
ALT_TEXT = 2000
BLOCK_ID = 255
PRIVATE_METADATA = 3000
VIEW_TITLE = 24
VIEW_BUTTON = 24
INPUT_LABEL = 2000
INPUT_HINT = 2000
PLACEHOLDER = 150
INPUT_MAX_LENGTH = 3000
OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150
# Slack accepts 40,000 characters of fallback text; notifications show far less.
FALLBACK_TEXT = 3000
# A long text is split over at most this many sections before it is shortened.
SECTIONS_PER_TEXT = 3

ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """Plain text (not mrkdwn) shortened to `limit` characters."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def clip_mrkdwn(text: str, limit: int) -> str:
    """Escaped mrkdwn shortened to `limit` characters without cutting an entity (&amp;) or a token (<@U1>)."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    lt = cut.rfind("<")
    if lt != -1 and ">" not in cut[lt:]:
        cut = cut[:lt]
    # A bold/italic run cut in half would show its marker; harmless, so it is left alone.
    return cut.rstrip() + ELLIPSIS


def split_text(text: str, limit: int, max_parts: int, *, mrkdwn: bool = True) -> tuple[list[str], bool]:
    """(chunks, clipped): `text` over at most `max_parts` chunks of `limit` characters, split at line or word
    breaks (never inside an entity or a <token> when `mrkdwn`); `clipped` says the last chunk was shortened."""
    parts: list[str] = []
    rest = text
    while rest and len(parts) < max_parts - 1 and len(rest) > limit:
        window = rest[:limit]
        brk = max(window.rfind("\n"), window.rfind(" "))
        if brk < limit // 2:
            brk = limit
        head = window[:brk]
        if mrkdwn:  # never split inside an entity or a <token>
            amp = head.rfind("&")
            if amp != -1 and ";" not in head[amp:]:
                brk = amp
            lt = head.rfind("<")
            if lt != -1 and ">" not in head[lt:]:
                brk = lt
        if brk <= 0:
            brk = limit
        parts.append(rest[:brk].rstrip())
        rest = rest[brk:].lstrip()
    clipped = len(rest) > limit
    if rest:
        parts.append(clip_mrkdwn(rest, limit) if mrkdwn else clip(rest, limit))
    return [p for p in parts if p], clipped


def fit_blocks(blocks: list[dict], limit: int, more_hint: str) -> list[dict]:
    """Keep at most `limit` blocks. The first block and the button rows (actions blocks) are kept; other content
    is kept from the top while it fits, and one context line says how much was left out and where to see it."""
    if len(blocks) <= limit:
        return blocks
    room = limit - 1  # one line for the note
    essential = sorted({0} | {i for i, b in enumerate(blocks) if b.get("type") == "actions"})[:room]
    keep = set(essential)
    for i in range(len(blocks)):
        if len(keep) >= room:
            break
        keep.add(i)
    dropped = [i for i in range(len(blocks)) if i not in keep]
    out: list[dict] = []
    for i, b in enumerate(blocks):
        if i == dropped[0]:
            out.append(note_block(len(dropped), more_hint))
        if i in keep:
            out.append(b)
    return out


def note_block(dropped: int, more_hint: str) -> dict:
    what = "item was" if dropped == 1 else "items were"
    text = f"{ELLIPSIS} {dropped} more {what} left out here (Slack shows a limited number). {more_hint}".strip()
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, CONTEXT_TEXT)}]}


def clipped_note(more_hint: str) -> dict:
    """The line under a text that had to be shortened to fit (Slack shows up to 3,000 characters a section)."""
    text = f"{ELLIPSIS} This text was shortened to fit in Slack. {more_hint}".strip()
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, CONTEXT_TEXT)}]}
