"""Owners and the proposer edit a use case's facts (audited before/after, shown to reviewers) or withdraw it."""
from __future__ import annotations

from conversations.similar import search as similar_search
from conversations.context import Ctx, Refusal, form_errors, open_form
from conversations.engine import Engine
from vocabulary.labels import parse_uc_id, uc_ref
from vocabulary.messages import Form, FormField
from conversations.reviews import lifecycle
from conversations.steps import Invalid, check_text
from storage.repo import reviews, use_cases
from storage.tables import UseCase
from vocabulary.states import CLOSED_USE_CASE

# (column, label, form field type, max length); theme and timeline are choices from the policy.
EDITABLE = [
    ("title", "Name", "text", 120),
    ("problem", "Problem", "multiline", 1500),
    ("outcome", "Outcome statement", "multiline", 1500),
    ("value_stream", "Process / value stream", "text", 500),
    ("theme", "Strategic theme", "select", 64),
    ("affected_users", "Affected users", "multiline", 1500),
    ("data_used", "Data used", "multiline", 1500),
    ("vendor_name", "Vendor", "text", 200),
    ("target_timeline", "Target timeline", "select", 64),
]
REASON_MIN = 5


def may_edit(ctx: Ctx, uc: UseCase) -> bool:
    return ctx.person.id in (uc.business_owner_id, uc.delivery_owner_id, uc.proposer_id)


async def locked(ctx: Ctx, uc_id: int | None, what: str) -> UseCase:
    if uc_id is None:
        raise Refusal(f"Which use case? For example: *{what} UC-4*.")
    uc = await reviews.lock_use_case(ctx.session, uc_id)
    if uc is None:
        raise Refusal(f"There is no UC-{uc_id}.")
    if not may_edit(ctx, uc):
        raise Refusal(f"Only the owners or the proposer of {uc_ref(uc)} can {what} it.")
    if uc.status in CLOSED_USE_CASE:
        raise Refusal(f"{uc_ref(uc)} was {uc.status}, so it can no longer be changed.")
    return uc


def _options(ctx: Ctx, column: str) -> list[tuple[str, str]]:
    src = ctx.policy.intake.themes if column == "theme" else ctx.policy.intake.timelines
    return [(c.key, c.label) for c in src]


def edit_form(ctx: Ctx, uc: UseCase) -> Form:
    fields = []
    for col, label, kind, limit in EDITABLE:
        value = getattr(uc, col)
        if kind == "select":
            fields.append(FormField(col, label, type="select", options=_options(ctx, col), initial=value or None,
                                    optional=True))
        else:
            fields.append(FormField(col, label, type=kind, max_length=limit, initial=value,
                                    optional=col == "vendor_name"))
    return Form(form_id="uc.edit", title=f"Edit {uc_ref(uc)}", fields=fields, submit_label="Save changes",
                intro="Change what needs changing; the review cards show reviewers what changed.",
                payload={"uc": uc.id, "v": uc.version})


def read_changes(ctx: Ctx, uc: UseCase, values: dict) -> tuple[dict, dict]:
    changes, errors = {}, {}
    for col, label, kind, limit in EDITABLE:
        raw = values.get(col)
        if raw is None or not isinstance(raw, str):
            continue
        new = raw.strip()
        before = getattr(uc, col) or ""
        if new == before:
            continue
        if kind == "select":
            if new and new not in dict(_options(ctx, col)):
                errors[col] = "Please pick one of the options."
                continue
        elif col != "vendor_name" or new:
            try:
                new = check_text(new, 2 if col != "problem" else 10, limit)
            except Invalid as e:
                errors[col] = str(e)
                continue
        changes[col] = {"label": label, "before": before, "after": new}
    return changes, errors


async def save_edit(ctx: Ctx, uc: UseCase, changes: dict) -> None:
    await use_cases.update_fields(ctx.session, uc.id, bump_version=True,
                                  **{col: c["after"] for col, c in changes.items()})
    await ctx.session.refresh(uc)
    if changes.keys() & {"title", "problem", "outcome"}:  # what the similar-ideas check compares
        await similar_search.refresh(ctx.session, uc.id, uc.title, uc.problem, uc.outcome, at=ctx.now)
    await ctx.audit("use_case.edited", entity="use_case", entity_id=uc.id, use_case_id=uc.id,
                    data={"version": uc.version, "changes": changes})
    open_reviews = [r.id for r in await reviews.for_use_case(ctx.session, uc.id, open_only=True)]
    await lifecycle.refresh_cards(ctx, open_reviews)
    labels = ", ".join(c["label"].lower() for c in changes.values())
    tail = " The reviewers' cards now show what changed." if open_reviews else ""
    ctx.say(f"Saved {uc_ref(uc)} (version {uc.version}): {labels}.{tail}")


def withdraw_form(uc: UseCase) -> Form:
    return Form(form_id="uc.withdraw", title=f"Withdraw {uc_ref(uc)}",
                fields=[FormField("reason", "Why withdraw it?", type="multiline", max_length=1500)],
                intro="Withdrawing ends the use case: open reviews are cancelled and everyone involved is told.",
                submit_label="Withdraw", payload={"uc": uc.id})


async def withdraw(ctx: Ctx, uc: UseCase, reason: str) -> None:
    await lifecycle.change_status(ctx, uc, "withdraw", reason)
    ctx.say(f"Withdrew {uc_ref(uc)}. Any review under way was cancelled and everyone involved was told.")


def _uc(payload: dict) -> int | None:
    try:
        return int(payload.get("uc"))
    except (TypeError, ValueError):
        return None


def register(engine: Engine) -> None:
    @engine.command("edit", help="change a use case's facts before a gate: edit UC-4")
    async def edit_cmd(ctx: Ctx, args: str) -> None:
        uc = await locked(ctx, parse_uc_id(args.split()[0]) if args.split() else None, "edit")
        open_form(ctx, edit_form(ctx, uc))

    @engine.action("uc.edit")
    async def edit_btn(ctx: Ctx, payload: dict) -> None:
        uc = await locked(ctx, _uc(payload), "edit")
        open_form(ctx, edit_form(ctx, uc))

    @engine.form("uc.edit")
    async def edit_submit(ctx: Ctx, values: dict) -> None:
        uc = await locked(ctx, _uc(ctx.inbound.payload), "edit")
        changes, errors = read_changes(ctx, uc, values if isinstance(values, dict) else {})
        if errors:
            form_errors(ctx, edit_form(ctx, uc), errors)
            return
        if not changes:
            ctx.say(f"Nothing changed, so {uc_ref(uc)} stays at version {uc.version}.")
            return
        await save_edit(ctx, uc, changes)

    @engine.command("withdraw", help="withdraw your use case: withdraw UC-4 <reason>")
    async def withdraw_cmd(ctx: Ctx, args: str) -> None:
        first, _, reason = args.strip().partition(" ")
        uc = await locked(ctx, parse_uc_id(first) if first else None, "withdraw")
        if len(reason.strip()) < REASON_MIN:
            open_form(ctx, withdraw_form(uc))
            return
        await withdraw(ctx, uc, reason.strip())

    @engine.form("uc.withdraw")
    async def withdraw_submit(ctx: Ctx, values: dict) -> None:
        uc = await locked(ctx, _uc(ctx.inbound.payload), "withdraw")
        reason = values.get("reason")
        reason = reason.strip() if isinstance(reason, str) else ""
        if len(reason) < REASON_MIN:
            form_errors(ctx, withdraw_form(uc), {"reason": "Please give the reason; everyone involved will read it."})
            return
        await withdraw(ctx, uc, reason)
