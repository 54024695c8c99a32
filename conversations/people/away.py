"""`away until 2026-12-24 [delegate bob@…]` and `back`, typed in any chat with aiom (Slack DM or App Home
messages tab, the Teams personal chat, the local chat, or `/aiom away …`).

While someone is away, their reminders are held (and sent when they are back), their delegate gets a copy and
may decide reviews for them (conversations/people/absence.py), and their groups count them out when nobody stands in.
"""
from __future__ import annotations

import re
from datetime import date

from conversations.people import absence
from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from vocabulary.messages import Block, Button, Buttons, Context, Header, Message, Text
from conversations.people.lookup import display, parse_person, person_for_hint
from conversations.steps import Invalid, parse_date
from storage.repo import absences, people
from storage.repo.status import groups_of

USAGE = ("To tell me you are away, type for example “away until 2026-12-24”, or with someone to decide and "
         "receive your reminders meanwhile: “away until 2026-12-24 delegate bob@example.com”. Type “back” when "
         "you return.")
AWAY = re.compile(r"^(?:until|till|til|to)?\s*(?P<date>.+?)(?:\s+(?P<kw>delegate|delegating to|with delegate)"
                  r"(?:\s+(?P<who>.+))?)?$", re.I)
MAX_DAYS = 366


def parse(args: str, today: date) -> tuple[date, str | None]:
    m = AWAY.match(args.strip())
    if not args.strip() or m is None:
        raise Invalid(USAGE)
    try:
        until = parse_date(m.group("date"), today)
    except Invalid as e:
        raise Invalid(f"{e} {USAGE}") from None
    if m.group("kw") and not (m.group("who") or "").strip():
        raise Invalid("Who should stand in for you? Add their email after “delegate”, for example “away until "
                      f"{until.isoformat()} delegate bob@example.com”, or leave “delegate” out.")
    if (until - today).days > MAX_DAYS:
        raise Invalid("That is more than a year away. For a longer absence, please ask leadership to hand your "
                      "work over (type “help” for how).")
    return until, (m.group("who") or "").strip() or None


def register(engine: Engine) -> None:
    @engine.command("away", "ooo", "holiday", help="away until 2026-12-24 [delegate bob@…]: hold your reminders, "
                                                   "name who decides for you")
    async def away(ctx: Ctx, args: str) -> None:
        await set_away(ctx, args)

    @engine.command("back", help="back: you are back from being away; held reminders are sent")
    async def back(ctx: Ctx, args: str) -> None:
        if await absences.absence_of(ctx.session, ctx.person.id) is None and engine.fallback is not None:
            await engine.fallback(ctx, f"back {args}".strip())  # not away: "back" means what it meant before
            return
        await come_back(ctx)

    @engine.action("away.back")
    async def back_button(ctx: Ctx, payload: dict) -> None:
        await come_back(ctx)


