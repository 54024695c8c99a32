"""Posting at most once when a post may already have landed (docs/durable-intake.md, "The duplicate window").

Every post aiom may have to send again carries a key in its message metadata. Before sending it again - a turn's
kept reply after a stop, an outbox row claimed again after its process stopped between the send and the stamp,
a reply whose first post timed out after Slack took it - aiom looks for that key among the latest messages of
the channel (or thread) and posts only when it is not there. Used by the turn's ops (ops.py) and by the
outbox's Slack deliverer (deliverer.py).
"""
from __future__ import annotations

import logging

from notifications.delivery import Attempt, DeliveryError

log = logging.getLogger(__name__)

REPLY_EVENT = "aiom_reply"  # the metadata event type of a post aiom may send again
TURN_REPLY = "slack:reply:"  # outbox rows of a turn's reply its turn could not send (recovery.py)


def metadata(key: str) -> dict:
    """The chat.postMessage arguments that put `key` on a post ({} without a key)."""
    return {"metadata": {"event_type": REPLY_EVENT, "event_payload": {"k": key}}} if key else {}


def outbox_key(attempt: Attempt | None) -> tuple[str, bool]:
    """(metadata key, whether to look first) for an outbox row's post. A turn's reply queued after its post failed
    carries the turn's own key, and is looked for even on its first try (the failed post may have landed); any
    other row is looked for once it is being sent again."""
    if attempt is None or not attempt.key:
        return "", False
    if attempt.key.startswith(TURN_REPLY):
        return attempt.key[len(TURN_REPLY):][:200], True
    return f"outbox:{attempt.key}"[:200], attempt.again


async def posted(api, channel: str, thread_ts: str, key: str) -> str:
    """The ts of aiom's message carrying `key` among the latest in the channel (or thread); "" when there is none
    or Slack cannot say (then the post is made: better twice than never)."""
    try:
        if thread_ts:
            d = await api.call("conversations.replies", channel=channel, ts=thread_ts, limit=100,
                               include_all_metadata=True)
        else:
            d = await api.call("conversations.history", channel=channel, limit=100, include_all_metadata=True)
    except DeliveryError as e:
        log.warning("could not look for post %s in %s: %s", key[:80], channel, e)
        return ""
    for m in d.get("messages") or []:
        meta = m.get("metadata") or {}
        if meta.get("event_type") == REPLY_EVENT and (meta.get("event_payload") or {}).get("k") == key:
            return str(m.get("ts") or "")
    return ""
