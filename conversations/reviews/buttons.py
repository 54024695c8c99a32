"""The buttons on a review card, the forms behind them, the reviewer's list, and the thread nudge."""
from __future__ import annotations

import re
from dataclasses import replace

from conversations import access
from conversations.people import absence
from conversations.context import Ctx, Refusal, form_errors, open_form
from conversations.engine import Engine
from conversations.reviews import cards as review_cards
from conversations.reviews import changes as review_changes
from conversations.reviews import details as review_details
from vocabulary.labels import plural, uc_ref
from vocabulary.messages import Button, Buttons, Form, FormField, Header, Message, Text
from conversations.reviews import deciding, questions, rules, tiering
from conversations.reviews.rules import clicker
from conversations.reviews.card_data import load
from conversations.reviews.gating import tier_card
from storage.repo import reviews, use_cases

# A reviewer typing a decision instead of clicking (in the card's thread). Only whole, short messages count
# ("approved", "LGTM!", "ok to proceed from our side", "+1"): a question or a sentence that merely opens with
# "ok" or "agree" ("ok, where is it hosted?") is discussion, left to the people in the thread.
DECISION_PHRASES = (
    r"approved?|approved? with conditions|conditionally approved|lgtm|looks good(?: to (?:me|us))?|"
    r"ok(?:ay)? to (?:proceed|go(?: ahead)?)|good to go|go ahead|\+1|signed? off|sign off|"
    r"agreed|fine by (?:me|us)|reject(?:ed)?|declined?|denied|no go|stop(?:ped)?|stop (?:this|it)|"
    r"escalated?|escalating")
DECISION_LIKE = re.compile(rf"^(?:(?:i|we)\s+)?(?:{DECISION_PHRASES})"
                           r"(?:\s+(?:from|by|for)\s+(?:me|us|our side|[a-z]+))?\s*[.!]*$", re.I)
PARTS = re.compile(r"[,;]|\s+-\s+|\s+and\s+", re.I)
COURTESY = re.compile(r"^(?:thanks?(?: you| all| everyone)?|thx|cheers|ta|from (?:me|us|our side))[.!]*$", re.I)
THUMBS = re.compile(r"(?::\+1:|:thumbsup:|:white_check_mark:|:heavy_check_mark:|👍|✅|✔️?)")
EMOJI_CODE = re.compile(r":[a-z0-9_+-]+:", re.I)


def looks_like_decision(text: str | None) -> bool:
    """Whether a whole thread reply reads as a decision typed instead of clicked."""
    raw = (text or "").strip()
    if not raw or len(raw) > 60:
        return False
    bare = " ".join(EMOJI_CODE.sub(" ", THUMBS.sub(" ", raw)).split())
    if not bare:
        return bool(THUMBS.search(raw))  # a thumbs-up or a tick on its own
    if bare.endswith("?"):
        return False
    # "LGTM, approved", "approved, thanks": every part a decision word or a courtesy, at least one decision.
    parts = [p.strip() for p in PARTS.split(bare) if p.strip()]
    decisions = [p for p in parts if DECISION_LIKE.match(p)]
    return bool(decisions) and all(DECISION_LIKE.match(p) or COURTESY.match(p) for p in parts)


NOT_YOURS = ("Sorry, I can't show you the details of that review: its use case is restricted to its owners, "
             "sponsor, reviewers and leadership. If you need it, ask one of its owners.")
NUDGE = ("Thanks! A typed reply is not recorded as a decision. Please use the buttons on the review card "
         "(Approve, Approve with conditions, Ask for more information, Escalate or Stop) so who decided, when "
         "and why is on record.")


def review_id(payload: dict) -> int:
    try:
        return int(payload.get("r"))
    except (TypeError, ValueError):
        raise Refusal("I could not read that button. Please use the buttons on the latest review card.") from None


