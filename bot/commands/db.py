"""`aiom db upgrade` / `aiom db revision`: schema migrations."""
from __future__ import annotations

import asyncio

from bot.commands.common import EXIT_UNREACHABLE, fail, settings_or_exit


def add(sub) -> None:
    p = sub.add_parser("db", help="database migrations")
    dsub = p.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="apply every migration (also done automatically on start)")
    up.set_defaults(func=upgrade)
    rev = dsub.add_parser("revision", help="(developers) generate a migration from the table definitions")
    rev.add_argument("-m", "--message", required=True)
    rev.set_defaults(func=revision)


def upgrade(args) -> int:
    settings = settings_or_exit()
    from storage.db import Database, unreachable_message
    from storage.migrate import current_revision, upgrade as do_upgrade

    async def go() -> tuple[bool, str | None]:
        db = Database(settings.DATABASE_URL, **settings.db_options)
        try:
            changed = await do_upgrade(db)
            return changed, await current_revision(db)
        except OSError as e:
            fail(unreachable_message(settings.DATABASE_URL, e), status=EXIT_UNREACHABLE)
        finally:
            await db.dispose()

    changed, rev = asyncio.run(go())
    print(f"database upgraded to revision {rev}" if changed else f"database is at revision {rev} (up to date)")
    return 0


def revision(args) -> int:
    settings = settings_or_exit()
    from storage.migrate import autogenerate

    path = asyncio.run(autogenerate(settings.DATABASE_URL, args.message))
    print(f"wrote {path}")
    return 0
