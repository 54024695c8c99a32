"""Approve with conditions (the form), and conditions tracked to closure (close with an evidence note)."""
from __future__ import annotations

from conversations.context import Ctx, Refusal, form_errors, open_form
from conversations.engine import Engine
from conversations.reviews import cards as review_cards
from conversations.reviews.buttons import precheck, review_id
from vocabulary.interaction import PersonHint
from vocabulary.labels import plural, uc_ref
from vocabulary.messages import Button, Buttons, Form, FormField, Message, Text
from vocabulary.text import day
from conversations.people.lookup import parse_person, person_for_hint
from conversations.reviews import deciding, rules
from conversations.reviews.rules import clicker
from conversations.steps import Invalid, parse_date
from storage.repo import conditions, people, reviews, use_cases

PER_FORM = 3
EVIDENCE_MIN = 10


def conditions_form(rid: int, ref: str, noted: int = 0) -> Form:
    fields = []
    for i in range(1, PER_FORM + 1):
        optional = i > 1 or noted > 0
        fields += [
            FormField(f"c{i}_text", f"Condition {noted + i}", type="multiline", optional=optional, max_length=1000,
                      hint="What must be true or done (one gap to close)."),
            FormField(f"c{i}_owner", f"Condition {noted + i}: owner", type="person", optional=optional,
                      placeholder="name@example.com", follows=f"c{i}_text" if optional else ""),
            FormField(f"c{i}_due", f"Condition {noted + i}: due date", type="date", optional=optional,
                      placeholder="2027-03-31", follows=f"c{i}_text" if optional else ""),
        ]
    fields.append(FormField("more", "More conditions?", type="select", optional=True, initial="no",
                            options=[("no", "No, that is all"), ("yes", "Yes, add more after these")]))
    intro = (f"Approve {ref} with conditions. Each condition needs an owner and a due date; it must be closed "
             "before the next gate.")
    if noted:
        intro = f"{noted} condition{'s' if noted != 1 else ''} noted so far. " + intro
    return Form(form_id="review.conditions", title=f"Conditions for {ref}"[:60], fields=fields,
                submit_label="Approve with these conditions", intro=intro, payload={"r": rid})


async def read_conditions(ctx: Ctx, values: dict, need_one: bool) -> tuple[list[deciding.NewCondition], dict]:
    out, errors = [], {}
    for i in range(1, PER_FORM + 1):
        text = values.get(f"c{i}_text")
        text = text.strip() if isinstance(text, str) else ""
        owner_raw, due_raw = values.get(f"c{i}_owner"), values.get(f"c{i}_due")
        if not text and not owner_raw and not due_raw:
            continue
        if len(text) < 5:
            errors[f"c{i}_text"] = "Please describe the condition (a short sentence)."
        hint = _person_hint(owner_raw, ctx.inbound.mentions)
        if hint is None:
            errors[f"c{i}_owner"] = "Name the person who owns this condition (their email address)."
        try:
            due = parse_date(str(due_raw or "").strip(), ctx.now.date())
        except Invalid as e:
            errors[f"c{i}_due"] = str(e) if due_raw else "Please give a due date."
            due = None
        if f"c{i}_text" in errors or hint is None or due is None:
            continue
        owner = await person_for_hint(ctx.session, hint)
        out.append(deciding.NewCondition(text=text, owner_id=owner.id, due=due))
    if need_one and not out and not errors:
        errors["c1_text"] = "Please give at least one condition."
    return out, errors


def _person_hint(raw, mentions) -> PersonHint | None:
    if isinstance(raw, dict):
        if raw.get("email") or raw.get("external_id"):
            return PersonHint(email=people.normalise_email(raw.get("email")), name=raw.get("name", ""),
                              platform=raw.get("platform", ""), external_id=raw.get("external_id", ""),
                              tenant=raw.get("tenant", ""))
        return None
    if isinstance(raw, str) and raw.strip():
        return parse_person(raw, mentions)
    return None


