"""`aiom export --format csv|xlsx|json [--out FILE]`: the portfolio, one row (or record) per use case."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.commands.common import app_or_exit, fail, settings_or_exit


def add(sub) -> None:
    p = sub.add_parser("export", help="write the portfolio as CSV, XLSX or JSON (streamed, any size)")
    p.add_argument("--format", choices=("csv", "xlsx", "json"), default="csv", help="file format (default csv)")
    p.add_argument("--out", metavar="FILE", help="where to write it; '-' for standard output (csv, json); "
                                                 "default aiom-portfolio-<date>.<format> here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--framework", metavar="KEY", help="instead of the portfolio, the evidence per use case and per "
                                                      "control of this framework (eu-ai-act, nist-ai-rmf, iso-42001 "
                                                      "or one from the policy file)")
    p.add_argument("--use-case", metavar="UC-4", help="with --framework: only this use case")
    p.set_defaults(func=run)


def quiet_logs(settings) -> None:
    """Keep the terminal for the command's own output (migration chatter only with AIOM_LOG_LEVEL=DEBUG)."""
    import logging

    if settings.AIOM_LOG_LEVEL != "DEBUG":
        logging.getLogger().setLevel(logging.WARNING)


def run(args) -> int:
    settings = settings_or_exit()
    quiet_logs(settings)
    app = app_or_exit(settings)
    if getattr(args, "framework", None):
        from bot.commands.export_evidence import run_evidence

        return asyncio.run(run_evidence(app, args))
    if getattr(args, "use_case", None):
        fail("--use-case goes with --framework (the portfolio export always holds every use case).")
    return asyncio.run(_export(app, args))


async def _export(app, args) -> int:
    from storage.migrate import upgrade
    from conversations.portfolio_io.progress import ProgressBar
    from conversations.portfolio_io.writers import write

    now = app.clock()
    out_name = args.out or f"aiom-portfolio-{now:%Y-%m-%d}.{args.format}"
    if out_name == "-" and args.format == "xlsx":
        fail("An XLSX workbook cannot go to standard output; give --out FILE.")
    progress = None if args.quiet else ProgressBar("Exporting")
    try:
        await upgrade(app.db)
        from conversations.groups.effective import effective_policy

        async with app.db.read() as s:
            app.policy = await effective_policy(s, app.policy)  # the review groups as changed in chat
        if out_name == "-":
            n = await write(args.format, app.db, app.policy, sys.stdout.buffer, now, progress=progress)
            sys.stdout.buffer.flush()
        else:
            path = Path(out_name)
            tmp = path.with_name(path.name + ".part")
            with tmp.open("wb") as f:
                n = await write(args.format, app.db, app.policy, f, now, progress=progress)
            tmp.replace(path)
            print(f"Wrote {n:,} use case{'s' if n != 1 else ''} to {path}", file=sys.stderr)
    except OSError as e:
        fail(f"Could not write the export: {e}", status=1)
    finally:
        await app.db.dispose()
    return 0
