"""What a request to /slack/events must pass before anything reads it.

1. The signature, on the raw bytes (HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret) and a
   timestamp within five minutes: otherwise 401, and the body is never decoded or parsed.
2. The body: UTF-8, a JSON object (Events API) or a form (interactivity, slash commands), JSON no deeper
   than `bot.bodies.MAX_DEPTH`: otherwise 400.

Each refusal is one warning line (what was wrong, never the body or a traceback). The parsed body is
returned so the journal can key it (bot/slack/journal.py); bolt parses it again on its own.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from bot import bodies

log = logging.getLogger(__name__)

MAX_AGE = 5 * 60


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Checked:
    body: dict
    kind: str  # "event" (JSON), "interaction" (form with a JSON payload) or "command" (a plain form)


def verify(secret: str, raw: bytes, headers, now: float | None = None) -> None:
    ts = headers.get("X-Slack-Request-Timestamp", "")
    sig = headers.get("X-Slack-Signature", "")
    if not secret or not ts or not sig:
        raise Refused(401, "no signature")
    try:
        age = abs((time.time() if now is None else now) - int(ts))
    except ValueError:
        raise Refused(401, "a timestamp that is not a number") from None
    if age > MAX_AGE:
        raise Refused(401, "a stale timestamp")
    if not hmac.compare_digest(sign(secret, ts, raw).encode(), sig.encode("utf-8", "replace")):
        raise Refused(401, "a wrong signature")


def sign(secret: str, ts: str, raw: bytes) -> str:
    mac = hmac.new(secret.encode(), b"v0:" + ts.encode("ascii", "replace") + b":" + raw, hashlib.sha256)
    return "v0=" + mac.hexdigest()


def _json(text: str) -> dict:
    try:
        return bodies.json_object(text)
    except bodies.BadBody as e:
        raise Refused(400, str(e)) from None


def parse(raw: bytes, content_type: str) -> Checked:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "a body that is not UTF-8") from None
    if "\x00" in text:
        raise Refused(400, "a NUL byte in the body")
    if content_type.startswith("application/json"):
        return Checked(_json(text), "event")
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=200))
        except ValueError:
            raise Refused(400, "a form that cannot be read") from None
        if "payload" in fields:
            return Checked(_json(fields["payload"]), "interaction")
        if "command" in fields or fields.get("ssl_check"):
            return Checked(fields, "command")
        raise Refused(400, "a form that is neither a command nor an interaction")
    raise Refused(400, f"a body of type {content_type[:60]!r}")


def check(secret: str, raw: bytes, headers) -> Checked:
    verify(secret, raw, headers)
    return parse(raw, headers.get("Content-Type", ""))
