"""`aiom digest --preview [--digest weekly] [--channel C]`: print a portfolio digest here without sending it.

Nothing is claimed, recorded or sent: the digest is built from the database as it stands and printed the way
the local chat shows it. `--channel` shows what that channel would receive (restricted use cases are named
only in leadership's channels); `--platform` says which platform the channel is on.
"""
from __future__ import annotations

import asyncio
from datetime import timezone

from bot.commands.common import app_or_exit, fail, settings_or_exit


def add(sub) -> None:
    p = sub.add_parser("digest", help="preview the portfolio digest in this terminal")
    p.add_argument("--preview", action="store_true", help="print the digest without sending or recording it")
    p.add_argument("--digest", default=None, metavar="KEY", help="which digest of the policy (default: the first)")
    p.add_argument("--channel", default=None, metavar="CHANNEL",
                   help="show what this channel would receive (default: leadership's)")
    p.add_argument("--platform", default=None, choices=("slack", "teams", "console"),
                   help="the channel's platform (default: the one the policy lists it under)")
    p.add_argument("--now", default=None, metavar="ISO_TIME", help="build it as of this moment")
    p.set_defaults(func=run)


def run(args) -> int:
    if not args.preview:
        fail("aiom digest only previews for now: add --preview (digests are sent on the policy's schedule by "
             "`aiom serve` or `aiom worker`).")
    settings = settings_or_exit()
    from bot.commands.worker import parse_now

    return asyncio.run(_preview(settings, args, parse_now(args.now)))


def _platform_of(policy, key: str, channel: str | None) -> str:
    for d in policy.digests:
        if d.key == key:
            for platform, chans in d.channels.items():
                if channel in chans:
                    return platform
    for g in policy.review.groups:
        for platform, chans in g.channels.items():
            if channel in chans:
                return platform
    return "console"


async def _preview(settings, args, fixed) -> int:
    from bot.console.render import render
    from notifications.digest.runs import preview
    from storage.migrate import upgrade
    from storage.types import utcnow

    app = app_or_exit(settings)
    keys = [d.key for d in app.policy.digests]
    key = args.digest or (keys[0] if keys else None)
    if key not in keys:
        fail(f"There is no digest {key!r} in the policy; it has: {', '.join(keys) or 'none'}.")
    platform = args.platform or _platform_of(app.policy, key, args.channel)
    try:
        await upgrade(app.db)
        now = (fixed or utcnow()).astimezone(timezone.utc)
        message = await preview(app.notifications, key, now, platform=platform, channel=args.channel)
    finally:
        await app.db.dispose()
    where = f"{args.channel} ({platform})" if args.channel else "leadership"
    print(f"Preview of the {key} digest for {where}; nothing was sent or recorded.\n")
    print(render(message)[0])
    return 0