async def precheck(ctx: Ctx, rid: int):
    """Refuse early (before a form opens) when this person may not act on this review now."""
    rr = await reviews.get_review(ctx.session, rid)
    if rr is None:
        raise Refusal("I could not find that review any more.")
    uc = await use_cases.get(ctx.session, rr.use_case_id)
    await absence.deciding_as(ctx.session, ctx.policy, clicker(ctx), rr, uc, ctx.now)  # a delegate may stand in
    await deciding.check_open(ctx, rr, uc)
    return rr, uc


def reason_form(form_id: str, rid: int, title: str, label: str, intro: str, submit: str,
                extra: list[FormField] = ()) -> Form:
    return Form(form_id=form_id, title=title, submit_label=submit, intro=intro, payload={"r": rid},
                fields=[FormField("reason", label, type="multiline", max_length=1500), *extra])


def read_text(values: dict, name: str = "reason", min_len: int = 5) -> str | None:
    raw = values.get(name)
    text = raw.strip() if isinstance(raw, str) else ""
    return text if len(text) >= min_len else None


async def _confirm(ctx: Ctx, rid: int, result: str | None, what: str) -> None:
    rr, uc, _gate = await reviews.with_case(ctx.session, rid)
    gname = review_cards.group_name(ctx.policy, rr.group_key)
    tail = {None: f" {gname} needs {rr.quorum} approvals in all; the card shows the count.",
            rules.ESCALATED: " The next level has the card now.",
            rules.STOPPED: " Everyone involved has been told why."}.get(result, "")
    ctx.whisper(f"Recorded: you {what} {uc_ref(uc)} for {gname}.{tail}")


async def personal_changes(ctx: Ctx, d) -> None:
    """A member's private Details reply also says what changed since *they* last looked; that look is recorded
    (the shared card does not change: it counts from its own posting, the same for everyone)."""
    rows, look = await reviews.changes_since(ctx.session, d.uc.id, d.rr.group_key, review_id=d.rr.id,
                                             person_id=ctx.person.id)
    said = review_changes.personal(ctx.policy, replace(d, changes=rows, last_look=look), ctx.person.id)
    if said:
        ctx.whisper(said)
    if rows:
        await reviews.set_review(ctx.session, d.rr.id, only_if=tuple(rules.OPEN), seen_version=d.uc.version)
        await ctx.audit("review.seen", entity="review", entity_id=d.rr.id, use_case_id=d.uc.id,
                                   data={"version": d.uc.version, "group": d.rr.group_key})


