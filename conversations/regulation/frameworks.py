"""`status UC-4 frameworks [KEY]` in chat: how a use case's evidence covers each framework, and, for one framework,
every control with its status and evidence (what, who, when, audit references)."""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from conversations.regulation.evidence_facts import check, gather
from conversations.regulation.evidence_export import NOTE
from conversations.regulation.ai_act import class_text
from conversations.access import visible_use_case
from vocabulary.labels import uc_ref
from vocabulary.messages import Context, Header, Message, Text
from vocabulary.rules.evidence import MET, MISSING, NA, PARTLY, coverage
from vocabulary.text import day
from storage.repo import regulation
from vocabulary.states import ObligationStatus

MARK = {MET: "met", PARTLY: "partly met", MISSING: "missing", NA: "not applicable"}
CHUNK = 2800  # characters per text block (Slack's section limit is 3,000)


def _chunks(lines: list[str]) -> list[Text]:
    out, cur = [], ""
    for line in lines:
        if cur and len(cur) + len(line) + 1 > CHUNK:
            out.append(Text([cur]))
            cur = ""
        cur = f"{cur}\n{line}" if cur else line[:CHUNK]
    if cur:
        out.append(Text([cur]))
    return out


async def show_frameworks(ctx: Ctx, uc_id: int, words: list[str]) -> None:
    uc = await visible_use_case(ctx, uc_id)
    policy = ctx.policy
    if not policy.frameworks:
        raise Refusal("This organisation's policy lists no frameworks.")
    keys = {f.key: f for f in policy.frameworks}
    chosen = [keys[w.lower()] for w in words if w.lower() in keys]
    facts = await gather(ctx.session, policy, uc)
    obligations = await regulation.obligations(ctx.session, uc.id)
    open_n = sum(o.status == ObligationStatus.OPEN for o in obligations)
    head = [f"{policy.eu_ai_act.name if policy.eu_ai_act else 'EU AI Act'}: "
            f"{class_text(uc.ai_act_class, uc.ai_act_role)}"
            + (f" · {len(obligations) - open_n} of {len(obligations)} obligations closed" if obligations else "")]
    blocks: list = [Header(f"{uc_ref(uc)} · {uc.title} against the frameworks"[:150]), Text(head)]
    if not chosen:
        lines = []
        for fw in policy.frameworks:
            met, partly, missing, applicable = coverage(check(policy, fw, facts))
            lines.append(f"• {fw.name} ({fw.key}): {met} met, {partly} partly met, {missing} missing, of "
                         f"{applicable} that apply")
        blocks += _chunks(lines)
        blocks.append(Context(f"Every control with its evidence: status {uc_ref(uc)} frameworks "
                              f"{policy.frameworks[0].key}. The whole portfolio as a file: aiom export --framework "
                              f"<key> --format xlsx. {NOTE}"))
    for fw in chosen:
        results = check(policy, fw, facts)
        met, partly, missing, applicable = coverage(results)
        lines = [f"{fw.name}: {met} met, {partly} partly met, {missing} missing, of {applicable} that apply."]
        for r in results:
            if r.status == NA:
                continue
            line = f"• {r.key} {r.title}: {MARK[r.status]}"
            proofs = list({fd.proof.what: fd.proof for _, fd in r.found
                           if fd.proof is not None and fd.status != NA}.values())
            for p in proofs[:3]:
                when = f", {day(p.when)}" if p.when else ""
                refs = f", audit {', '.join(f'#{s}' for s in p.audit[-3:])}" if p.audit else ""
                line += f"\n    {p.what[:200]} ({p.who or 'unknown'}{when}{refs})"
            if r.lacking:
                line += "\n    Still needed: " + "; ".join(r.lacking)[:300]
            lines.append(line)
        na = sum(r.status == NA for r in results)
        if na:
            lines.append(f"{na} control{'s' if na != 1 else ''} do not apply to this use case.")
        blocks += _chunks(lines)
    if chosen:
        blocks.append(Context(NOTE))
    ctx.say(Message(blocks, fallback=f"{uc_ref(uc)} against the frameworks"), thread_of=f"use_case:{uc.id}")
