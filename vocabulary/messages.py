"""A small, platform-free message model.

Flows build `Message`s out of these blocks; `bot/slack`, `bot/teams` and the
console render them. All text is plain text: renderers escape it for their
platform, so nothing a user typed can become a mention, a link or markup.
Emphasis, mentions and links are explicit inline parts.

Buttons carry a stable `action` id and a small `payload` of ids only; the
server re-reads and re-authorises everything on click.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Union


# -- inline parts --------------------------------------------------------------
@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Mention:
    """A person aiom knows; rendered as a real mention where the platform identity is known."""

    person_id: int
    name: str


@dataclass(frozen=True)
class Link:
    """A link aiom itself built (never from user text)."""

    url: str
    label: str


Inline = Union[str, Strong, Mention, Link]


def plain(parts: tuple[Inline, ...] | list[Inline]) -> str:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
        elif isinstance(p, (Strong,)):
            out.append(p.text)
        elif isinstance(p, Mention):
            out.append(p.name)
        elif isinstance(p, Link):
            out.append(p.label)
    return "".join(out)


# -- blocks --------------------------------------------------------------------
@dataclass
class Header:
    text: str
    kind: str = "header"


@dataclass
class Text:
    parts: list[Inline]
    muted: bool = False
    kind: str = "text"


@dataclass
class Facts:
    """Label / value pairs (a Slack fields section, a Teams FactSet)."""

    items: list[tuple[str, str]]
    kind: str = "facts"


@dataclass
class Confirm:
    title: str
    text: str
    yes: str = "Yes"
    no: str = "Cancel"


@dataclass
class Button:
    label: str
    action: str
    payload: dict[str, Any] = field(default_factory=dict)
    style: Literal["primary", "danger"] | None = None
    confirm: Confirm | None = None
    url: str | None = None


@dataclass
class Buttons:
    buttons: list[Button]
    kind: str = "buttons"


@dataclass
class Context:
    """Small print under a block: progress, hints, timestamps."""

    text: str
    kind: str = "context"


@dataclass
class Divider:
    kind: str = "divider"


@dataclass
class Image:
    url: str
    alt: str
    kind: str = "image"


Block = Union[Header, Text, Facts, Buttons, Context, Divider, Image]


# -- forms ---------------------------------------------------------------------
@dataclass
class FormField:
    name: str
    label: str
    # text | multiline | select | number | date | person | email
    type: str = "text"
    optional: bool = False
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    options: list[tuple[str, str]] = field(default_factory=list)  # (key, label) for select
    initial: Any = None
    hint: str = ""
    placeholder: str = ""
    # The field this one belongs to: where fields are asked one by one (the local chat), it is not asked
    # when that field was left empty (a condition's owner and due date, when no condition was written).
    follows: str = ""


@dataclass
class Form:
    """Several questions on one screen: a Slack modal, a Teams card form, console prompts."""

    form_id: str
    title: str
    fields: list[FormField]
    submit_label: str = "Submit"
    intro: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def from_dict(d: Any) -> "Form | None":
        """A form stored as `dataclasses.asdict` (a pending form in the database); None if it is not one."""
        if not isinstance(d, dict):
            return None
        try:
            fields = [FormField(**{**f, "options": [tuple(o) for o in f.get("options", [])]}) for f in d["fields"]]
            return Form(**{**d, "fields": fields})
        except (TypeError, KeyError):
            return None


# -- message -------------------------------------------------------------------
@dataclass
class Message:
    blocks: list[Block]
    # Plain-text version for notifications, screen readers and logs.
    fallback: str = ""
    # "text" when the message asks a question answered by typing (the console then reads a bare
    # number as an answer, not as a button number).
    expects: str = ""

    def __post_init__(self) -> None:
        if not self.fallback:
            self.fallback = summary_text(self.blocks)

    @property
    def buttons(self) -> list[Button]:
        return [b for blk in self.blocks if isinstance(blk, Buttons) for b in blk.buttons]

    def to_dict(self) -> dict:
        return {"blocks": [_block_to_dict(b) for b in self.blocks], "fallback": self.fallback,
                "expects": self.expects}

    @staticmethod
    def from_dict(d: dict) -> "Message":
        return Message(blocks=[_block_from_dict(b) for b in d.get("blocks", [])], fallback=d.get("fallback", ""),
                       expects=d.get("expects", ""))


def summary_text(blocks: list[Block], limit: int = 300) -> str:
    for b in blocks:
        if isinstance(b, Header):
            return b.text[:limit]
        if isinstance(b, Text):
            return plain(b.parts)[:limit]
    return ""


def _inline_to_dict(p: Inline) -> Any:
    if isinstance(p, str):
        return p
    return {"t": type(p).__name__, **asdict(p)}


def _inline_from_dict(d: Any) -> Inline:
    if isinstance(d, str):
        return d
    kind = d.pop("t")
    return {"Strong": Strong, "Mention": Mention, "Link": Link}[kind](**d)


def _block_to_dict(b: Block) -> dict:
    d = asdict(b)
    if isinstance(b, Text):
        d["parts"] = [_inline_to_dict(p) for p in b.parts]
    if isinstance(b, Facts):
        d["items"] = [list(i) for i in b.items]
    return d


def _block_from_dict(d: dict) -> Block:
    d = dict(d)
    kind = d.pop("kind")
    if kind == "header":
        return Header(**d)
    if kind == "text":
        return Text(parts=[_inline_from_dict(dict(p) if isinstance(p, dict) else p) for p in d["parts"]],
                    muted=d.get("muted", False))
    if kind == "facts":
        return Facts(items=[(a, b) for a, b in d["items"]])
    if kind == "buttons":
        out = []
        for b in d["buttons"]:
            b = dict(b)
            if b.get("confirm"):
                b["confirm"] = Confirm(**b["confirm"])
            out.append(Button(**b))
        return Buttons(buttons=out)
    if kind == "context":
        return Context(**d)
    if kind == "divider":
        return Divider()
    if kind == "image":
        return Image(**d)
    raise ValueError(f"unknown block kind {kind!r}")


# -- small builders used by every flow ----------------------------------------
def text(*parts: Inline, muted: bool = False) -> Text:
    return Text(parts=list(parts), muted=muted)


def message(*blocks: Block, fallback: str = "") -> Message:
    return Message(blocks=list(blocks), fallback=fallback)


def say(*parts: Inline) -> Message:
    return Message(blocks=[Text(parts=list(parts))])
