"""Teams' documented pace and retry rules, as aiom applies them to outgoing connector calls."""
from __future__ import annotations

import random

from bot.teams.retry import MEMBER_LIMITS, SEND_LIMITS, Pace, RetryPolicy, _Windows, retry_after_seconds


def test_per_conversation_windows_follow_the_documented_limits():
    w = _Windows(SEND_LIMITS)
    w.stamps.extend([0.0] * 7)
    assert w.wait_time(0.0) == 1.0  # 7 per second
    w.stamps.append(1.0)
    assert w.wait_time(1.0) == 1.0  # 8 per 2 seconds: the first of them must be 2 s old
    assert w.wait_time(2.0) == 0.0
    steady = _Windows(SEND_LIMITS)
    steady.stamps.extend(float(i) for i in range(100))  # one a second is always fine
    assert steady.wait_time(100.0) == 0.0
    roster = _Windows(MEMBER_LIMITS)
    roster.stamps.extend([0.0] * 13)
    assert roster.wait_time(0.0) == 0.0  # roster look-ups may go twice as fast (14 per second)
    roster.stamps.append(0.0)
    assert roster.wait_time(0.0) == 1.0


def test_exactly_sixty_in_thirty_seconds_then_a_wait():
    w = _Windows(SEND_LIMITS)
    w.stamps.extend([i * 0.49 for i in range(60)])  # 60 calls within 29.4 s, never 8 in 2 s
    assert w.wait_time(29.5) == 0.5  # the first of them must leave the 30 s window


def test_calls_are_paced_per_conversation_and_thread_ids_share_their_channel():
    assert Pace.classify("POST", "/v3/conversations/19%3Aabc%40thread.tacv2%3Bmessageid%3D17/activities/17") == \
        ("send", "19:abc@thread.tacv2")
    assert Pace.classify("PUT", "/v3/conversations/a%3A1/activities/9") == ("send", "a:1")
    assert Pace.classify("GET", "/v3/conversations/a%3A1/members/29%3Ax") == ("members", "a:1")
    assert Pace.classify("POST", "/v3/conversations") == ("send", "*create*")
    assert Pace.classify("GET", "/v3/attachments/x") is None


def test_backoff_grows_with_jitter_and_honours_retry_after():
    random.seed(7)
    p = RetryPolicy(base=0.25, cap=20)
    for attempt in range(1, 8):
        d = p.delay(attempt)
        top = min(20, 0.25 * 2 ** (attempt - 1))
        assert top / 2 <= d <= top
    assert p.delay(1, retry_after=3.0) == 3.0
    assert retry_after_seconds("2") == 2.0 and retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT") is None
    assert retry_after_seconds(None) is None


def test_opening_chats_with_different_people_is_paced_per_person():
    import json

    from bot.teams.connector import _created_thread

    dm = json.dumps({"members": [{"id": "29:amy"}], "isGroup": False})
    post = json.dumps({"channelData": {"channel": {"id": "19:c@thread.tacv2"}}, "isGroup": True})
    assert _created_thread(dm) == "create:29:amy" != _created_thread(json.dumps({"members": [{"id": "29:bob"}]}))
    assert _created_thread(post) == "create:19:c@thread.tacv2"
    assert _created_thread("not json") == Pace.CREATE
