"""Slack message text (its own markup) into the plain text the engine reads.

Slack sends `&`, `<`, `>` typed by a user as entities and its own references
as `<…>` tokens: user mentions `<@U1>`, channels `<#C1|name>`, specials
`<!here>`, links `<https://x|label>` and `<mailto:a@b|a@b>`. Tokens are read
first, then the entities in the remaining text are decoded, so a user who
literally types `<@U1>` never produces a mention.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

TOKEN = re.compile(r"<([^<>]*)>")
USER_MENTION = re.compile(r"^@([UW][A-Z0-9]+)(?:\|.*)?$")


@dataclass
class Parsed:
    text: str
    # Slack user ids mentioned, in order, with the plain text each was replaced by.
    mentions: list[tuple[str, str]] = field(default_factory=list)


def unescape(s: str) -> str:
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse(raw: str, names: dict[str, str] | None = None, *, drop_user: str | None = None) -> Parsed:
    """Plain text of a Slack message. `names` gives display names for mentioned user ids; a mention of
    `drop_user` (the bot itself in an app_mention) is removed."""
    names = names or {}
    out: list[str] = []
    mentions: list[tuple[str, str]] = []
    pos = 0
    for m in TOKEN.finditer(raw or ""):
        out.append(unescape(raw[pos:m.start()]))
        pos = m.end()
        out.append(_token(m.group(1), names, drop_user, mentions))
    out.append(unescape((raw or "")[pos:]))
    text = "".join(out)
    if drop_user:
        text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return Parsed(text=text, mentions=mentions)


def mentioned_users(raw: str) -> list[str]:
    out = []
    for m in TOKEN.finditer(raw or ""):
        um = USER_MENTION.match(m.group(1))
        if um and um.group(1) not in out:
            out.append(um.group(1))
    return out


def _token(body: str, names: dict[str, str], drop_user: str | None, mentions: list) -> str:
    um = USER_MENTION.match(body)
    if um:
        uid = um.group(1)
        if uid == drop_user:
            return ""
        label = body.split("|", 1)[1] if "|" in body else ""
        shown = "@" + (names.get(uid) or unescape(label) or uid)
        mentions.append((uid, shown))
        return shown
    target, _, label = body.partition("|")
    label = unescape(label)
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        special = target[1:].split("^")[0]
        if special in ("here", "channel", "everyone"):
            return "@" + special
        if special == "subteam":
            return label or "@team"
        if special == "date":
            return label or ""
        return label or ""
    if target.startswith("mailto:"):
        return unescape(target[len("mailto:"):])
    url = unescape(target)
    if not label or label == url or label == url.split("://", 1)[-1]:
        return url
    return f"{label} ({url})"
