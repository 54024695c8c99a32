"""Text as the bot writes it everywhere: clipped to a length, dates and times in one format."""
from __future__ import annotations

from datetime import date, datetime

ELLIPSIS = "…"


def clip(text: object, limit: int) -> str:
    """`text` (None reads as empty), without surrounding white space, shortened to `limit` characters: the last
    one an ellipsis when anything was cut."""
    text = "" if text is None else str(text).strip()
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def when(at: datetime | None, empty: str = "—") -> str:
    """A moment as '04 Dec 2026 14:30 UTC' (times are kept in UTC)."""
    return at.strftime("%d %b %Y %H:%M UTC") if at else empty


def day(d: date | datetime | None, empty: str = "—") -> str:
    """A date as '04 Dec 2026'."""
    return d.strftime("%d %b %Y") if d else empty
