"""Plain text and inline parts as Slack mrkdwn.

Every string from a neutral message is escaped (`&`, `<`, `>`), so nothing a
user typed can ping @channel/@here, mention someone or forge a link. Only the
explicit parts become markup: `Mention` (a real `<@U…>` when the person has a
Slack identity, else their name) and `Link` (`<url|label>`).

plain_text objects (headers, button labels, modal labels and options) are sent as typed: Slack never parses
mentions or links in them, and it would show entities there literally.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from conversations.messages import Inline, Link, Mention, Strong


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_url(url: str) -> str:
    return escape(url).replace("|", "%7C").replace(" ", "%20")


def inline(parts: Iterable[Inline], slack_ids: Mapping[int, str] | None = None) -> str:
    ids = slack_ids or {}
    out: list[str] = []
    for p in parts:
        if isinstance(p, str):
            out.append(escape(p))
        elif isinstance(p, Strong):
            t = escape(p.text).strip()
            out.append(f"*{t}*" if t else "")
        elif isinstance(p, Mention):
            uid = ids.get(p.person_id)
            out.append(f"<@{uid}>" if uid else escape(p.name))
        elif isinstance(p, Link):
            label = escape(p.label).replace("|", "¦") or escape_url(p.url)
            if p.url.startswith(("https://", "http://", "mailto:", "slack://")):
                out.append(f"<{escape_url(p.url)}|{label}>")
            else:
                out.append(label)
    return "".join(out)
