"""A neutral `Form` as an Adaptive Card with inputs, its errors shown under each field, and its read-only copy.

Inputs are named `f_<field>` so they cannot collide with the action data
(`aiom`, `form`, `p`) that Teams merges them into. The card keeps what the
person typed when it comes back with errors.
"""
from __future__ import annotations

from typing import Any

from bot.teams.render.escape import md
from bot.teams.render.cards import CARD_BUDGET, card, fit, text_block
from vocabulary.messages import Form, FormField

PREFIX = "f_"
FORM_VERB = "form"


def input_id(name: str) -> str:
    return PREFIX + name


def read_values(data: dict) -> dict[str, Any]:
    """The submitted field values from an Action.Execute / Action.Submit data object."""
    return {k[len(PREFIX):]: v for k, v in data.items() if isinstance(k, str) and k.startswith(PREFIX)}


def _initial(f: FormField, values: dict[str, Any] | None) -> Any:
    v = (values or {}).get(f.name, f.initial)
    if isinstance(v, dict):  # a person answer saved by another platform
        v = v.get("email") or v.get("name")
    return v


def _input(f: FormField, value: Any) -> dict:
    base: dict[str, Any] = {"id": input_id(f.name), "label": f.label + ("" if not f.optional else " (optional)"),
                            "isRequired": not f.optional}
    if not f.optional:
        base["errorMessage"] = "Please fill this in."
    if f.type == "select":
        el = {"type": "Input.ChoiceSet", **base, "style": "compact",
              "choices": [{"title": label, "value": key} for key, label in f.options]}
        if value not in (None, ""):
            el["value"] = str(value)
        return el
    if f.type == "number":
        el = {"type": "Input.Number", **base}
        if f.min_value is not None:
            el["min"] = f.min_value
        if f.max_value is not None:
            el["max"] = f.max_value
        try:
            if value not in (None, ""):
                el["value"] = float(value)
        except (TypeError, ValueError):
            pass
        return el
    if f.type == "date":
        el = {"type": "Input.Date", **base}
        if isinstance(value, str) and value:
            el["value"] = value[:10]
        return el
    el = {"type": "Input.Text", **base}
    if f.type == "multiline":
        el["isMultiline"] = True
    if f.type in ("person", "email"):
        el["style"] = "email"
    if f.max_length:
        el["maxLength"] = int(f.max_length)
    if f.placeholder:
        el["placeholder"] = f.placeholder
    if value not in (None, ""):
        el["value"] = str(value)
    return el


def render_form(form: Form, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                budget: int = CARD_BUDGET) -> dict:
    errors = errors if errors is not None else form.errors
    body: list[dict] = [text_block(md(form.title), size="Large", weight="Bolder")]
    if errors:
        body.append(text_block(md("Some answers need another look; each one is marked below."),
                               color="Attention", weight="Bolder"))
    elif form.intro:
        body.append(text_block(md(form.intro)))
    for f in form.fields:
        if f.hint and f.hint != f.label:
            body.append(text_block(md(f.hint), size="Small", isSubtle=True, spacing="Medium"))
        body.append(_input(f, _initial(f, values)))
        if f.name in errors:
            body.append(text_block(md(errors[f.name]), size="Small", color="Attention", spacing="None"))
    body.append({"type": "ActionSet", "actions": [
        {"type": "Action.Execute", "title": form.submit_label, "verb": FORM_VERB, "style": "positive",
         "data": {"aiom": FORM_VERB, "form": form.form_id, "p": dict(form.payload)}}]})
    return fit(card(body, fallback=form.title), budget)


def _shown(f: FormField, value: Any) -> str:
    if value in (None, ""):
        return "(not given)"
    if isinstance(value, dict):
        value = value.get("name") or value.get("email") or ""
    if f.type == "select":
        return dict(f.options).get(str(value), str(value))
    return str(value)


def render_submitted_form(form: Form, values: dict[str, Any], *, budget: int = CARD_BUDGET) -> dict:
    """What a form card turns into once accepted: the answers, and no inputs or buttons left to press."""
    facts = [{"title": md(f.label), "value": md(_shown(f, values.get(f.name)))[:1200]} for f in form.fields]
    body = [text_block(md(form.title), size="Large", weight="Bolder"),
            {"type": "FactSet", "facts": facts},
            text_block(md("Submitted."), size="Small", isSubtle=True)]
    return fit(card(body, fallback=f"{form.title}: submitted"), budget)
