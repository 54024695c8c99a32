"""Control characters out of what people type: a NUL (which Postgres refuses in text) and the other C0 controls
except tab and line breaks, and DEL. Applied by the engine to every inbound text, form value and button payload
before any flow sees it, so both databases store the same thing and no turn fails on it."""
from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value: str) -> str:
    return CONTROL.sub("", value) if CONTROL.search(value) else value


def deep(value, _depth: int = 0):
    """Strings anywhere inside dicts and lists, cleaned (keys too); other values unchanged."""
    if isinstance(value, str):
        return text(value)
    if _depth > 64:
        return value
    if isinstance(value, dict):
        return {deep(k, _depth + 1): deep(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [deep(v, _depth + 1) for v in value]
    return value
