"""Reading a button's payload: a value of the wrong shape is refused, never guessed."""
from __future__ import annotations

from conversations.refusal import Refusal

BAD_BUTTON = "I could not read that button, so nothing was changed. Please use the most recent message."


def read_int(payload: dict, name: str) -> int:
    v = payload.get(name)
    if isinstance(v, bool) or not isinstance(v, int):
        raise Refusal(BAD_BUTTON)
    return v


def read_str(payload: dict, name: str) -> str:
    v = payload.get(name)
    if not isinstance(v, str) or not v or len(v) > 64:
        raise Refusal(BAD_BUTTON)
    return v
