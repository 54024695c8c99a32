"""Configuration from the environment (and an optional `.env` file), validated at start.

A bad value produces one message naming every wrong setting; secret values
never appear in it (nor in logs: they are SecretStr everywhere).
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import DatabaseUrlError, normalise_url

DEFAULT_DATABASE_URL = "sqlite:///./data/aiom.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SECRET_NAMES = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "MICROSOFT_APP_PASSWORD"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      case_sensitive=True, hide_input_in_errors=True)

    DATABASE_URL: str = DEFAULT_DATABASE_URL
    AIOM_POLICY: str | None = None
    AIOM_HOST: str = "127.0.0.1"
    AIOM_PORT: int = Field(default=3978, ge=1, le=65535)
    AIOM_LOG_LEVEL: str = "INFO"
    AIOM_LOG_FORMAT: Literal["text", "json"] = "text"
    # `aiom worker` answers /livez, /readyz and /metrics on this port when set (0: any free port).
    AIOM_WORKER_PORT: int | None = Field(default=None, ge=0, le=65535)
    # Postgres connections per process (kept open; extra under load) and PgBouncer transaction pooling.
    AIOM_DB_POOL_SIZE: int = Field(default=10, ge=1, le=1000)
    AIOM_DB_MAX_OVERFLOW: int | None = Field(default=None, ge=0, le=1000)
    AIOM_DB_PGBOUNCER: bool = False
    # How many processes send to Slack / Teams at once (serve replicas + workers): each keeps 1/N of the
    # platforms' per-channel and per-conversation pace (bot/pace_share.py).
    AIOM_PACE_PROCESSES: int = Field(default=1, ge=1, le=1000)
    # Seconds `aiom serve` / `aiom worker` wait for in-flight work after SIGTERM before stopping anyway.
    AIOM_SHUTDOWN_GRACE: float = Field(default=20.0, ge=0, le=600)
    # Where Slack and Teams can reach this server from outside (https://aiom.example.com): used for links
    # aiom serves itself, such as the digest's charts. Unset: the charts travel inside the messages.
    AIOM_PUBLIC_URL: str | None = None
    # Comma-separated emails of the people who manage review groups in chat (added to the policy's `admins`).
    AIOM_ADMINS: str | None = None
    # How long a request being processed is left alone before another pass replays it (bot/journal.py).
    AIOM_INTAKE_LEASE_SECONDS: float = Field(default=30.0, gt=0, le=3600)

    SLACK_BOT_TOKEN: SecretStr | None = None
    SLACK_SIGNING_SECRET: SecretStr | None = None
    SLACK_APP_TOKEN: SecretStr | None = None
    SLACK_API_URL: str = "https://slack.com/api/"

    MICROSOFT_APP_ID: str | None = None
    MICROSOFT_APP_PASSWORD: SecretStr | None = None
    MICROSOFT_APP_TENANT_ID: str | None = None
    MICROSOFT_APP_TYPE: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = "MultiTenant"
    AIOM_TEAMS_ANONYMOUS: bool = False

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, v):
        return None if isinstance(v, str) and v.strip() == "" else v

    @field_validator("DATABASE_URL", mode="before")
    @classmethod
    def _default_db(cls, v):
        return DEFAULT_DATABASE_URL if v is None else v

    @field_validator("DATABASE_URL")
    @classmethod
    def _db_url(cls, v: str) -> str:
        try:
            normalise_url(v)
        except DatabaseUrlError as e:
            raise ValueError(str(e)) from None
        return v

    @field_validator("AIOM_LOG_FORMAT", mode="before")
    @classmethod
    def _format(cls, v):
        return "text" if v is None else str(v).strip().lower()

    @field_validator("AIOM_LOG_LEVEL", mode="before")
    @classmethod
    def _level(cls, v):
        v = "INFO" if v is None else str(v).upper()
        if v not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return v

    @field_validator("AIOM_POLICY")
    @classmethod
    def _policy_exists(cls, v):
        if v is not None and not Path(v).is_file():
            raise ValueError("no policy file at that path")
        return v

    @field_validator("AIOM_ADMINS")
    @classmethod
    def _admins(cls, v):
        if v is None:
            return v
        bad = [e.strip() for e in v.split(",") if e.strip() and not re.match(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$", e.strip())]
        if bad:
            raise ValueError(f"must be email addresses separated by commas; not an email: {', '.join(bad)}")
        return v

    @property
    def admins(self) -> list[str]:
        return [e.strip().lower() for e in (self.AIOM_ADMINS or "").split(",") if e.strip()]

    @field_validator("SLACK_API_URL")
    @classmethod
    def _api_url(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return v if v.endswith("/") else v + "/"

    @field_validator("AIOM_PUBLIC_URL")
    @classmethod
    def _public_url(cls, v):
        if v is not None and not v.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://aiom.example.com")
        return v.rstrip("/") if v else v

    @field_validator("SLACK_BOT_TOKEN")
    @classmethod
    def _bot_token(cls, v):
        if v is not None and not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return v

    @field_validator("SLACK_APP_TOKEN")
    @classmethod
    def _app_token(cls, v):
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return v

    @model_validator(mode="after")
    def _combinations(self) -> "Settings":
        present = {k for k in _COMBINATION_NAMES if getattr(self, k)}
        problems = combination_problems(present, self.MICROSOFT_APP_TYPE)
        if problems:
            raise _Combination(problems)
        return self

    # -- derived -----------------------------------------------------------
    @property
    def slack_enabled(self) -> bool:
        return self.SLACK_BOT_TOKEN is not None

    @property
    def slack_socket_mode(self) -> bool:
        return self.SLACK_APP_TOKEN is not None

    @property
    def teams_enabled(self) -> bool:
        return bool(self.MICROSOFT_APP_ID) or self.AIOM_TEAMS_ANONYMOUS

    @property
    def db_options(self) -> dict:
        """Keyword arguments for storage.db.Database (pool sizes, PgBouncer mode)."""
        return {"pool_size": self.AIOM_DB_POOL_SIZE, "max_overflow": self.AIOM_DB_MAX_OVERFLOW,
                "pgbouncer": self.AIOM_DB_PGBOUNCER}

    @property
    def any_platform(self) -> bool:
        return self.slack_enabled or self.teams_enabled


_COMBINATION_NAMES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "MICROSOFT_APP_ID",
                      "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID", "AIOM_TEAMS_ANONYMOUS")


def combination_problems(present: set[str], app_type: str | None) -> list[tuple[str, str]]:
    """Settings that are fine alone but wrong together (judged on which ones are set)."""
    problems: list[tuple[str, str]] = []
    if "SLACK_BOT_TOKEN" in present and not present & {"SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"}:
        problems.append(("SLACK_SIGNING_SECRET", "required with SLACK_BOT_TOKEN unless SLACK_APP_TOKEN "
                                                 "(Socket Mode) is set"))
    if present & {"SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"} and "SLACK_BOT_TOKEN" not in present:
        problems.append(("SLACK_BOT_TOKEN", "required when Slack is configured"))
    if "MICROSOFT_APP_ID" in present:
        if app_type != "UserAssignedMSI" and "MICROSOFT_APP_PASSWORD" not in present:
            problems.append(("MICROSOFT_APP_PASSWORD", "required with MICROSOFT_APP_ID"))
        if app_type == "SingleTenant" and "MICROSOFT_APP_TENANT_ID" not in present:
            problems.append(("MICROSOFT_APP_TENANT_ID", "required when MICROSOFT_APP_TYPE is SingleTenant"))
        if "AIOM_TEAMS_ANONYMOUS" in present:
            problems.append(("AIOM_TEAMS_ANONYMOUS", "cannot be set together with MICROSOFT_APP_ID "
                                                     "(anonymous mode is for local development only)"))
    elif present & {"MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID"}:
        problems.append(("MICROSOFT_APP_ID", "required when a Microsoft app password or tenant is set"))
    return problems


def _raw_values(env_file: str | None) -> dict[str, str]:
    from dotenv import dotenv_values

    raw: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        raw.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    raw.update(os.environ)
    return raw


class _Combination(ValueError):
    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {m}" for k, m in problems))


class ConfigError(Exception):
    """Raised with every wrong setting; `str()` is the message shown to the operator."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        lines = [f"  {name}: {msg}" for name, msg in problems]
        super().__init__("aiom cannot start: the configuration has "
                         f"{len(problems)} problem{'s' if len(problems) != 1 else ''}:\n" + "\n".join(lines))


