"""The intake questions as one form (Slack modal, Teams card form, console prompts)."""
from __future__ import annotations

from typing import Any

from conversations.context import Ctx
from vocabulary.messages import Form, FormField
from conversations.steps import Invalid, Step, parse_answer

LONG = {"problem", "outcome", "affected_users", "data_used"}


def form_steps(steps: list[Step]) -> list[Step]:
    # The EU AI Act questions (euai:) depend on the risk answers: they are asked in chat after the form.
    return [s for s in steps if not s.internal and not s.key.startswith(("tier_", "euai:")) and s.key != "similar"]


def build(ctx: Ctx, steps: list[Step]) -> Form:
    fields = []
    for s in form_steps(steps):
        q = s.question_text(ctx, ctx.state.data)
        label = s.label
        optional = s.optional or s.when is not None
        if s.kind in ("choice", "yesno"):
            fields.append(FormField(s.key, label, type="select", options=s.options(ctx, ctx.state.data),
                                    optional=optional, hint=q, initial=ctx.state.data.get(s.key)))
        elif s.kind == "person":
            fields.append(FormField(s.key, label, type="person", optional=optional, hint=q,
                                    placeholder="name@example.com"))
        else:
            fields.append(FormField(s.key, label, type="multiline" if s.key in LONG else "text", optional=optional,
                                    max_length=s.max_len or ctx.policy.intake.text_max,
                                    hint=s.hint or q, initial=ctx.state.data.get(s.key),
                                    placeholder="only if a vendor is involved" if s.key == "vendor_name" else ""))
    return Form(form_id="flow", title="Propose an AI idea", fields=fields, submit_label="Continue",
                intro="All questions on one screen. The risk tier and any similar ideas are shown before you submit.",
                payload={"s": ctx.state.id})


def read(ctx: Ctx, steps: list[Step], values: dict[str, Any]) -> tuple[dict, dict[str, str]]:
    """Check every field the way the conversation would; return (answers, field errors)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for s in form_steps(steps):
        raw = values.get(s.key)
        if isinstance(raw, dict) and s.kind == "person":
            if raw.get("email") or raw.get("external_id"):
                data[s.key] = {"email": raw.get("email"), "name": raw.get("name", ""),
                               "platform": raw.get("platform", ""), "external_id": raw.get("external_id", ""),
                               "tenant": raw.get("tenant", "")}
                continue
            raw = None
        if raw is not None and not isinstance(raw, (str, int, float)):
            errors[s.key] = "That value has the wrong type; please enter it again."
            continue
        raw = "" if raw is None else str(raw).strip()
        needed = not s.optional and (s.when is None or s.when({**data, **_raw_choices(values)}))
        if not raw:
            if needed:
                errors[s.key] = "Please fill this in."
            continue
        try:
            data[s.key] = parse_answer(s, ctx, data, raw)
        except Invalid as e:
            errors[s.key] = str(e)
    return data, errors


def _raw_choices(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if isinstance(v, str)}
