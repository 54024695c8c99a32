"""Shared start-up for commands: settings and policy, with clean errors and exit status 2."""
from __future__ import annotations

import sys

from bot.config import ConfigError, Settings, configure_logging, load_settings
from conversations.policy import PolicyError

EXIT_CONFIG = 2


def fail(message: str, status: int = EXIT_CONFIG) -> "NoReturn":  # noqa: F821
    print(message, file=sys.stderr)
    raise SystemExit(status)


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as e:
        fail(str(e))
    configure_logging(settings)
    return settings


def app_or_exit(settings: Settings, **kw):
    from bot.app import App

    try:
        return App.create(settings, **kw)
    except PolicyError as e:
        fail(f"aiom cannot start: the policy file {settings.AIOM_POLICY} has problems:\n{e}")
