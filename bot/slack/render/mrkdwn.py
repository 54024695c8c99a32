"""Plain text and inline parts as Slack mrkdwn.

Every string from a neutral message is plain text, shown as typed:

- `&`, `<`, `>` are escaped, so nothing a user typed can ping @channel/@here, mention someone or forge a link;
- Slack has no escape for its formatting characters (`*bold*`, `_italic_`, `~strike~`, `` `code` ``, a `>`
  quote at the start of a line), so each one gets a zero-width space on either side: it is still shown, but it
  can no longer open or close a formatting run.

Only the explicit parts become markup: `Strong` (bold), `Mention` (a real `<@U…>` when the person has a Slack
identity, else their name) and `Link` (`<url|label>`). Blocks made only of plain text are sent as plain_text
objects instead, which Slack never parses at all.

plain_text objects (headers, plain sections, context lines, button labels, modal labels and options) are sent
as typed: Slack parses neither mentions, links nor formatting in them, and it would show entities there
literally.
"""
from __future__ import annotations

import re
from typing import Iterable, Mapping

from vocabulary.messages import Inline, Link, Mention, Strong

ZWSP = "\u200b"
_FORMATTING = re.compile(r"[*_~`]")
_QUOTE = re.compile(r"(^|\n)(&gt;)")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def neutral(text: str) -> str:
    """Plain text as mrkdwn that shows exactly what was typed: escaped, with its formatting characters inert."""
    out = _FORMATTING.sub(lambda m: f"{ZWSP}{m.group(0)}{ZWSP}", escape(text))
    return _QUOTE.sub(lambda m: f"{m.group(1)}{ZWSP}{m.group(2)}", out)


def escape_url(url: str) -> str:
    return escape(url).replace("|", "%7C").replace(" ", "%20")


def is_plain(parts: Iterable[Inline]) -> bool:
    """Only plain strings: the block can go out as plain_text, with nothing for Slack to parse."""
    return all(isinstance(p, str) for p in parts)


def inline(parts: Iterable[Inline], slack_ids: Mapping[int, str] | None = None) -> str:
    ids = slack_ids or {}
    out: list[str] = []
    for p in parts:
        if isinstance(p, str):
            out.append(neutral(p))
        elif isinstance(p, Strong):
            t = neutral(p.text).strip()
            out.append(f"*{t}*" if t else "")
        elif isinstance(p, Mention):
            uid = ids.get(p.person_id)
            out.append(f"<@{uid}>" if uid else neutral(p.name))
        elif isinstance(p, Link):
            label = neutral(p.label).replace("|", "¦") or escape_url(p.url)
            if p.url.startswith(("https://", "http://", "mailto:", "slack://")):
                out.append(f"<{escape_url(p.url)}|{label}>")
            else:
                out.append(label)
    return "".join(out)
