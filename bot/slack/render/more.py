"""Where to see the rest of a message Slack could not show in full: a real next step, never the same view again.

Slack shows at most 50 blocks a message (100 in App Home) and 3,000 characters a section, and the neutral views
list only their top items ("and 12 more"). What continues a message is derived from what it shows:

- one use case, in any message but its own status: `status UC-4`, which shows it in full;
- a use case's status itself: its registers in full (`risks UC-4`, `kpis UC-4`, `incidents UC-4`);
- several use cases (my ideas, the portfolio, a digest): `status UC-n` for any one of them, and for the people
  the policy lets export, `export`, the whole portfolio as a spreadsheet.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from vocabulary.messages import Buttons, Context, Facts, Header, Message, Text, plain

UC = re.compile(r"\bUC-(\d+)\b")
LISTED_ONLY_PART = re.compile(r"\band \d+ more\b")


@dataclass(frozen=True)
class Continuation:
    text: str  # mrkdwn, our own wording
    commands: tuple[str, ...]  # what it tells the person to type (to see whether the message says it already)


def use_cases_in(message: Message) -> list[int]:
    """Use case ids the message is about: its header, its texts and its buttons' payloads, in order."""
    out: list[int] = []
    for b in message.blocks:
        if isinstance(b, (Header, Context)):
            out += [int(n) for n in UC.findall(b.text)]
        elif isinstance(b, Text):
            out += [int(n) for n in UC.findall(plain(b.parts))]
        elif isinstance(b, Buttons):
            out += [p for p in (btn.payload.get("uc") for btn in b.buttons)
                    if isinstance(p, int) and not isinstance(p, bool)]
    return list(dict.fromkeys(out))


def _is_status_of(message: Message, uc_id: int) -> bool:
    header = next((b.text for b in message.blocks if isinstance(b, Header)), "")
    return header.startswith(f"UC-{uc_id} ") and any(
        btn.action == "status.show" and btn.payload.get("uc") == uc_id for btn in message.buttons)


def _export(can_export: bool | None) -> str:
    if can_export:
        return "Send me *export* in a direct message for the whole portfolio as a spreadsheet."
    if can_export is None:
        return "Leaders can send me *export* in a direct message for the whole portfolio as a spreadsheet."
    return ""


def continuation(message: Message, *, can_export: bool | None = None) -> Continuation:
    """What to type to see what this message could not show. `can_export`: whether the reader may export the
    portfolio (None when the message goes to a channel, whose readers differ)."""
    ucs = use_cases_in(message)
    export = _export(can_export)
    if len(ucs) == 1:
        n = ucs[0]
        if _is_status_of(message, n):
            text = (f"Send me *risks UC-{n}*, *kpis UC-{n}* or *incidents UC-{n}* for those lists in full. "
                    + export).strip()
            return Continuation(text, (f"risks UC-{n}", f"kpis UC-{n}", f"incidents UC-{n}"))
        return Continuation(f"Send me *status UC-{n}* to see UC-{n} in full.", (f"status UC-{n}",))
    one = "Send me *status UC-n* (for example *status UC-4*) for any one use case in full."
    if ucs or export:
        return Continuation(f"{one} {export}".strip(), ("status UC-n",) + (("export",) if can_export else ()))
    return Continuation("Send me *help* to see what else I can show you.", ("help",))


def lists_only_part(message: Message) -> bool:
    """The neutral view itself listed only its first items ("and 12 more")."""
    for b in message.blocks:
        if isinstance(b, Text) and LISTED_ONLY_PART.search(plain(b.parts)):
            return True
        if isinstance(b, Context) and LISTED_ONLY_PART.search(b.text):
            return True
        if isinstance(b, Facts) and any(LISTED_ONLY_PART.search(str(v)) for _, v in b.items):
            return True
    return False


def already_says(message: Message, c: Continuation) -> bool:
    """The message already tells the person how to go on (it names the continuation's first command)."""
    shown: list[str] = []
    for b in message.blocks:
        if isinstance(b, Text):
            shown.append(plain(b.parts))
        elif isinstance(b, Context):
            shown.append(b.text)
    text = "\n".join(shown)
    return c.commands[0] in text
