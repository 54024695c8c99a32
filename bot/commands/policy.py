"""`aiom policy check FILE`: validate an operating-model policy file, and name every review group that could
not decide a review. `aiom policy check --effective`: the review groups as they stand today, with what admins
changed in chat (stored in the database over the policy file)."""
from __future__ import annotations

import asyncio
import sys

from vocabulary.policy import check_policy_file, load_policy


def add(sub) -> None:
    p = sub.add_parser("policy", help="operating-model policy files")
    psub = p.add_subparsers(dest="policy_command", required=True)
    chk = psub.add_parser("check", help="validate a policy file and list every problem with its location")
    chk.add_argument("file", nargs="?", help="the policy file (default: AIOM_POLICY, or the built-in policy)")
    chk.add_argument("--effective", action="store_true",
                     help="show the review groups in effect: the file with the changes made in chat over it")
    chk.set_defaults(func=check)


def undecidable_lines(policy) -> list[str]:
    from conversations.groups.decidability import undecidable_groups

    bad = undecidable_groups(policy)
    if not bad:
        return []
    out = [f"warning: {len(bad)} review group{'s' if len(bad) != 1 else ''} cannot decide a review "
           "(add members in chat as an admin: group <key> add alice@example.com):"]
    out += [f"  {d.group_key}: {d.reason}" for d in bad]
    return out


def check(args) -> int:
    if args.effective:
        return effective(args)
    if not args.file:
        print("Which file? For example: aiom policy check policy.yaml (or --effective for the groups in effect)",
              file=sys.stderr)
        return 2
    problems = check_policy_file(args.file)
    if not problems:
        print(f"{args.file}: OK")
        for line in undecidable_lines(load_policy(args.file)):
            print(line, file=sys.stderr)
        return 0
    print(f"{args.file}: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    for p in problems:
        print(f"  {p.location}: {p.message}")
    return 2


def effective(args) -> int:
    from bot.app import with_admins
    from bot.commands.common import fail, settings_or_exit
    from vocabulary.policy import PolicyError

    settings = settings_or_exit()
    try:
        policy = load_policy(args.file or settings.AIOM_POLICY)
    except PolicyError as e:
        fail(f"aiom cannot read the policy: {e}")
    policy = with_admins(policy, settings.admins)
    for line in asyncio.run(_effective_lines(settings.DATABASE_URL, policy)):
        print(line)
    return 0


async def _effective_lines(url: str, base) -> list[str]:
    from conversations.groups.decidability import group_decidability
    from conversations.groups.effective import effective_members, effective_policy
    from conversations.groups.sources import describe_source
    from storage.db import Database
    from storage.migrate import upgrade
    from storage.repo import group_settings

    db = Database(url)
    try:
        await upgrade(db)
        async with db.read() as s:
            policy = await effective_policy(s, base)
            settings = {r.key: r for r in await group_settings.all_settings(s)}
    finally:
        await db.dispose()
    out = [f"Admins: {', '.join(policy.admins) or 'nobody (set AIOM_ADMINS or the policy admins)'}", "Review groups:"]
    for g in policy.review.groups:
        d = group_decidability(policy, g.key)
        s = settings.get(g.key)
        chans = "; ".join(f"{p} {', '.join(c)}" for p, c in sorted(g.channels.items()) if c) or \
            "none (cards go to each member by direct message)"
        changed = " (changed in chat)" if s is not None and (s.members is not None or s.channels is not None) else ""
        out += [f"  {g.key}: {g.name}{changed}",
                f"    members: {', '.join(effective_members(policy, g.key)) or 'none'}",
                f"    channels: {chans}",
                f"    members from: {describe_source(s)}",
                f"    can decide: {'yes' if d.can_decide else 'NO, ' + d.reason}"]
    return out
