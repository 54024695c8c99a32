"""The `aiom` command line."""
from __future__ import annotations

import argparse
import sys

from bot.commands import audit, chat, db, policy, serve, start
from bot.commands import export, import_
from bot.commands import teams_package
from bot.commands import digest, worker
from bot.commands import similar

COMMANDS = [start, serve, chat, db, policy, audit, export, import_, teams_package, worker, digest, similar]


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
