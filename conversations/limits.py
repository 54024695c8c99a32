"""Declared length limits, enforced in one place for every form on every platform.

A form's fields declare their `max_length`; Slack and Teams also enforce it in the client, but a value can
arrive longer (the local chat, an older client, a crafted payload). The engine checks every submitted value
here before the form's handler runs: a value over its field's limit is sent back to the person with the
form and a polite reason, never stored or sent on. Fields without a declared limit are held to
`DEFAULT_MAX`. Typed commands that carry free text (`pause UC-4 <reason>`) use `check_text`.

Every form opened (or shown again with errors) is kept in the database with its fields, for the person it
was opened for (storage/repo/open_forms.py): a submission after a restart, or to another aiom process, is
held to the limits the form declared, not to the default.
"""
from __future__ import annotations

import dataclasses
import json

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.refusal import Refusal
from storage.repo import open_forms
from vocabulary.interaction import FormErrors, OpenForm
from vocabulary.messages import Form

DEFAULT_MAX = 4000


async def keep(session: AsyncSession, *, platform: str, person_id: int | None, ops: list, now) -> None:
    """Keep each form this turn opens or shows again, with its declared limits."""
    if person_id is None:
        return
    for op in ops:
        if isinstance(op, (OpenForm, FormErrors)):
            stored = json.loads(json.dumps(dataclasses.asdict(op.form), default=str))
            await open_forms.keep(session, platform=platform, person_id=person_id, form=stored, now=now)


async def opened(session: AsyncSession, *, platform: str, person_id: int | None, form_id: str) -> Form | None:
    """The form as it was last opened for this person on this platform (None if it never was)."""
    if person_id is None or not form_id:
        return None
    return Form.from_dict(await open_forms.find(session, platform=platform, person_id=person_id, form_id=form_id))


def limit_of(form: Form | None, name: str) -> int:
    f = next((x for x in form.fields if x.name == name), None) if form is not None else None
    return f.max_length if f is not None and f.max_length else DEFAULT_MAX


def message(label: str, length: int, limit: int) -> str:
    return (f"{label} is {length:,} characters long; please keep it to {limit:,} or fewer (a summary is fine, "
            "details can follow later). Nothing was saved.")


def over_limit(form: Form | None, values: dict) -> dict[str, str]:
    """An error for each value longer than its field of `form` allows (`DEFAULT_MAX` without a form)."""
    errors = {}
    for name, value in (values or {}).items():
        if isinstance(value, str):
            limit = limit_of(form, name)
            if len(value.strip()) > limit:
                f = next((x for x in form.fields if x.name == name), None) if form is not None else None
                errors[name] = message("That answer" if f is None else f.label, len(value.strip()), limit)
    return errors


def check_text(label: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise Refusal(message(label, len(text), limit))
