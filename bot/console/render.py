"""Neutral messages as terminal text; buttons become numbered choices."""
from __future__ import annotations

import textwrap

from vocabulary.messages import (
    Buttons,
    Context,
    Divider,
    Facts,
    Header,
    Image,
    Link,
    Mention,
    Message,
    Strong,
    Text,
)

WIDTH = 88
LABEL_MAX = 24


def inline(parts) -> str:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
        elif isinstance(p, Strong):
            out.append(p.text.upper() if len(p.text) < 40 else p.text)
        elif isinstance(p, Mention):
            out.append(f"@{p.name}")
        elif isinstance(p, Link):
            out.append(f"{p.label} ({p.url})")
    return "".join(out)


def render(message: Message, *, numbered_from: int = 1, indent: str = "", numbers: bool = True) -> tuple[str, list]:
    """Return (text, buttons in the order they were numbered). With numbers=False buttons are listed by name
    only (someone else's message: typed numbers never click it)."""
    lines: list[str] = []
    buttons = []
    n = numbered_from
    for b in message.blocks:
        if isinstance(b, Header):
            lines.append(f"== {b.text} ==")
        elif isinstance(b, Text):
            for para in inline(b.parts).split("\n"):
                lines.extend(textwrap.wrap(para, WIDTH) or [""])
        elif isinstance(b, Facts):
            width = min(LABEL_MAX, max((len(k) for k, _ in b.items), default=0))
            for k, v in b.items:
                labels = textwrap.wrap(k, width) or [""]  # a long label wraps in its own column
                wrapped = textwrap.wrap(str(v), WIDTH - width - 4) or [""]
                for i in range(max(len(labels), len(wrapped))):
                    label = labels[i] if i < len(labels) else ""
                    value = wrapped[i] if i < len(wrapped) else ""
                    lines.append(f"  {label.ljust(width)}  {value}".rstrip())
        elif isinstance(b, Buttons):
            if not numbers:
                lines.append("  Buttons: " + " · ".join(btn.label for btn in b.buttons))
                continue
            row = ""
            for btn in b.buttons:
                item = f"[{n}] {btn.label}"
                if row and len(row) + 3 + len(item) > WIDTH - 2:  # wrap long rows between buttons
                    lines.append("  " + row)
                    row = ""
                row = f"{row}   {item}" if row else item
                buttons.append(btn)
                n += 1
            lines.append("  " + row)
        elif isinstance(b, Context):
            lines.extend("  · " + w for w in (textwrap.wrap(b.text, WIDTH - 4) or [""]))
        elif isinstance(b, Divider):
            lines.append("  " + "-" * 40)
        elif isinstance(b, Image):
            lines.append(f"  [picture: {b.alt}]")
    return "\n".join(indent + line for line in lines), buttons
