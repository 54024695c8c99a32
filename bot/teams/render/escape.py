"""Plain text into Teams' TextBlock markdown, so user text can never become a link, emphasis or a mention.

Teams renders a markdown subset in TextBlocks and FactSets. Every markdown
special character is backslash-escaped (CommonMark escapes), `&` included so an
HTML entity cannot be decoded into markup, and `<at` is broken with a zero-width
space so no `<at>…</at>` mention tag can form even where escapes are ignored.
"""
from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

SPECIALS = "\\`*_{}[]()#+-.!~>|<=&"
_TABLE = str.maketrans({c: "\\" + c for c in SPECIALS})
_AT = re.compile(r"<(/?)(at)", re.IGNORECASE)
_SAFE_SCHEMES = ("https", "http", "mailto")


def md(text: str) -> str:
    """Escape plain text for a TextBlock / Fact (line breaks kept as paragraph breaks Teams shows)."""
    text = _AT.sub("<\u200b\\1\\2", text)
    text = text.translate(_TABLE)
    return text.replace("\r\n", "\n").replace("\n", "\n\n")


def plain(text: str) -> str:
    """Plain text that is never rendered as markdown (fallbackText, notification summaries): mention tags and
    entity-encoded tags are broken with a zero-width space so no client can turn them into markup."""
    return _AT.sub("<\u200b\\1\\2", text).replace("&", "&\u200b")


def safe_url(url: str) -> str | None:
    """A URL aiom built, made safe to put inside `[label](url)`; None if its scheme is not allowed."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in _SAFE_SCHEMES:
        return None
    return quote(url.strip(), safe=":/?#@!$&'*+,;=%~-._")
