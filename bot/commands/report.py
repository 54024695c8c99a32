"""`aiom report --period 2026-Q4 --out q4.pdf`: the quarterly report for a board pack, as a PDF.

The executive update's ten areas for the quarter, as leadership's channel sees them, with the portfolio, trend
and operating-model health charts (notifications/digest/report.py). Nothing is sent or recorded.
"""
from __future__ import annotations

import asyncio
from datetime import timezone
from pathlib import Path

from bot.commands.common import app_or_exit, fail, settings_or_exit


def add(sub) -> None:
    p = sub.add_parser("report", help="write the quarterly portfolio report (PDF) for a board pack")
    p.add_argument("--period", required=True, metavar="YYYY-QN", help="the quarter, e.g. 2026-Q4")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    p.add_argument("--now", default=None, metavar="ISO_TIME", help="build it as of this moment")
    p.set_defaults(func=run)


def run(args) -> int:
    from bot.commands.worker import parse_now
    from notifications.digest.report import BadPeriod, parse_period

    try:
        parse_period(args.period)
    except BadPeriod as e:
        fail(str(e))
    out = Path(args.out)
    if not out.parent.exists():
        fail(f"The folder {str(out.parent)!r} does not exist: choose where to write the report with --out.")
    settings = settings_or_exit()
    return asyncio.run(_report(settings, args, parse_now(args.now), out))


async def _report(settings, args, fixed, out: Path) -> int:
    from notifications.digest.report import BadPeriod, build
    from storage.migrate import upgrade
    from storage.types import utcnow

    app = app_or_exit(settings)
    try:
        await upgrade(app.db)
        now = (fixed or utcnow()).astimezone(timezone.utc)
        try:
            pdf, title = await build(app.notifications, args.period, now)
        except BadPeriod as e:
            fail(str(e))
    finally:
        await app.db.dispose()
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(pdf)
    tmp.replace(out)
    print(f"Wrote {title} to {out} ({len(pdf) // 1024} KB).")
    return 0
