"""`aiom import FILE.csv|.xlsx [--dry-run]`: bring in the use cases already running (the export's layout)."""
from __future__ import annotations

import asyncio
import sys

from bot.commands.common import app_or_exit, settings_or_exit
from bot.commands.export import quiet_logs


def add(sub) -> None:
    p = sub.add_parser("import", help="import use cases from a CSV or XLSX file in the export's layout")
    p.add_argument("file", help="a .csv or .xlsx file (columns: see docs/live-operation.md)")
    p.add_argument("--dry-run", action="store_true", help="check every row and say what would be created; "
                                                          "write nothing")
    p.set_defaults(func=run)


def run(args) -> int:
    settings = settings_or_exit()
    quiet_logs(settings)
    app = app_or_exit(settings)
    return asyncio.run(_import(app, args))


async def _import(app, args) -> int:
    from storage.migrate import upgrade
    from conversations.portfolio_io.importer import run_import
    from conversations.portfolio_io.reader import ImportFileError

    try:
        await upgrade(app.db)
        report = await run_import(app.db, app.policy, args.file, dry_run=args.dry_run, now=app.clock())
    except ImportFileError as e:
        print(str(e), file=sys.stderr)
        return 2
    finally:
        await app.db.dispose()
    for line in report.lines():
        print(line)
    return 1 if report.refused else 0
