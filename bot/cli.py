"""The `aiom` command line."""
from __future__ import annotations

import argparse
import os
import sys

from bot.commands import audit, chat, db, policy, serve, start
from bot.commands import export, import_
from bot.commands import teams_package
from bot.commands import demo, digest, worker
from bot.commands import report, similar

COMMANDS = [start, serve, chat, db, policy, audit, export, import_, teams_package, worker, digest, demo, report,
            similar]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aiom", description="Run your AI operating model from Slack and Teams.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the output was piped into something that stopped reading (… | head -1)
        quiet_stdout()
        return 0


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not complain about the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
