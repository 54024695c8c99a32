"""Similar ideas during intake: find them right after title, problem and outcome, offer link / join / continue,
record what the proposer answered, and tell the owners.

Two kinds of notice. When the best match scores at least the policy's `similar_same_threshold`, the proposer is
asked whether it is the same idea ("This looks like the same idea as UC-12 …": yes, join it / related, link to it /
no, a different idea). Otherwise the matches above `similar_threshold` (at most `similar_max`) are shown lightly as
related ideas worth a conversation. Either way the proposer's answer is recorded (`aiom similar --report`).

A restricted use case follows the visibility rule of conversations/access.py: its owners, sponsor,
proposer, contributors, reviewers and leadership see it as any other match; to everyone else the match
says only that a similar restricted idea exists (no id, no title) and offers to tell its owners, which
happens when the new idea is submitted (never if the proposer cancels).
"""
from __future__ import annotations

from uuid import uuid4

from conversations import access
from conversations.similar import search as similar_search
from conversations.context import Ctx
from vocabulary.labels import uc_ref
from vocabulary.messages import Message, Text
from vocabulary.rules import embedding
from storage.repo import use_cases, vectors
from storage.tables import UseCase
from vocabulary.states import CLOSED_USE_CASE

NEW, TELL = "new", "tell"
SAME, RELATED = "same", "related"


async def find(ctx: Ctx, data: dict) -> bool:
    """The step's prepare hook: store the matches in the flow state; False (skip the step) when none."""
    p = ctx.policy.intake
    matches = await similar_search.search(ctx.session, data.get("title", ""), data.get("problem", ""),
                                          data.get("outcome", ""), limit=p.similar_max,
                                          threshold=min(p.similar_threshold, p.similar_same_threshold))
    found = []
    for m in matches:
        visible = not m.restricted or await _sees(ctx, m.id)
        found.append({"id": m.id, "title": m.title if visible else "", "restricted": not visible, "score": m.score})
    notice = SAME if found and found[0]["score"] >= p.similar_same_threshold and not found[0]["restricted"] \
        else RELATED
    if notice == RELATED:
        found = [m for m in found if m["score"] >= p.similar_threshold]
    ctx.state.data = {**data, "_similar": found, "_similar_notice": notice,
                      "_similar_key": data.get("_similar_key") or uuid4().hex}
    return bool(found)


async def _sees(ctx: Ctx, uc_id: int) -> bool:
    uc = await use_cases.get(ctx.session, uc_id)
    return uc is not None and await access.can_see(ctx.session, ctx.policy, ctx.person, uc)


def _hidden(data: dict) -> list[dict]:
    return [m for m in data.get("_similar", []) if m["restricted"]]


def _is_same(data: dict) -> bool:
    return data.get("_similar_notice") == SAME and bool(data.get("_similar"))


def question(ctx: Ctx, data: dict) -> str:
    shown = [m for m in data.get("_similar", []) if not m["restricted"]]
    hidden = _hidden(data)
    if _is_same(data):
        top, others = shown[0], shown[1:]
        text = (f"Before we go on: this looks like the same idea as UC-{top['id']} “{top['title']}”. Is it? "
                "Teams often duplicate pilots without knowing; joining the existing one saves you the rest of "
                "these questions.")
        if others:
            text += "\nRelated ideas you may also want to talk to:\n" + "\n".join(
                f"• UC-{m['id']} “{m['title']}”" for m in others)
        if hidden:
            text += ("\nThere is also a similar restricted idea I cannot show you; I can tell its owners about "
                     "yours when you submit.")
        return text
    lines = [f"• UC-{m['id']} “{m['title']}”" for m in shown]
    if hidden:
        what = "a similar idea" if len(hidden) == 1 else f"{len(hidden)} similar ideas"
        lines.append(f"• {what} that I cannot show you, because {'it is' if len(hidden) == 1 else 'they are'} "
                     "restricted. I can tell the owners about yours when you submit, so they can get in touch.")
    lead = ("Related ideas you may want to talk to before you go on:" if shown else
            "Before you go on: an existing idea looks similar to yours.")
    return f"{lead}\n" + "\n".join(lines)


def choices(ctx: Ctx, data: dict) -> list[tuple[str, str]]:
    out = []
    shown = [m for m in data.get("_similar", []) if not m["restricted"]]
    hidden = _hidden(data)
    if _is_same(data):
        top = shown[0]
        out.append((f"join:{top['id']}", f"Yes, the same: join UC-{top['id']}"))
        out.append((f"link:{top['id']}", f"Related: link to UC-{top['id']}"))
        out += [(f"link:{m['id']}", f"Link to UC-{m['id']}") for m in shown[1:]]
        if hidden:
            out.append((TELL, "Tell the restricted idea's owners"))
        out.append((NEW, "No, a different idea"))
        return out
    for m in shown:
        out.append((f"link:{m['id']}", f"Link to UC-{m['id']}"))
        out.append((f"join:{m['id']}", f"Join UC-{m['id']} instead"))
    if hidden:
        out.append((TELL, "Tell its owners about my idea" if len(hidden) == 1 else "Tell their owners about my idea"))
    out.append((NEW, "Continue as a new idea"))
    return out


def answer_for(data: dict, match: dict) -> str:
    """What the proposer's choice says about one idea the notice named: same, related, not_related or other."""
    choice = data.get("similar") or NEW
    target = target_of(choice)
    if choice == NEW:
        return "not_related"
    if choice == TELL:
        return "related" if match["restricted"] else "other"
    if target == match["id"]:
        return SAME if choice.startswith("join:") else RELATED
    return "other"


async def record_answer(ctx: Ctx, data: dict) -> None:
    """Record the answer to the notice, one row per idea it named (a changed answer replaces the earlier one)."""
    notice = data.get("_similar_notice") or RELATED
    rows = [{"intake_key": data.get("_similar_key") or uuid4().hex, "person_id": ctx.person.id, "matched_id": m["id"],
             "notice": SAME if notice == SAME and i == 0 else RELATED, "score": float(m["score"]),
             "answer": answer_for(data, m), "model": embedding.MODEL, "at": ctx.now}
            for i, m in enumerate(data.get("_similar", []))]
    await vectors.record_answers(ctx.session, rows)


def joining(data: dict) -> bool:
    return (data.get("similar") or "").startswith("join:")


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
    if uc is None or uc.status in CLOSED_USE_CASE:
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
        if target is None or target.status in CLOSED_USE_CASE:
            continue
        told = await tell_owners(ctx, target, new, "restricted")
        await ctx.audit("use_case.similar_owners_told", entity="use_case", entity_id=new.id, use_case_id=new.id,
                        data={"similar_to": target.id, "told": told})
