"""Declared length limits, enforced in one place for every form on every platform.

A form's fields declare their `max_length`; Slack and Teams also enforce it in the client, but a value can
arrive longer (the local chat, an older client, a crafted payload). The engine checks every submitted value
here before the form's handler runs: a value over its field's limit is sent back to the person with the
form and a polite reason, never stored or sent on. Fields without a declared limit are held to
`DEFAULT_MAX`. Typed commands that carry free text (`pause UC-4 <reason>`) use `check_text`.
"""
from __future__ import annotations

from conversations.refusal import Refusal
from vocabulary.messages import Form

DEFAULT_MAX = 4000

# form id -> the latest definition opened (its limits, and what to show again with the errors).
_FORMS: dict[str, Form] = {}


def remember(form: Form) -> None:
    _FORMS[form.form_id] = form


def limit_of(form: Form | None, name: str) -> int:
    f = next((x for x in form.fields if x.name == name), None) if form is not None else None
    return f.max_length if f is not None and f.max_length else DEFAULT_MAX


def message(label: str, length: int, limit: int) -> str:
    return (f"{label} is {length:,} characters long; please keep it to {limit:,} or fewer (a summary is fine, "
            "details can follow later). Nothing was saved.")


def over_limit(form_id: str, values: dict) -> tuple[Form | None, dict[str, str]]:
    """The form as last opened, and an error for each value longer than its field allows."""
    form = _FORMS.get(form_id)
    errors = {}
    for name, value in (values or {}).items():
        if isinstance(value, str):
            limit = limit_of(form, name)
            if len(value.strip()) > limit:
                f = next((x for x in form.fields if x.name == name), None) if form is not None else None
                errors[name] = message("That answer" if f is None else f.label, len(value.strip()), limit)
    return form, errors


def check_text(label: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise Refusal(message(label, len(text), limit))
