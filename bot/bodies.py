"""Reading a request body that may be hostile: JSON no deeper than a limit, checked without recursion."""
from __future__ import annotations

import json

MAX_DEPTH = 32  # the deepest real payload (a Slack modal's state, a Teams Adaptive Card) nests about 12 levels


class BadBody(ValueError):
    pass


def too_deep(value, limit: int = MAX_DEPTH) -> bool:
    """Iteratively (no recursion to blow), whether containers nest deeper than `limit`."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            children = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def json_object(text: str | bytes) -> dict:
    """A JSON object, or BadBody saying what is wrong (never the body itself)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise BadBody("a body that is not UTF-8") from None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise BadBody("a body that is not JSON") from None
    if not isinstance(value, dict):
        raise BadBody("JSON that is not an object")
    if too_deep(value):
        raise BadBody("JSON nested too deeply")
    return value
