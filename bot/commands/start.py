"""`aiom start`: what the README's run command does - serve when a platform is configured,
otherwise open the local chat so a newcomer can try aiom straight away."""
from __future__ import annotations

from bot.commands import chat, serve
from bot.commands.common import settings_or_exit


def add(sub) -> None:
    p = sub.add_parser("start", help="serve Slack/Teams if configured, otherwise open the local chat")
    p.add_argument("--as", dest="as_email", metavar="EMAIL", help="who you are in the local chat")
    p.set_defaults(func=run)


def run(args) -> int:
    settings = settings_or_exit()
    if settings.any_platform:
        return serve.run(args)
    print("No Slack or Teams credentials are set, so aiom opens its local chat (see README: Connect Slack / "
          "Connect Teams).")
    return chat.run(args)
