"""Shared start-up for commands: settings, policy and database, checked in that order, with clean errors.

A bad setting or a bad policy file exits with status 2 before the database is touched; an unreachable
database exits with status 1 and one line naming it (password masked).
"""
from __future__ import annotations

import asyncio
import sys

from bot.config import ConfigError, Settings, configure_logging, load_settings
from vocabulary.policy import Policy, PolicyError, load_policy

EXIT_CONFIG = 2
EXIT_UNREACHABLE = 1

# Checked once per process (`aiom start` hands over to `chat` or `serve`, which ask again).
_policies: dict[str | None, Policy] = {}
_reachable: set[str] = set()


def fail(message: str, status: int = EXIT_CONFIG) -> "NoReturn":  # noqa: F821
    print(message, file=sys.stderr)
    raise SystemExit(status)


def settings_or_exit() -> Settings:
    """Settings, policy and database, or exit: every command that opens the database starts here."""
    try:
        settings = load_settings()
    except ConfigError as e:
        fail(str(e))
    configure_logging(settings)
    policy_or_exit(settings)
    database_or_exit(settings)
    return settings


def policy_or_exit(settings: Settings) -> Policy:
    key = settings.AIOM_POLICY
    if key not in _policies:
        try:
            _policies[key] = load_policy(key)
        except PolicyError as e:
            fail(f"aiom cannot start: {e}")
    return _policies[key]


def database_or_exit(settings: Settings) -> None:
    """Connect once to check the database answers (called outside any event loop)."""
    from storage.db import Database, DatabaseUnavailable

    if settings.DATABASE_URL in _reachable:
        return

    async def check() -> None:
        db = Database(settings.DATABASE_URL, **settings.db_options)
        try:
            await db.check()
        finally:
            await db.dispose()

    try:
        asyncio.run(check())
    except (DatabaseUnavailable, OSError) as e:
        from storage.db import unreachable_message

        fail(str(e) if isinstance(e, DatabaseUnavailable) else unreachable_message(settings.DATABASE_URL, e),
             status=EXIT_UNREACHABLE)
    _reachable.add(settings.DATABASE_URL)


def app_or_exit(settings: Settings, **kw):
    from bot.app import App

    kw.setdefault("policy", policy_or_exit(settings))
    return App.create(settings, **kw)
