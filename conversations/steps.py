"""Question steps and how typed or clicked answers are read and checked."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from conversations.people.lookup import parse_person

if TYPE_CHECKING:  # pragma: no cover
    from conversations.context import Ctx

Choices = list[tuple[str, str]]


class Invalid(Exception):
    """An answer that cannot be used; the message says why and the question is asked again."""


@dataclass
class Step:
    key: str
    label: str
    question: str | Callable[["Ctx", dict], str]
    # text | choice | person | date | yesno | number
    kind: str = "text"
    optional: bool = False
    help: str = ""
    hint: str = ""
    max_len: int | None = None
    min_len: int = 2
    choices: Choices | Callable[["Ctx", dict], Choices] | None = None
    when: Callable[[dict], bool] | None = None
    # Runs before the step is asked; returning False skips it (e.g. no similar ideas found).
    prepare: Callable[["Ctx", dict], Awaitable[bool]] | None = None
    # Gentle advice on an answer that is acceptable but could be better (asked once).
    coach: Callable[[str], str | None] | None = None
    min_value: float | None = None
    max_value: float | None = None
    # Kept out of the summary and the "change an answer" list.
    internal: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def question_text(self, ctx: "Ctx", data: dict) -> str:
        return self.question(ctx, data) if callable(self.question) else self.question

    def options(self, ctx: "Ctx", data: dict) -> Choices:
        if self.kind == "yesno":
            return [("yes", "Yes"), ("no", "No")]
        if callable(self.choices):
            return self.choices(ctx, data)
        return list(self.choices or [])


YES = {"yes", "y", "yeah", "yep", "true", "1"}
NO = {"no", "n", "nope", "false", "0"}
DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%d/%m/%Y")


def parse_answer(step: Step, ctx: "Ctx", data: dict, text: str) -> Any:
    """Read a typed answer for `step`, or raise Invalid with a short explanation."""
    t = text.strip()
    if step.kind == "text":
        return check_text(t, step.min_len, step.max_len or ctx.policy.intake.text_max)
    if step.kind in ("choice", "yesno"):
        return match_choice(step.options(ctx, data), t, yesno=step.kind == "yesno")
    if step.kind == "person":
        hint = parse_person(t, ctx.inbound.mentions)
        if hint is None:
            raise Invalid("I need a person: mention them (for example @maria) or type their email address.")
        return {"email": hint.email, "name": hint.name, "platform": hint.platform,
                "external_id": hint.external_id, "tenant": hint.tenant}
    if step.kind == "date":
        return parse_date(t, ctx.now.date()).isoformat()
    if step.kind == "number":
        return parse_number(t, step.min_value, step.max_value)
    raise ValueError(f"unknown step kind {step.kind}")


def parse_click(step: Step, ctx: "Ctx", data: dict, choice: str) -> Any:
    if step.kind not in ("choice", "yesno"):
        raise Invalid("That button does not answer this question; please type your answer instead.")
    keys = [k for k, _ in step.options(ctx, data)]
    if choice not in keys:
        raise Invalid("That option is not one of the choices for this question.")
    return choice


def check_text(t: str, min_len: int, max_len: int) -> str:
    if len(t) < min_len:
        raise Invalid("That answer is too short for me to use; a sentence or two is ideal.")
    if len(t) > max_len:
        raise Invalid(f"That answer is {len(t):,} characters long; please keep it under {max_len:,} "
                      "(a summary is fine, details can follow later).")
    return t


def match_choice(options: Choices, t: str, yesno: bool = False) -> str:
    low = t.lower().strip(" .!")
    if yesno:
        if low in YES:
            return "yes"
        if low in NO:
            return "no"
    if low.isdigit() and 1 <= int(low) <= len(options):
        return options[int(low) - 1][0]
    if looks_numeric(low):  # 6 on four options, 0, -1, 2.5, "three": a number, never a button's number
        listing = "; ".join(f"{i}. {label}" for i, (_, label) in enumerate(options, 1))
        raise Invalid(f"Please pick one of the options, 1 to {len(options)} (click it, or type its number): "
                      f"{listing}.")
    for key, label in options:
        if low in (key.lower(), label.lower()):
            return key
    starts = [key for key, label in options if label.lower().startswith(low)] if len(low) >= 3 else []
    if len(starts) == 1:
        return starts[0]
    listing = "; ".join(f"{i}. {label}" for i, (_, label) in enumerate(options, 1))
    raise Invalid(f"Please pick one of the options (click it, or type its number): {listing}.")


NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10}
NUMERIC = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")


def looks_numeric(t: str) -> bool:
    """A typed number of any kind: 6, -1, 3.5, 1,5, or a number word ("three")."""
    low = t.strip().lower().strip(" .!")
    return bool(NUMERIC.match(low)) or low in NUMBER_WORDS


def parse_date(t: str, today: date) -> date:
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", t.strip().replace(",", ""))
    for fmt in DATE_FORMATS:
        try:
            d = datetime.strptime(cleaned, fmt).date()
            break
        except ValueError:
            continue
    else:
        raise Invalid("I could not read that as a date. Please use a form like 2027-03-31.")
    if d < today:
        raise Invalid("That date is in the past; please give a date from today onwards.")
    return d


DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d{1,2}$")  # 1,5 or 12,25: a decimal comma
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")  # 1,500 or 12,000.5
EURO_STYLE = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+,\d+$")  # 1.500,5


def _locale_number(t: str) -> str:
    """The number as Python reads it, from how people type it in their own locale; Invalid when unclear."""
    s = t.replace("%", "").replace(" ", "").replace("\u00a0", "").strip()
    if "," not in s:
        return s
    if DECIMAL_COMMA.match(s):
        return s.replace(",", ".")
    if EURO_STYLE.match(s):
        return s.replace(".", "").replace(",", ".")
    if THOUSANDS.match(s):
        if "." in s:
            return s.replace(",", "")
        head, _, tail = s.partition(",")
        raise Invalid(f"Did you mean {head}.{tail.rstrip('0') or '0'} or {s.replace(',', '')}? Please type it "
                      "without the comma.")
    raise Invalid("I need a number here, for example 42 or 3.5.")


def parse_number(t: str, lo: float | None, hi: float | None) -> float:
    try:
        v = float(_locale_number(t))
    except ValueError:
        raise Invalid("I need a number here, for example 42 or 3.5.") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise Invalid("I need an ordinary number here, for example 42 or 3.5.")
    if lo is not None and v < lo or hi is not None and v > hi:
        if lo is not None and hi is not None:
            raise Invalid(f"Please give a number between {lo:g} and {hi:g}.")
        if lo is not None:
            raise Invalid(f"Please give a number of at least {lo:g}.")
        raise Invalid(f"Please give a number no bigger than {hi:g}.")
    return v


def display_value(step: Step, ctx: "Ctx", data: dict, value: Any) -> str:
    if value is None:
        return "(skipped)"
    if step.kind in ("choice", "yesno"):
        return dict(step.options(ctx, data)).get(value, str(value))
    if step.kind == "person":
        return value.get("name") or value.get("email") or "someone"
    if step.kind == "number":
        return f"{value:g}"
    return str(value)