async def close_condition(ctx: Ctx, condition_id: int, evidence: str) -> None:
    c = await conditions.get(ctx.session, condition_id)
    if c is None or c.status == conditions.DRAFT:
        raise Refusal(f"There is no condition #{condition_id}.")
    uc = await reviews.lock_use_case(ctx.session, c.use_case_id)
    if ctx.person.id not in (c.owner_id, uc.business_owner_id, uc.delivery_owner_id):
        raise Refusal(f"Only the owner of condition #{c.id} or the owners of {uc_ref(uc)} can close it.")
    if not await conditions.close(ctx.session, c.id, by=ctx.person.id, evidence=evidence, at=ctx.now):
        c = await conditions.get(ctx.session, c.id)
        raise Refusal(f"Condition #{c.id} is already closed (since {review_cards.when(c.closed_at)}).")
    await ctx.audit("condition.closed", entity="condition", entity_id=c.id, use_case_id=uc.id,
                    data={"evidence": evidence, "text": c.text, "review": c.review_id})
    left = await conditions.open_for(ctx.session, uc.id)
    if c.review_id:
        await review_cards.refresh(ctx, c.review_id)
    who = ctx.person.display_name or ctx.person.email or "Someone"
    note = Message([Text([f"{who} closed condition #{c.id} on {uc_ref(uc)} “{uc.title}”: {c.text}\n"
                          f"Evidence: {evidence}\n{plural(len(left), 'open condition')} left."])])
    for pid in dict.fromkeys([c.created_by_id, uc.business_owner_id, uc.delivery_owner_id, c.owner_id]):
        if pid and pid != ctx.person.id:
            await ctx.notify_person(pid, note, key=f"condition:{c.id}:closed:{pid}", use_case_id=uc.id)
    more = f" {plural(len(left), 'open condition')} left on {uc_ref(uc)}." if left else \
        f" {uc_ref(uc)} has no open conditions now."
    ctx.say(f"Closed condition #{c.id}, with your evidence on record.{more}")


def evidence_form(cid: int) -> Form:
    return Form(form_id="condition.close", title=f"Close condition #{cid}",
                fields=[FormField("evidence", "Evidence", type="multiline", max_length=1500,
                                  hint="What shows it is done: a link, a document name, a test result.")],
                submit_label="Close it", payload={"c": cid})


def _cid(payload: dict) -> int:
    try:
        return int(payload.get("c"))
    except (TypeError, ValueError):
        raise Refusal("I could not read that button.") from None


