"""Requests signed exactly as Slack signs them: v0:timestamp:body, HMAC-SHA256 with the signing secret."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

SECRET = "test-signing-secret-0123456789"


def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def headers(body: str, content_type: str, *, secret: str = SECRET, timestamp: int | None = None,
            retry_num: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    out = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
           "X-Slack-Signature": signature(secret, ts, body)}
    if retry_num is not None:
        out["X-Slack-Retry-Num"] = str(retry_num)
        out["X-Slack-Retry-Reason"] = "http_timeout"
    return out


def event_request(envelope: dict, **kw) -> tuple[str, dict[str, str]]:
    body = json.dumps(envelope)
    return body, headers(body, "application/json", **kw)


def interaction_request(payload: dict, **kw) -> tuple[str, dict[str, str]]:
    body = urlencode({"payload": json.dumps(payload)})
    return body, headers(body, "application/x-www-form-urlencoded", **kw)


def command_request(fields: dict, **kw) -> tuple[str, dict[str, str]]:
    body = urlencode(fields)
    return body, headers(body, "application/x-www-form-urlencoded", **kw)
