"""Forms waiting for an "Open the form" click (a modal needs a trigger id, which typed text does not give)."""
from __future__ import annotations

import secrets
import time
from collections import OrderedDict

from conversations.messages import Form


class FormsCache:
    def __init__(self, ttl: float = 3600, size: int = 2000):
        self.ttl, self.size = ttl, size
        self._d: OrderedDict[str, tuple[float, str, Form]] = OrderedDict()

    def put(self, user_id: str, form: Form) -> str:
        key = secrets.token_urlsafe(9)
        self._d[key] = (time.monotonic() + self.ttl, user_id, form)
        while len(self._d) > self.size:
            self._d.popitem(last=False)
        return key

    def get(self, key: str, user_id: str) -> Form | None:
        hit = self._d.get(key)
        if hit is None or hit[0] < time.monotonic() or hit[1] != user_id:
            return None
        return hit[2]
