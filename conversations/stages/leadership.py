"""Leadership decisions outside a review: pause, resume, redirect (back to an earlier stage), stop.

Commands `pause UC-4 <reason>`, `resume UC-4`, `redirect UC-4 pilot <reason>`, `stop UC-4 <reason>`, and the
Pause / Redirect / Resume buttons on leadership review cards. Only members of the policy's
`review.leadership_actions_groups` (by verified email, not guests) may use them, and never on a use case they
proposed, own or sponsor (the conflict rule of deciding). Stopping always asks for a confirmation, typed or
clicked, as the review card's Stop does.
"""
from __future__ import annotations

from conversations import limits
from conversations.context import Ctx, Refusal, form_errors, open_form
from conversations.engine import Engine
from vocabulary.labels import parse_uc_id, stage_label, uc_ref
from vocabulary.messages import Form, FormField
from conversations.reviews import lifecycle, rules
from conversations.reviews.rules import clicker
from storage.repo import reviews
from storage.tables import UseCase
from vocabulary.states import LIVE_USE_CASE, UseCaseStatus

REASON_MIN = 5
REASON_MAX = 1500  # as the review forms


def check_leader(ctx: Ctx) -> None:
    who = clicker(ctx)
    if who.guest:
        raise Refusal("People from another workspace or organisation cannot take leadership decisions here.")
    groups = [ctx.policy.review.group(k) for k in ctx.policy.review.leadership_actions_groups]
    if not any(rules.member_of(who.email, g.members) for g in groups):
        names = " or ".join(g.name for g in groups)
        raise Refusal(f"Only members of {names} can pause, resume, redirect or stop a use case.")


def check_not_involved(ctx: Ctx, uc: UseCase) -> None:
    """The conflict rule of deciding applies to leadership actions too: nobody pauses, resumes, redirects or
    stops a use case they proposed, own or sponsor."""
    for role, pid in rules.involved_roles(uc).items():
        if pid is not None and pid == ctx.person.id:
            raise Refusal(f"You are the {role} of {uc_ref(uc)}, so you cannot pause, resume, redirect or stop it "
                          "yourself: another member of leadership needs to.")


async def locked(ctx: Ctx, uc_id: int | None) -> UseCase:
    check_leader(ctx)
    if uc_id is None:
        raise Refusal("Which use case? Name it like UC-4.")
    uc = await reviews.lock_use_case(ctx.session, uc_id)
    if uc is None:
        raise Refusal(f"There is no UC-{uc_id}.")
    check_not_involved(ctx, uc)
    return uc


def earlier_stages(ctx: Ctx, uc: UseCase) -> list[tuple[str, str]]:
    keys = ctx.policy.stage_keys
    return [(k, stage_label(ctx.policy, k)) for k in keys[: keys.index(uc.stage)]] if uc.stage in keys else []


def match_stage(ctx: Ctx, text: str) -> tuple[str | None, str]:
    """(stage key, rest of the text) for text starting with a stage key or label."""
    low = text.strip().lower()
    names = []
    for s in ctx.policy.stages:
        names += [(s.key.lower(), s.key), (s.key.replace("_", " ").lower(), s.key), (s.label.lower(), s.key)]
    for name, key in sorted(names, key=lambda n: -len(n[0])):
        if low.startswith(name) and (len(low) == len(name) or not low[len(name)].isalnum()):
            return key, text.strip()[len(name):].strip(" :-,")
    return None, text.strip()


def reason_form(form_id: str, uc: UseCase, title: str, stages: list[tuple[str, str]] | None = None,
                reason: str = "") -> Form:
    fields = [FormField("reason", "Reason", type="multiline", max_length=REASON_MAX, initial=reason or None,
                        hint="Everyone involved will read it.")]
    if stages is not None:
        fields.insert(0, FormField("stage", "Back to which stage?", type="select", options=stages))
    intro = ""
    if form_id == "leadership.stop":  # as on the review card: stopping needs a reason and a confirmation
        fields.append(FormField("confirm", "Confirm", type="select", options=[("stop", f"Yes, stop {uc_ref(uc)}")]))
        intro = (f"Stopping ends {uc_ref(uc)} for good: its open reviews are cancelled and everyone involved is "
                 "told why.")
    return Form(form_id=form_id, title=title[:60], fields=fields, submit_label=title.split(" ")[0],
                intro=intro, payload={"uc": uc.id})


def stop_form(uc: UseCase, reason: str = "") -> Form:
    return reason_form("leadership.stop", uc, f"Stop {uc_ref(uc)}", reason=reason)


async def pause(ctx: Ctx, uc: UseCase, reason: str) -> None:
    limits.check_text("The reason", reason, REASON_MAX)
    if uc.status != UseCaseStatus.ACTIVE:
        raise Refusal(f"{uc_ref(uc)} is {uc.status}, so it cannot be paused.")
    await lifecycle.change_status(ctx, uc, "pause", reason)
    ctx.say(f"Paused {uc_ref(uc)}. Its reviews wait and their clocks stop until you type “resume {uc_ref(uc)}”.")


async def resume(ctx: Ctx, uc: UseCase) -> None:
    if uc.status != UseCaseStatus.PAUSED:
        raise Refusal(f"{uc_ref(uc)} is {uc.status}, not paused, so there is nothing to resume.")
    await lifecycle.change_status(ctx, uc, "resume", "")
    ctx.say(f"Resumed {uc_ref(uc)}. Its open reviews continue with their due dates moved by the paused time.")


