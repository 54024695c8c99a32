"""`leaver alice@…` (leadership marks someone as left), `reassign UC-4 business owner to carol@…` (also
`reassign condition 7 / KPI 3 / risk 5 to …`), and the buttons on the handover message (conversations/people/leavers.py).

Only members of the leadership groups (verified email) may do either; every click is re-checked here.
"""
from __future__ import annotations

import re

from conversations.people import leavers
from conversations.context import Ctx, Refusal, form_errors, open_form
from conversations.engine import Engine
from conversations.incidents.live_access import group_names, in_groups
from vocabulary.messages import Button, Buttons, Form, FormField, Message, Text
from conversations.people.lookup import display, parse_person, person_for_hint
from vocabulary.policy import Policy
from vocabulary.text import day
from storage.repo import absences, handover, people
from storage.repo.handover import ROLES
from conversations.reviews.conditions import _person_hint

REASSIGN = re.compile(
    r"^(?:(?:uc-?|use case\s*)(?P<uc>\d{1,9})\s+(?P<role>business owner|delivery owner|sponsor|executive sponsor)"
    r"|(?P<kind>condition|kpi|risk)\s*#?(?P<id>\d{1,9}))\s+to\s+(?P<who>.+)$", re.I)
USAGE = ("Type for example “reassign UC-4 business owner to carol@example.com” (or delivery owner, sponsor), "
         "“reassign condition 7 to carol@example.com”, “reassign KPI 3 to …” or “reassign risk 5 to …”.")


def leaders(policy: Policy) -> list[str]:
    return list(dict.fromkeys([policy.review.leadership_group, *policy.review.leadership_actions_groups]))


def check_leader(ctx: Ctx, what: str) -> None:
    if not in_groups(ctx, leaders(ctx.policy)):
        raise Refusal(f"Sorry, {what} is for members of {group_names(ctx.policy, leaders(ctx.policy))}.")


def register(engine: Engine) -> None:
    @engine.command("leaver", help="leaver alice@…: mark someone as having left and hand their work on (leadership)")
    async def leaver(ctx: Ctx, args: str) -> None:
        check_leader(ctx, "marking someone as a leaver")
        hint = parse_person(args, ctx.inbound.mentions) if args.strip() else None
        if hint is None:
            raise Refusal("Whom? Type for example “leaver alice@example.com” (or mention them).")
        person = await known_person(ctx, hint)
        if person is None:
            raise Refusal(f"I do not know anyone called “{(hint.email or hint.name or args)[:80]}” in aiom, so "
                          "there is nothing to hand over. Check the spelling of the email address.")
        if person.id == ctx.person.id:
            raise Refusal("You cannot mark yourself as a leaver; ask another leader.")
        if not await leavers.record_left(ctx, person, source="admin"):
            left = await absences.leaver_of(ctx.session, person.id)
            raise Refusal(f"{display(person)} is already recorded as having left "
                          f"(on {day(left.left_at)}, from {left.source}). Nothing was changed.")
        ctx.whisper(f"Recorded: {display(person)} has left. The handover list went to "
                    f"{group_names(ctx.policy, [ctx.policy.review.leadership_group])}.")

    @engine.command("reassign", help="reassign UC-4 business owner to carol@… (also condition 7, KPI 3, risk 5)")
    async def reassign_typed(ctx: Ctx, args: str) -> None:
        check_leader(ctx, "reassigning work")
        m = REASSIGN.match(args.strip())
        if m is None:
            raise Refusal(USAGE)
        if m.group("uc"):
            role = m.group("role").lower().replace(" ", "_").replace("executive_", "")
            kind, ident = role, int(m.group("uc"))
        else:
            kind, ident = m.group("kind").lower(), int(m.group("id"))
        hint = parse_person(m.group("who"), ctx.inbound.mentions)
        if hint is None:
            raise Refusal(f"I could not tell who “{m.group('who')[:80]}” is: mention them or type their email "
                          "address.")
        await reassign(ctx, kind, ident, await person_for_hint(ctx.session, hint))

    @engine.action("handover.reassign")
    async def reassign_button(ctx: Ctx, payload: dict) -> None:
        check_leader(ctx, "reassigning work")
        kind, ident = read(payload)
        item, _ = await handover.holder(ctx.session, kind, ident)
        if item is None:
            raise Refusal("I could not find that item any more.")
        open_form(ctx, form_for(kind, ident))

    @engine.form("handover.reassign")
    async def reassign_form(ctx: Ctx, values: dict) -> None:
        check_leader(ctx, "reassigning work")
        kind, ident = read(ctx.inbound.payload)
        raw = values.get("to")
        hint = _person_hint(raw, ctx.inbound.mentions)
        if hint is None:
            form_errors(ctx, form_for(kind, ident), {"to": "Name the new holder (their email address)."})
            return
        await reassign(ctx, kind, ident, await person_for_hint(ctx.session, hint))


