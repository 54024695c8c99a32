"""`aiom audit verify` (walk the hash chain) and `aiom audit show UC-4` (a use case's history, readably)."""
from __future__ import annotations

import asyncio
import json

from bot.commands.common import fail, settings_or_exit

EXIT_PROBLEMS = 1

# How each audited action reads in a history ("who <phrase>").
PHRASES = {
    "use_case.proposed": "proposed the idea",
    "use_case.tier_set": "risk tier set",
    "use_case.tier_override_requested": "asked for a different risk tier",
    "use_case.tier_override_decided": "decided the requested risk tier",
    "use_case.edited": "edited the facts",
    "use_case.linked": "linked it to a similar idea",
    "use_case.joined": "joined it",
    "use_case.stage_changed": "stage changed",
    "use_case.status_changed": "status changed",
    "gate.requested": "asked to move it to the next stage",
    "gate.passed": "gate passed",
    "gate.rerouted": "review groups changed with the tier",
    "review.requested": "review requested",
    "review.decided": "decided a review",
    "review.escalated": "escalated a review",
    "review.info_requested": "asked the owners a question",
    "review.info_answered": "answered the reviewers' question",
    "review.seen": "looked at the changes",
    "condition.opened": "condition opened",
    "condition.closed": "closed a condition",
    "review.reminded": "reviewers reminded",
    "reminder.snoozed": "snoozed a reminder",
    "reminder.not_sent_snoozed": "a queued reminder was not sent: its recipient had snoozed it",
    "readiness.dropped": "readiness dropped after a passed gate",
}
KEYS = ("group", "decision", "result", "from", "to", "kind", "reason", "tier", "groups", "text", "evidence",
        "question", "answer", "requested", "due_at", "due", "to_group", "new_review", "version", "instrument",
        "item", "value", "total", "subject", "until")


def add(sub) -> None:
    p = sub.add_parser("audit", help="the tamper-evident audit log")
    asub = p.add_subparsers(dest="audit_command", required=True)
    v = asub.add_parser("verify", help="check the hash chain: reports edited, deleted or reordered entries")
    v.set_defaults(func=verify)
    s = asub.add_parser("show", help="print a use case's history: aiom audit show UC-4")
    s.add_argument("use_case", metavar="USE_CASE")
    s.set_defaults(func=show)


def verify(args) -> int:
    settings = settings_or_exit()
    from storage import audit
    from storage.db import Database

    async def go():
        db = Database(settings.DATABASE_URL, **settings.db_options)
        try:
            async with db.read() as s:
                return await audit.verify(s)
        except OSError as e:
            fail(f"Could not reach the database: {e}", status=EXIT_PROBLEMS)
        finally:
            await db.dispose()

    count, problems = asyncio.run(go())
    if not problems:
        print(f"OK: {count} audit entr{'y' if count == 1 else 'ies'}, the chain is intact.")
        return 0
    print(f"PROBLEMS: the audit log was changed ({len(problems)} problem{'s' if len(problems) != 1 else ''} "
          f"in {count} entries):")
    for p in problems:
        print(f"  {p}")
    return EXIT_PROBLEMS


def show(args) -> int:
    settings = settings_or_exit()
    from vocabulary.labels import parse_uc_id

    uc_id = parse_uc_id(args.use_case)
    if uc_id is None:
        fail(f"{args.use_case!r} is not a use case reference; use one like UC-4.")
    return asyncio.run(_show(settings, uc_id))


async def _show(settings, uc_id: int) -> int:
    from storage import audit
    from storage.db import Database
    from storage.repo import use_cases

    db = Database(settings.DATABASE_URL, **settings.db_options)
    try:
        async with db.read() as s:
            uc = await use_cases.get(s, uc_id)
            if uc is None:
                print(f"There is no UC-{uc_id}.")
                return EXIT_PROBLEMS
            print(f"UC-{uc.id} {uc.title} — {uc.stage.replace('_', ' ')}, {uc.status}")
            n = 0
            async for e in audit.entries(s, use_case_id=uc_id):
                n += 1
                print(line(e))
            print(f"({n} entr{'y' if n == 1 else 'ies'}; check the whole chain with: aiom audit verify)")
    except BrokenPipeError:  # the reader stopped (… | head -1): that is the end, not a database problem
        raise
    except OSError as e:
        fail(f"Could not reach the database: {e}", status=EXIT_PROBLEMS)
    finally:
        await db.dispose()
    return 0


def line(e) -> str:
    when = e.at.strftime("%Y-%m-%d %H:%M:%S UTC")
    who = e.actor_label or ("aiom" if e.actor_id is None else f"person {e.actor_id}")
    what = PHRASES.get(e.action, e.action.replace(".", ": ").replace("_", " "))
    where = e.platform or "system"
    ref = f" [{e.message_ref}]" if e.message_ref else ""
    return f"{when}  {who} ({where}){ref}: {what}{describe(e.data or {})}  #{e.seq}"


def describe(data: dict) -> str:
    parts = []
    for k in KEYS:
        if k in data and data[k] not in (None, "", [], {}):
            v = data[k]
            text = v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)
            parts.append(f"{k.replace('_', ' ')}: {text if len(text) <= 160 else text[:159] + '…'}")
    changes = data.get("changes")
    if isinstance(changes, dict):
        for col, c in changes.items():
            if isinstance(c, dict):
                parts.append(f"{c.get('label', col)}: “{str(c.get('before', ''))[:60]}” → "
                             f"“{str(c.get('after', ''))[:80]}”")
    return (" — " + "; ".join(parts)) if parts else ""