async def stop(ctx: Ctx, uc: UseCase, reason: str) -> None:
    limits.check_text("The reason", reason, REASON_MAX)
    if uc.status not in LIVE_USE_CASE:
        raise Refusal(f"{uc_ref(uc)} is already {uc.status}.")
    await lifecycle.change_status(ctx, uc, "stop", reason)
    ctx.say(f"Stopped {uc_ref(uc)}. Its open reviews were cancelled and everyone involved was told why.")


async def redirect(ctx: Ctx, uc: UseCase, stage: str | None, reason: str) -> None:
    limits.check_text("The reason", reason, REASON_MAX)
    if uc.status not in LIVE_USE_CASE:
        raise Refusal(f"{uc_ref(uc)} is {uc.status}, so it cannot be redirected.")
    allowed = earlier_stages(ctx, uc)
    if stage not in [k for k, _ in allowed]:
        names = ", ".join(label for _, label in allowed) or "none: it is in the first stage"
        raise Refusal(f"A redirect sends {uc_ref(uc)} back to an earlier stage than "
                      f"{stage_label(ctx.policy, uc.stage)}. Earlier stages: {names}.")
    await lifecycle.redirect(ctx, uc, stage, reason)
    ctx.say(f"Redirected {uc_ref(uc)} to {stage_label(ctx.policy, stage)}. Any review under way was cancelled "
            "and everyone involved was told why.")


def _uc(payload: dict) -> int:
    try:
        return int(payload.get("uc"))
    except (TypeError, ValueError):
        raise Refusal("I could not read that button.") from None


def _reason(values: dict) -> str:
    r = values.get("reason")
    return r.strip() if isinstance(r, str) else ""


def register(engine: Engine) -> None:
    def split(args: str) -> tuple[int | None, str]:
        first, _, rest = args.strip().partition(" ")
        return parse_uc_id(first) if first else None, rest.strip()

    @engine.command("pause", help="leadership: pause UC-4 <reason>")
    async def pause_cmd(ctx: Ctx, args: str) -> None:
        uc_id, reason = split(args)
        uc = await locked(ctx, uc_id)
        if len(reason) < REASON_MIN:
            open_form(ctx, reason_form("leadership.pause", uc, f"Pause {uc_ref(uc)}"))
            return
        await pause(ctx, uc, reason)

    @engine.command("resume", help="leadership: resume UC-4")
    async def resume_cmd(ctx: Ctx, args: str) -> None:
        uc_id, _ = split(args)
        await resume(ctx, await locked(ctx, uc_id))

    @engine.command("redirect", help="leadership: redirect UC-4 pilot <reason>")
    async def redirect_cmd(ctx: Ctx, args: str) -> None:
        uc_id, rest = split(args)
        uc = await locked(ctx, uc_id)
        stage, reason = match_stage(ctx, rest)
        if stage is None or len(reason) < REASON_MIN:
            open_form(ctx, reason_form("leadership.redirect", uc, f"Redirect {uc_ref(uc)}", earlier_stages(ctx, uc)))
            return
        await redirect(ctx, uc, stage, reason)

    @engine.command("stop", help="leadership: stop UC-4 <reason>")
    async def stop_cmd(ctx: Ctx, args: str) -> None:
        uc_id, reason = split(args)
        uc = await locked(ctx, uc_id)
        if uc.status not in LIVE_USE_CASE:
            raise Refusal(f"{uc_ref(uc)} is already {uc.status}.")
        open_form(ctx, stop_form(uc, reason))  # never at once: the form asks for the confirmation

    @engine.action("leadership.pause")
    async def pause_btn(ctx: Ctx, payload: dict) -> None:
        uc = await locked(ctx, _uc(payload))
        open_form(ctx, reason_form("leadership.pause", uc, f"Pause {uc_ref(uc)}"))

    @engine.action("leadership.resume")
    async def resume_btn(ctx: Ctx, payload: dict) -> None:
        await resume(ctx, await locked(ctx, _uc(payload)))

    @engine.action("leadership.redirect")
    async def redirect_btn(ctx: Ctx, payload: dict) -> None:
        uc = await locked(ctx, _uc(payload))
        open_form(ctx, reason_form("leadership.redirect", uc, f"Redirect {uc_ref(uc)}", earlier_stages(ctx, uc)))

    for form_id in ("leadership.pause", "leadership.redirect", "leadership.stop"):
        engine.form(form_id)(_form_handler(form_id))


def _form_handler(form_id: str):
    async def handle(ctx: Ctx, values: dict) -> None:
        uc = await locked(ctx, _uc(ctx.inbound.payload))
        reason = _reason(values)
        kind = form_id.split(".")[1]
        errors = {}
        if len(reason) < REASON_MIN:
            errors["reason"] = "Please give the reason; everyone involved will read it."
        if kind == "stop" and values.get("confirm") != "stop":
            errors["confirm"] = "Please confirm that the use case should stop."
        if errors:
            stages = earlier_stages(ctx, uc) if kind == "redirect" else None
            form_errors(ctx, reason_form(form_id, uc, f"{kind.capitalize()} {uc_ref(uc)}", stages, reason), errors)
            return
        if kind == "pause":
            await pause(ctx, uc, reason)
        elif kind == "stop":
            await stop(ctx, uc, reason)
        else:
            stage = values.get("stage") if isinstance(values.get("stage"), str) else None
            await redirect(ctx, uc, stage, reason)
    return handle
