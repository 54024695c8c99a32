"""`aiom chat --as EMAIL`: the local terminal chat over the same flows and database."""
from __future__ import annotations

import asyncio
import sys

from bot.commands.common import app_or_exit, fail, settings_or_exit
from vocabulary.people import EMAIL_RE


def add(sub) -> None:
    p = sub.add_parser("chat", help="chat with the bot in this terminal")
    p.add_argument("--as", dest="as_email", metavar="EMAIL", help="who you are (any role: proposer, owner, "
                                                                  "reviewer, leader)")
    p.set_defaults(func=run)


def ask_email() -> str:
    if not sys.stdin.isatty():
        return "you@example.com"
    while True:
        answer = input("Your work email (to act as you in this local chat): ").strip()
        if EMAIL_RE.match(answer):
            return answer
        print("That does not look like an email address; please try again.")


def run(args) -> int:
    settings = settings_or_exit()
    email = args.as_email or ask_email()
    if not EMAIL_RE.match(email):
        fail(f"--as needs an email address, for example --as maria@example.com (got {email!r})")
    return asyncio.run(_chat(settings, email))


async def _chat(settings, email: str) -> int:
    import logging

    from bot.console.chat import run_chat

    if settings.AIOM_LOG_LEVEL != "DEBUG":  # keep the conversation readable
        logging.getLogger().setLevel(logging.WARNING)
    from bot.console.deliverer import ConsoleDeliverer

    app = app_or_exit(settings)
    from bot.app import with_admins

    app.policy = with_admins(app.policy, [email])  # whoever starts the local chat manages its review groups
    deliverer = ConsoleDeliverer(lambda text: print(text, flush=True))
    app.add_deliverer(deliverer)
    await app.start(background=False, scheduler=True)  # reminders and digests print here too
    try:
        await run_chat(app.engine, app.dispatcher, email, deliverer=deliverer)
    finally:
        await app.stop()
    return 0