async def set_away(ctx: Ctx, args: str) -> None:
    today = ctx.now.date()
    if not args.strip():
        current = await absences.absence_of(ctx.session, ctx.person.id)
        if current is not None and current.until >= today:
            ctx.say(Message([Text([f"You are away until {absence.until_text(current.until)}. To change it, type "
                                   "“away until …” again (with “delegate …” if someone stands in); type “back” "
                                   "when you return."]),
                             Buttons([Button("I'm back", "away.back", {})])]))
            return
        raise Refusal(USAGE)
    try:
        until, who = parse(args, today)
    except Invalid as e:
        raise Refusal(str(e)) from None
    delegate = None
    if who:
        hint = parse_person(who, ctx.inbound.mentions)
        if hint is None:
            raise Refusal(f"I could not tell who “{who[:80]}” is: mention them or type their email address. "
                          f"{USAGE}")
        delegate = await person_for_hint(ctx.session, hint)
        if delegate.id == ctx.person.id:
            raise Refusal("You cannot be your own delegate. Name a colleague, or leave the delegate out.")
        if await absences.leaver_of(ctx.session, delegate.id) is not None:
            raise Refusal(f"{display(delegate)} has left the organisation, so they cannot stand in for you. "
                          "Please name someone else.")
    previous = await absences.absence_of(ctx.session, ctx.person.id)
    await absences.set_away(ctx.session, ctx.person.id, until, delegate.id if delegate else None, ctx.now)
    await ctx.audit("person.away", entity="person", entity_id=ctx.person.id,
                    data={"until": until, "delegate": delegate.email if delegate else None,
                          "delegate_id": delegate.id if delegate else None, "changed": previous is not None})
    lines = [f"Noted: you are away until {absence.until_text(until)}. Your reminders are held and sent when you "
             "are back (type “back” to end it early)."]
    why = f"{absence.label(ctx.person)} is away until {absence.until_text(until)}"
    if delegate is not None:
        delegate_away = await absences.away_on(ctx.session, [delegate.id], today)
        # Groups the delegate belongs to already are decided by them as themselves (one person, one vote).
        own = set(groups_of(ctx.policy, delegate.email))
        groups = [g for g in groups_of(ctx.policy, ctx.person.email) if g not in own]
        if delegate.id in delegate_away:
            back_on = absence.until_text(delegate_away[delegate.id].until)
            lines.append(f"{display(delegate)} is away too (until {back_on}), so they are skipped while away: "
                         "nobody stands in for you until they are back, and the owners of any review your groups "
                         "can then no longer decide are told.")
            why += f" and their delegate {absence.label(delegate)} is away too."
        else:
            where = (f" and may decide reviews for {', '.join(ctx.policy.review.group(g).name for g in groups)} on "
                     "your behalf (never on a use case they or you propose, own or sponsor)") if groups else ""
            lines.append(f"{display(delegate)} receives your reminders meanwhile{where}.")
            why += f"; {absence.label(delegate)} stands in."
            await tell_delegate(ctx, delegate.id, until, groups)
    else:
        why += " and named no delegate."
    covering = [a for a in await absences.delegating_to(ctx.session, ctx.person.id, today)]
    if covering:
        names = [absence.label(await people.get(ctx.session, a.person_id)) for a in covering]
        why += f" They were standing in for {', '.join(names)}, who {'is' if len(names) == 1 else 'are'} away."
    await absence.warn_stuck(ctx, await absence.affected_groups(ctx.session, ctx.policy, ctx.person,
                                                                            today), why)
    ctx.say(Message([Text([" ".join(lines)]), Buttons([Button("I'm back", "away.back", {})])],
                    fallback=lines[0]))


async def tell_delegate(ctx: Ctx, delegate_id: int, until: date, groups: list[str]) -> None:
    names = ", ".join(ctx.policy.review.group(g).name for g in groups)
    text = (f"{display(ctx.person)} ({absence.label(ctx.person)}) is away until {absence.until_text(until)} and "
            "named you as their delegate: their reminders come to you too")
    text += (f", and you may decide reviews for {names} on their behalf (the card and the audit log will say "
             "so). Type “reviews” to see what waits." if names else ".")
    await ctx.notify_person(delegate_id, Message([Header("You are standing in"), Text([text])], fallback=text),
                            key=f"away:{ctx.person.id}:delegate:{delegate_id}:{until.isoformat()}")


async def come_back(ctx: Ctx) -> None:
    current = await absences.absence_of(ctx.session, ctx.person.id)
    if current is None:
        ctx.say("You were not marked as away, so there is nothing to end. Welcome back all the same!")
        return
    await absences.clear_away(ctx.session, ctx.person.id)
    released = await absences.release_held(ctx.session, ctx.person.id, ctx.now)
    if released:
        ctx.outbox_written = True
    await ctx.audit("person.back", entity="person", entity_id=ctx.person.id,
                    data={"was_away_until": current.until, "delegate_id": current.delegate_id,
                          "reminders_released": released})
    if current.delegate_id is not None:
        await ctx.notify_person(current.delegate_id, Message([Text([
            f"{display(ctx.person)} is back, so you no longer stand in for them. Thank you!"])]),
            key=f"away:{ctx.person.id}:back:{ctx.now.isoformat()}:{current.delegate_id}")
    # Whoever named this person as delegate has someone standing in again: nothing to warn about.
    tail = f" {released} reminder(s) held while you were away are on their way now." if released else ""
    ctx.say(f"Welcome back! You are no longer marked as away.{tail}")


async def home_blocks(session, person_id: int, today: date) -> list[Block]:
    """What a home screen (Slack's App Home) shows about being away: the absence with an "I'm back" button, or
    how to set one."""
    current = await absences.absence_of(session, person_id)
    if current is None or current.until < today:
        return [Context("Going away? Type “away until 2026-12-24 delegate bob@example.com” in Messages or "
                        "with /aiom: your reminders wait and your delegate stands in.")]
    text = f"You are away until {absence.until_text(current.until)}: your reminders are held"
    if current.delegate_id is not None:
        delegate = await people.get(session, current.delegate_id)
        text += f" and {display(delegate)} stands in for you"
    return [Text([text + "."]), Buttons([Button("I'm back", "away.back", {})])]
