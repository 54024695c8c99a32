"""Similar ideas during intake: find them, offer link / join / continue, and tell their owners.

A restricted use case follows the visibility rule of conversations/access.py: its owners, sponsor,
proposer, contributors, reviewers and leadership see it as any other match; to everyone else the match
says only that a similar restricted idea exists (no id, no title) and offers to tell its owners, which
happens when the new idea is submitted (never if the proposer cancels).
"""
from __future__ import annotations

from conversations import access
from conversations.context import Ctx
from conversations.labels import uc_ref
from conversations.messages import Message, Text
from conversations.rules.similarity import Doc, similar
from storage.repo import use_cases
from storage.tables import UseCase

NEW, TELL = "new", "tell"


async def find(ctx: Ctx, data: dict) -> bool:
    """The step's prepare hook: store the matches in the flow state; False (skip the step) when none."""
    p = ctx.policy.intake
    rows = await use_cases.similarity_candidates(ctx.session)
    docs = [Doc(r[0], f"{r[1]} {r[2]} {r[3]}") for r in rows]
    query = f"{data.get('title', '')} {data.get('problem', '')} {data.get('outcome', '')}"
    by_id = {r[0]: r for r in rows}
    found = []
    for uc_id, score in similar(query, docs, p.similar_threshold, p.similar_max):
        r = by_id[uc_id]
        visible = not r[4] or await _sees(ctx, uc_id)
        found.append({"id": uc_id, "title": r[1] if visible else "", "restricted": not visible, "score": score})
    ctx.state.data = {**data, "_similar": found}
    return bool(found)


async def _sees(ctx: Ctx, uc_id: int) -> bool:
    uc = await use_cases.get(ctx.session, uc_id)
    return uc is not None and await access.can_see(ctx.session, ctx.policy, ctx.person, uc)


def _hidden(data: dict) -> list[dict]:
    return [m for m in data.get("_similar", []) if m["restricted"]]


def question(ctx: Ctx, data: dict) -> str:
    shown = [m for m in data.get("_similar", []) if not m["restricted"]]
    hidden = _hidden(data)
    lines = [f"• UC-{m['id']} “{m['title']}”" for m in shown]
    if hidden:
        what = "a similar idea" if len(hidden) == 1 else f"{len(hidden)} similar ideas"
        lines.append(f"• {what} that I cannot show you, because {'it is' if len(hidden) == 1 else 'they are'} "
                     "restricted. I can tell the owners about yours when you submit, so they can get in touch.")
    lead = ("Before you submit: these existing ideas look similar to yours." if shown else
            "Before you submit: an existing idea looks similar to yours.")
    return (f"{lead} Teams often duplicate pilots without knowing, so please have a look.\n" + "\n".join(lines))


def choices(ctx: Ctx, data: dict) -> list[tuple[str, str]]:
    out = []
    for m in data.get("_similar", []):
        if not m["restricted"]:
            out.append((f"link:{m['id']}", f"Link to UC-{m['id']}"))
            out.append((f"join:{m['id']}", f"Join UC-{m['id']} instead"))
    hidden = _hidden(data)
    if hidden:
        out.append((TELL, "Tell its owners about my idea" if len(hidden) == 1 else "Tell their owners about my idea"))
    out.append((NEW, "Continue as a new idea"))
    return out


def target_of(choice: str | None) -> int | None:
    if choice and choice.startswith(("link:", "join:")):
        try:
            return int(choice[5:])
        except ValueError:
            return None
    return None


def _title(data: dict, uc_id: int | None) -> str:
    return next((m["title"] for m in data.get("_similar", []) if m["id"] == uc_id), "")


def submit_label(data: dict) -> str | None:
    choice = data.get("similar") or NEW
    if choice.startswith("join:"):
        return f"Join UC-{target_of(choice)}"
    return None


def summary_line(data: dict) -> str | None:
    """What submitting will do about the similar ideas (None when none were shown)."""
    if not data.get("_similar"):
        return None
    choice = data.get("similar") or NEW
    uc_id = target_of(choice)
    if choice.startswith("join:"):
        return (f"Similar ideas: you chose to join UC-{uc_id} “{_title(data, uc_id)}”. Submitting adds you to "
                f"UC-{uc_id} as a contributor and tells its owners; no new idea is created.")
    if choice.startswith("link:"):
        return (f"Similar ideas: submitting creates your idea as a new one, linked to UC-{uc_id} "
                f"“{_title(data, uc_id)}” as related, and tells UC-{uc_id}'s owners.")
    if choice == TELL:
        return ("Similar ideas: submitting creates your idea as a new one and tells the owners of the similar "
                "restricted idea about it (your name and your idea's name).")
    return "Similar ideas: you chose to continue as a new idea."


async def open_target(ctx: Ctx, uc_id: int | None) -> UseCase | None:
    """The chosen similar idea, re-read: None when it is gone, closed or no longer visible to the proposer."""
    if uc_id is None:
        return None
    uc = await use_cases.get(ctx.session, uc_id)
    if uc is None or uc.status in use_cases.CLOSED_STATUSES:
        return None
    if not await access.can_see(ctx.session, ctx.policy, ctx.person, uc):
        return None
    return uc


async def audit_choice(ctx: Ctx, data: dict, use_case_id: int) -> None:
    shown = data.get("_similar") or []
    if not shown:
        return
    await ctx.audit("use_case.similar_ideas", entity="use_case", entity_id=use_case_id, use_case_id=use_case_id,
                    data={"choice": data.get("similar") or NEW,
                          "matches": [{"id": m["id"], "score": m["score"], "restricted": m["restricted"]}
                                      for m in shown]})


async def tell_owners(ctx: Ctx, target: UseCase, new: UseCase | None, how: str) -> list[int]:
    """Tell the target's owners (each one: the key names the recipient). Returns who was told."""
    who = ctx.person.display_name or ctx.person.email or "A colleague"
    if how == "joined":
        line = f"{who} has a similar idea and joined {uc_ref(target)} instead of starting a new one."
    elif how == "linked":
        line = f"{who} proposed {uc_ref(new)} “{new.title}” and linked it to {uc_ref(target)} as related."
    else:  # a restricted match: the proposer was not shown which idea this is
        line = (f"{who} proposed {uc_ref(new)} “{new.title}”, which looks similar to your restricted idea "
                f"{uc_ref(target)} “{target.title}”. They were not told which idea it is; get in touch with them "
                "if you would like to compare notes.")
    told = sorted({target.business_owner_id, target.delivery_owner_id} - {None, ctx.person.id})
    for pid in told:
        await ctx.notify_person(pid, Message([Text([line])]), use_case_id=target.id,
                                key=f"uc:{target.id}:{how}:{ctx.person.id}:{new.id if new else 0}:to:{pid}")
    return told


async def tell_restricted(ctx: Ctx, data: dict, new: UseCase) -> None:
    """On submit, when the proposer asked: tell the owners of each restricted match, and audit it."""
    if data.get("similar") != TELL:
        return
    for m in _hidden(data):
        target = await use_cases.get(ctx.session, m["id"])
        if target is None or target.status in use_cases.CLOSED_STATUSES:
            continue
        told = await tell_owners(ctx, target, new, "restricted")
        await ctx.audit("use_case.similar_owners_told", entity="use_case", entity_id=new.id, use_case_id=new.id,
                        data={"similar_to": target.id, "told": told})