async def known_person(ctx: Ctx, hint):
    """The existing person a hint names (never a new one: a typo must not create and retire somebody)."""
    if hint.platform and hint.external_id:
        ident = await people.identity(ctx.session, hint.platform, hint.tenant, hint.external_id)
        if ident is not None:
            return await people.get(ctx.session, ident.person_id)
    return await people.by_email(ctx.session, hint.email) if hint.email else None


def read(payload: dict) -> tuple[str, int]:
    kind = payload.get("k")
    try:
        ident = int(payload.get("id"))
    except (TypeError, ValueError):
        ident = None
    if kind not in leavers.KINDS or ident is None:
        raise Refusal("I could not read that button. Please use the buttons on the latest handover message.")
    return kind, ident


def label(kind: str, ident: int) -> str:
    return f"UC-{ident} {ROLES[kind]}" if kind in ROLES else f"{leavers.KINDS[kind].split()[0]} #{ident}"


def form_for(kind: str, ident: int) -> Form:
    return Form("handover.reassign", f"Hand on {label(kind, ident)}"[:24], [
        FormField("to", "New holder", type="person", hint="Their email address, or pick them.")],
        submit_label="Reassign", payload={"k": kind, "id": ident},
        intro=f"Who takes over as {leavers.KINDS[kind]} ({label(kind, ident)})?")


async def reassign(ctx: Ctx, kind: str, ident: int, to) -> None:
    item, before = await handover.holder(ctx.session, kind, ident)
    if item is None:
        raise Refusal(f"There is no {label(kind, ident)} to reassign.")
    if await absences.leaver_of(ctx.session, to.id) is not None:
        raise Refusal(f"{display(to)} has left the organisation; please name someone else.")
    if before == to.id:
        ctx.whisper(f"{display(to)} already holds {label(kind, ident)}; nothing changed.")
        return
    await handover.reassign(ctx.session, kind, ident, to.id)
    uc_id = ident if kind in ROLES else getattr(item, "use_case_id", None)
    await ctx.audit(f"{'use_case' if kind in ROLES else kind}.reassigned", entity="use_case" if kind in ROLES
                    else kind, entity_id=ident, use_case_id=uc_id,
                    data={"role": leavers.KINDS[kind], "from": before, "to": to.id, "to_email": to.email})
    text = (f"{display(ctx.person)} made you the {leavers.KINDS[kind]} of {label(kind, ident)}"
            + (f" (on UC-{uc_id})" if kind not in ROLES and uc_id else "") + ".")
    await ctx.notify_person(to.id, Message([Text([text]), Buttons([Button("Status", "status.show", {"uc": uc_id})])]
                                           if uc_id else [Text([text])]),
                            key=f"handover:{kind}:{ident}:to:{to.id}:{ctx.now.isoformat()}", use_case_id=uc_id)
    ctx.whisper(f"Done: {display(to)} is now the {leavers.KINDS[kind]} of {label(kind, ident)}; they have been told.")
