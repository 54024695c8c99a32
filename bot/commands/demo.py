"""`aiom demo`: load a small demo organisation into the database (a dozen use cases across every stage, reviews
waiting, demo reviewers in every group), so a newcomer can decide a review in the local chat within a minute.
`aiom demo --remove` deletes it again. Demo people live at demo.example.com."""
from __future__ import annotations

import asyncio

from bot.commands.common import app_or_exit, fail, settings_or_exit


def add(sub) -> None:
    p = sub.add_parser("demo", help="load (or --remove) a demo organisation to try aiom with")
    p.add_argument("--remove", action="store_true", help="delete the demo organisation")
    p.set_defaults(func=run)


def run(args) -> int:
    settings = settings_or_exit()
    return asyncio.run(_run(settings, args.remove))


async def _run(settings, remove: bool) -> int:
    from conversations.demo import load
    from storage.migrate import upgrade
    from storage.sync import sync_review_groups

    app = app_or_exit(settings)
    try:
        await upgrade(app.db)
        async with app.db.write() as s:
            await sync_review_groups(s, app.policy, now=app.clock())
        try:
            async with app.db.write() as s:
                if remove:
                    done = await load.remove(s, app.policy, now=app.clock())
                else:
                    done = await load.load(s, app.policy, now=app.clock(), platforms=set())
        except load.DemoError as e:
            fail(e.text, 1)
    finally:
        await app.db.dispose()
    print(describe(done, remove))
    return 0


def describe(done, remove: bool) -> str:
    if remove:
        return (f"Removed the demo organisation: {done.use_cases} use cases, {done.reviews} reviews, "
                f"{done.people} people; the review groups are back as they were.")
    return (f"Loaded the demo organisation: {done.use_cases} use cases across every stage, {done.reviews} reviews "
            f"waiting, {done.people} demo people in {done.groups} review groups.\n"
            "Try it: aiom chat --as pat.park@demo.example.com, then type “reviews” and decide one; "
            "“aiom digest --preview” shows the portfolio. “aiom demo --remove” takes it all away.")