def register(engine: Engine) -> None:
    @engine.action("review.conditions")
    async def conditions_button(ctx: Ctx, payload: dict) -> None:
        rid = review_id(payload)
        rr, uc = await precheck(ctx, rid)
        await deciding.readiness_check(ctx, rr, uc)  # refuse before the form when readiness blocks
        noted = len(await conditions.drafts(ctx.session, rid, ctx.person.id))
        open_form(ctx, conditions_form(rid, uc_ref(uc), noted))

    @engine.form("review.conditions")
    async def conditions_submit(ctx: Ctx, values: dict) -> None:
        rid = review_id(ctx.inbound.payload)
        rr, uc = await precheck(ctx, rid)
        drafts = await conditions.drafts(ctx.session, rid, ctx.person.id)
        new, errors = await read_conditions(ctx, values, need_one=not drafts)
        if errors:
            form_errors(ctx, conditions_form(rid, uc_ref(uc), len(drafts)), errors)
            return
        if values.get("more") == "yes":
            for c in new:
                await conditions.create(ctx.session, use_case_id=uc.id, review_id=rid, text=c.text,
                                        owner_id=c.owner_id, due_date=c.due, status=conditions.DRAFT,
                                        created_by_id=ctx.person.id, created_at=ctx.now)
            open_form(ctx, conditions_form(rid, uc_ref(uc), len(drafts) + len(new)))
            return
        result = await deciding.decide(ctx, rid, rules.APPROVE_WITH_CONDITIONS, clicker(ctx),
                                       new_conditions=new)
        n = len(drafts) + len(new)
        gname = review_cards.group_name(ctx.policy, rr.group_key)
        extra = "" if result else f" {gname} needs {rr.quorum} approvals in all."
        ctx.whisper(f"Recorded: you approved {uc_ref(uc)} for {gname} with {plural(n, 'condition')}; their owners have "
                    f"been told.{extra}")

    @engine.action("condition.close")
    async def close_button(ctx: Ctx, payload: dict) -> None:
        cid = _cid(payload)
        c = await conditions.get(ctx.session, cid)
        if c is None or c.status != conditions.OPEN:
            raise Refusal(f"Condition #{cid} is not open any more.")
        open_form(ctx, evidence_form(cid))

    @engine.form("condition.close")
    async def close_submit(ctx: Ctx, values: dict) -> None:
        cid = _cid(ctx.inbound.payload)
        evidence = values.get("evidence")
        evidence = evidence.strip() if isinstance(evidence, str) else ""
        if len(evidence) < EVIDENCE_MIN:
            form_errors(ctx, evidence_form(cid), {"evidence": "Please say briefly what shows it is done."})
            return
        await close_condition(ctx, cid, evidence)

    @engine.command("close", help="close a condition with evidence: close condition 7 <evidence>")
    async def close_command(ctx: Ctx, args: str) -> None:
        words = args.split(None, 2)
        if words and words[0].lower() in ("condition", "cond", "c"):
            words = words[1:] if len(words) < 3 else [words[1], words[2]]
        if not words or not words[0].lstrip("#").isdigit():
            ctx.say("To close a condition, type “close condition 7” followed by a short note on the evidence, "
                    "for example: close condition 7 pen test report PT-114 shows no open findings")
            return
        cid = int(words[0].lstrip("#"))
        evidence = " ".join(words[1:]).strip()
        if len(evidence) < EVIDENCE_MIN:
            c = await conditions.get(ctx.session, cid)
            if c is None or c.status != conditions.OPEN:
                raise Refusal(f"Condition #{cid} is not open.")
            open_form(ctx, evidence_form(cid))
            return
        await close_condition(ctx, cid, evidence)

    @engine.command("conditions", help="the open conditions you own or that sit on your use cases")
    async def list_conditions(ctx: Ctx, args: str) -> None:
        rows = []
        for uc in await use_cases.for_person(ctx.session, ctx.person.id):
            for c in await conditions.open_for(ctx.session, uc.id):
                rows.append((c, uc))
        for c in await conditions.owned_by(ctx.session, ctx.person.id):
            if all(c.id != x.id for x, _ in rows):
                rows.append((c, await use_cases.get(ctx.session, c.use_case_id)))
        if not rows:
            ctx.say("No open conditions: nothing blocks your use cases' next gates.")
            return
        # One message, each Close button carrying its condition's number and first words: a number typed in
        # the local chat, or a button clicked, always means the condition it names.
        shown = rows[:20]
        lines = [f"#{c.id} on {uc_ref(uc)} “{uc.title}”: {c.text} (due {day(c.due_date)})" for c, uc in shown]
        more = f"\nand {len(rows) - len(shown)} more" if len(rows) > len(shown) else ""
        buttons = [numbered_close_button(c) for c, _ in shown]
        n = len(rows)
        ctx.say(Message([Text([f"{n} open condition{'s' if n != 1 else ''}:\n" + "\n".join(lines) + more]),
                         *[Buttons(buttons[i:i + 5]) for i in range(0, len(buttons), 5)]],
                        fallback=f"{n} open condition{'s' if n != 1 else ''}"))


def numbered_close_button(c) -> Button:
    """“Close #7: Pen test before rollout”: the number and a few words of the condition."""
    words = c.text if len(c.text) <= 32 else c.text[:31].rstrip() + "…"
    return Button(f"Close #{c.id}: {words}", "condition.close", {"c": c.id})