def register(engine: Engine) -> None:
    @engine.action("review.approve")
    async def approve(ctx: Ctx, payload: dict) -> None:
        rid = review_id(payload)
        result = await deciding.decide(ctx, rid, rules.APPROVE, clicker(ctx))
        await _confirm(ctx, rid, result, "approved")

    @engine.action("review.info")
    async def info_button(ctx: Ctx, payload: dict) -> None:
        rid = review_id(payload)
        _, uc = await precheck(ctx, rid)
        open_form(ctx, Form("review.info", f"Question about {uc_ref(uc)}", [
            FormField("question", "Your question for the owners", type="multiline", max_length=1500,
                      hint="The owners are asked in their chat; the review clock pauses until they answer.")],
            submit_label="Ask the owners", payload={"r": rid}))

    @engine.form("review.info")
    async def info_form(ctx: Ctx, values: dict) -> None:
        rid = review_id(ctx.inbound.payload)
        question = read_text(values, "question")
        if question is None:
            form_errors(ctx, Form("review.info", "Question", [FormField("question", "Your question",
                                                                          type="multiline")],
                                 payload={"r": rid}), {"question": "Please write the question (a sentence is fine)."})
            return
        await questions.ask(ctx, rid, question, clicker(ctx))
        ctx.whisper("Asked. The owners have your question and the review clock is paused until they answer; "
                    "their answer will appear on the card.")

    @engine.action("review.escalate")
    async def escalate_button(ctx: Ctx, payload: dict) -> None:
        rid = review_id(payload)
        rr, uc = await precheck(ctx, rid)
        to = ctx.policy.review.group(rr.group_key).escalates_to
        if not to:
            raise Refusal("This group is the last level of decision rights, so there is nowhere to escalate to.")
        open_form(ctx, reason_form("review.escalate", rid, f"Escalate {uc_ref(uc)}", "Why escalate?",
                                  f"The decision moves to {review_cards.group_name(ctx.policy, to)}.", "Escalate"))

    @engine.form("review.escalate")
    async def escalate_form(ctx: Ctx, values: dict) -> None:
        rid = review_id(ctx.inbound.payload)
        reason = read_text(values)
        if reason is None:
            form_errors(ctx, reason_form("review.escalate", rid, "Escalate", "Why escalate?", "", "Escalate"),
                            {"reason": "Please give the reason for escalating."})
            return
        result = await deciding.decide(ctx, rid, rules.ESCALATE, clicker(ctx), reason=reason)
        await _confirm(ctx, rid, result, "escalated")

    @engine.action("review.stop")
    async def stop_button(ctx: Ctx, payload: dict) -> None:
        rid = review_id(payload)
        _, uc = await precheck(ctx, rid)
        open_form(ctx, stop_form_for(rid, uc))

    @engine.form("review.stop")
    async def stop_form(ctx: Ctx, values: dict) -> None:
        rid = review_id(ctx.inbound.payload)
        reason, errors = read_text(values), {}
        if reason is None:
            errors["reason"] = "Please give the reason for stopping; everyone involved will read it."
        if values.get("confirm") != "stop":
            errors["confirm"] = "Please confirm that the use case should stop."
        if errors:
            rr = await reviews.get_review(ctx.session, rid)
            uc = await use_cases.get(ctx.session, rr.use_case_id) if rr else None
            form_errors(ctx, stop_form_for(rid, uc), errors)
            return
        result = await deciding.decide(ctx, rid, rules.STOP, clicker(ctx), reason=reason)
        await _confirm(ctx, rid, result, "stopped")

    @engine.action("review.details")
    async def details(ctx: Ctx, payload: dict) -> None:
        rid = review_id(payload)
        d = await load(ctx.session, ctx.policy, rid)
        if d is None:
            raise Refusal("I could not find that review any more.")
        if not await access.can_see(ctx.session, ctx.policy, ctx.person, d.uc):
            raise Refusal(NOT_YOURS)
        for msg in await review_details.details(ctx, d):
            ctx.whisper(msg)
        group = ctx.policy.review.group(d.rr.group_key)
        who = clicker(ctx)
        if rules.member_of(who.email, group.members) and not who.guest and d.rr.status in rules.OPEN:
            await personal_changes(ctx, d)

    @engine.action("tier.decide")
    async def tier_decide(ctx: Ctx, payload: dict) -> None:
        try:
            uc_id, choice = int(payload.get("uc")), payload.get("c")
        except (TypeError, ValueError):
            raise Refusal("I could not read that button.") from None
        if choice not in ("accept", "reject"):
            raise Refusal("I could not read that button.")
        status = await tiering.decide_tier(ctx, uc_id, choice == "accept", clicker(ctx))
        ctx.whisper(f"Recorded: the requested tier for UC-{uc_id} is {status}.")

    @engine.command("reviews", "inbox", help="the reviews waiting for your groups")
    async def my_reviews(ctx: Ctx, args: str) -> None:
        await show_my_reviews(ctx)

    @engine.command("review", help="show a review card: review 12")
    async def one_review(ctx: Ctx, args: str) -> None:
        try:
            rid = int(args.strip().lstrip("#"))
        except ValueError:
            await show_my_reviews(ctx)
            return
        await show_card(ctx, rid)

    @engine.action("review.show")
    async def show_button(ctx: Ctx, payload: dict) -> None:
        await show_card(ctx, review_id(payload))

    @engine.action("tier.show")
    async def tier_button(ctx: Ctx, payload: dict) -> None:
        try:
            uc = await use_cases.get(ctx.session, int(payload.get("uc")))
        except (TypeError, ValueError):
            uc = None
        if uc is None:
            raise Refusal("I could not find that use case any more.")
        ctx.say(tier_card(ctx, uc))

    previous = engine.fallback

    async def fallback(ctx: Ctx, text: str) -> None:
        w = ctx.inbound.where
        if w.thread_id and w.kind != "personal":
            rid = await reviews.review_for_thread(ctx.session, w.platform, w.conversation_id, w.thread_id)
            if rid is not None:
                if looks_like_decision(text):
                    ctx.whisper(NUDGE)
                return  # discussion in a review thread is for people, not for the bot
        if previous is not None:
            await previous(ctx, text)

    engine.fallback = fallback


