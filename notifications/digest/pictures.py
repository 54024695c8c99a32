"""The charts as messages: one picture per message, so each fits a Teams card (28 KB) on its own.

Without a public URL the picture travels inside the message as a `data:image/png;base64,...` address: Teams
shows it inline in the card, Slack uploads it to the channel (files.uploadV2, bot/slack/pictures.py), the
local chat prints its alt text. With AIOM_PUBLIC_URL set, the digest's pictures are served by aiom itself
(notifications/digest/web.py) and Slack and Teams show them inline from there.
"""
from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

from vocabulary.messages import Context, Image, Message

if TYPE_CHECKING:  # pragma: no cover - matplotlib is loaded only where charts are drawn
    from notifications.digest.charts import Chart

DATA_PREFIX = "data:image/png;base64,"


def data_uri(png: bytes) -> str:
    return DATA_PREFIX + base64.b64encode(png).decode("ascii")


def png_of(url: str) -> bytes | None:
    """The PNG inside a data address aiom built, or None for any other address."""
    if not url.startswith(DATA_PREFIX):
        return None
    try:
        return base64.b64decode(url[len(DATA_PREFIX):], validate=True)
    except ValueError:
        return None


def message(chart: Chart, url: str | None = None, note: str = "") -> Message:
    blocks: list = [Image(url=url or data_uri(chart.png), alt=chart.alt)]
    if note:
        blocks.append(Context(note))
    return Message(blocks, fallback=chart.alt)


def not_yet_note(charts: list[Chart]) -> str:
    """What a fresh installation shows instead of empty trend charts."""
    missing = [c.title for c in charts if not c.enough]
    if not missing:
        return ""
    they = "They appear" if len(missing) > 1 else "It appears"
    return f"{' and '.join(missing)}: not enough history yet. {they} once there are two digests to compare."


def inline_images(msg: Message) -> list[tuple[Image, bytes]]:
    return [(b, png) for b in msg.blocks if isinstance(b, Image) and (png := png_of(b.url)) is not None]


def files(msg: Message) -> list[tuple[str, bytes, str, str]]:
    """(file name, PNG, title, alt text) of each picture inside `msg`: what a platform uploads or saves."""
    out = []
    for i, (b, png) in enumerate(inline_images(msg)):
        title = (b.alt.split(":")[0] or "Picture").strip()[:120]
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or f"picture-{i + 1}"
        out.append((f"aiom-{slug}.png", png, title, b.alt))
    return out