def load_settings(env: dict[str, str] | None = None, env_file: str | None = ".env") -> Settings:
    """Read and validate the settings. `env` replaces os.environ (tests)."""
    saved = None
    if env is not None:
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
    try:
        return Settings(_env_file=env_file)
    except ValidationError as e:
        problems: list[tuple[str, str]] = []
        for err in e.errors(include_input=False):
            name = ".".join(str(p) for p in err["loc"]) or "settings"
            ctx_err = (err.get("ctx") or {}).get("error")
            if isinstance(ctx_err, _Combination):
                problems.extend(ctx_err.problems)
                continue
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            problems.append((name, msg))
        if not any(isinstance((err.get("ctx") or {}).get("error"), _Combination) for err in e.errors()):
            # Field errors stop pydantic before the combination check; judge that on the raw values.
            raw = _raw_values(env_file)
            present = {k for k in _COMBINATION_NAMES
                       if raw.get(k, "").strip() and not (k == "AIOM_TEAMS_ANONYMOUS"
                                                          and raw[k].strip().lower() in ("0", "false", "no", "off"))}
            named = {p[0] for p in problems}
            problems.extend(p for p in combination_problems(present, raw.get("MICROSOFT_APP_TYPE"))
                            if p[0] not in named)
        raise ConfigError(problems) from None
    finally:
        if saved is not None:
            os.environ.clear()
            os.environ.update(saved)


class SecretFilter(logging.Filter):
    """Last line of defence: blank any configured secret value that reaches a log record."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            msg = record.getMessage()
            if any(s in msg for s in self._secrets):
                for s in self._secrets:
                    msg = msg.replace(s, "[secret]")
                record.msg, record.args = msg, ()
        return True


def configure_logging(settings: Settings, stream=None) -> None:
    """AIOM_LOG_LEVEL and AIOM_LOG_FORMAT (text or json) on the root logger; secrets never printed."""
    from bot.logs import configure

    secrets = [v.get_secret_value() for v in (settings.SLACK_BOT_TOKEN, settings.SLACK_SIGNING_SECRET,
                                              settings.SLACK_APP_TOKEN, settings.MICROSOFT_APP_PASSWORD) if v]
    configure(settings.AIOM_LOG_LEVEL, settings.AIOM_LOG_FORMAT, SecretFilter(secrets), stream=stream)
    # Alembic narrates every start (plugins, context, "will assume transactional DDL"), APScheduler every job
    # it adds: only when debugging.
    quiet = logging.DEBUG if settings.AIOM_LOG_LEVEL == "DEBUG" else logging.WARNING
    logging.getLogger("alembic").setLevel(quiet)
    logging.getLogger("apscheduler").setLevel(quiet)