def stop_form_for(rid: int, uc) -> Form:
    ref = uc_ref(uc) if uc is not None else "the use case"
    return reason_form("review.stop", rid, f"Stop {ref}", "Why should it stop?",
                       f"Stopping ends {ref} for good: its reviews close and everyone involved is told why.",
                       "Stop it", extra=[FormField("confirm", "Confirm", type="select",
                                                   options=[("stop", f"Yes, stop {ref}")])])


async def show_my_reviews(ctx: Ctx) -> None:
    """One message listing what waits for the person's groups, with a button to open each card."""
    who = clicker(ctx)
    mine = [g for g in ctx.policy.review.groups if rules.member_of(who.email, g.members)]
    for_whom = {}  # groups this person stands in for, as a delegate (conversations/people/absence.py)
    if not who.guest and who.email:
        for g, member in await absence.standing_in_for(ctx.session, ctx.policy, ctx.person, ctx.now.date()):
            if g.key not in for_whom:
                mine.append(g)
                for_whom[g.key] = f" (for {absence.label(member)}, away)"
    if not mine:
        ctx.say("You are not a member of any review group, so no reviews wait for you.")
        return
    lines, buttons = [], []
    for g in mine:
        for rr in await reviews.open_for_group(ctx.session, g.key):
            uc = await use_cases.get(ctx.session, rr.use_case_id)
            state = "waiting for the owners' answer" if rr.status == rules.INFO else f"due {review_cards.when(rr.due_at)}"
            lines.append(f"• Review {rr.id}: {uc_ref(uc)} “{uc.title}” for {g.name}{for_whom.get(g.key, '')}, {state}")
            buttons.append(Button(f"Open review {rr.id}", "review.show", {"r": rr.id}))
    if any(g.key == rules.tier_group(ctx.policy) for g in mine):
        for uc in await reviews.pending_tier_requests(ctx.session):
            lines.append(f"• {uc_ref(uc)} “{uc.title}”: the owners ask for the {uc.tier_requested} risk tier")
            buttons.append(Button(f"Tier of {uc_ref(uc)}", "tier.show", {"uc": uc.id}))
    names = ", ".join(g.name for g in mine)
    if not lines:
        ctx.say(Message([Text([f"Nothing is waiting for {names} right now."])]))
        return
    ctx.say(Message([Header(f"Waiting for {names}"[:150]), Text(["\n".join(lines[:20])]),
                     *[Buttons(buttons[i:i + 5]) for i in range(0, min(len(buttons), 20), 5)]],
                    fallback=f"{plural(len(lines), 'review')} waiting for {names}"))


async def show_card(ctx: Ctx, rid: int) -> None:
    d = await load(ctx.session, ctx.policy, rid)
    if d is None or not await access.can_see(ctx.session, ctx.policy, ctx.person, d.uc):
        ctx.say(f"There is no review {rid} you can see. Type “reviews” to see the ones waiting for your groups.")
        return
    # In a channel (a reminder posted there, or "review 12" typed there) the copy is for the clicker alone.
    (ctx.say if ctx.inbound.where.kind == "personal" else ctx.whisper)(review_cards.card(ctx.policy, d))
