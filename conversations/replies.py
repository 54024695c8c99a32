"""A turn's reply, kept with its inbound entry until it has been sent (storage/repo/events.py).

If the process stops between the turn's commit and the sends, the reply is sent again from here (by the
replay of the entry, or by the platform's retry) instead of being lost. Only ops that carry a neutral message
are kept: Say, Whisper, ReplaceSource, Replace. A form to open (OpenForm, FormErrors) needs the platform's
short-lived trigger, and a file (SendFile) is built again on request; those are not kept.
"""
from __future__ import annotations

from vocabulary.interaction import Op, Replace, ReplaceSource, Say, Whisper
from vocabulary.messages import Message


def dump(ops: list[Op]) -> list[dict]:
    out: list[dict] = []
    for op in ops:
        if isinstance(op, Say):
            out.append({"op": "say", "m": op.message.to_dict(), "track": op.track, "thread_of": op.thread_of,
                        "remember_as": op.remember_as})
        elif isinstance(op, Whisper):
            out.append({"op": "whisper", "m": op.message.to_dict()})
        elif isinstance(op, ReplaceSource):
            out.append({"op": "replace_source", "m": op.message.to_dict()})
        elif isinstance(op, Replace):
            out.append({"op": "replace", "m": op.message.to_dict(), "id": op.message_id})
    return out


def load(data: list[dict]) -> list[Op]:
    ops: list[Op] = []
    for d in data or []:
        m = Message.from_dict(d.get("m") or {})
        kind = d.get("op")
        if kind == "say":
            ops.append(Say(message=m, track=bool(d.get("track")), thread_of=d.get("thread_of"),
                           remember_as=d.get("remember_as")))
        elif kind == "whisper":
            ops.append(Whisper(message=m))
        elif kind == "replace_source":
            ops.append(ReplaceSource(message=m))
        elif kind == "replace":
            ops.append(Replace(message_id=str(d.get("id", "")), message=m))
    return ops
