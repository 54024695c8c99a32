"""Configuration: defaults, one clear message for every wrong setting, exit status 2, secrets never shown."""
from __future__ import annotations

import subprocess

import pytest

from bot.config import ConfigError, load_settings
from tests.support.proc import AIOM, clean_env

SECRET = "xoxb-0000-very-secret-token"


def test_defaults_need_nothing():
    s = load_settings({}, env_file=None)
    assert s.DATABASE_URL == "sqlite:///./data/aiom.db"
    assert (s.AIOM_HOST, s.AIOM_PORT, s.SLACK_API_URL) == ("127.0.0.1", 3978, "https://slack.com/api/")
    assert not s.any_platform


def test_every_wrong_setting_is_named_once():
    env = {"AIOM_PORT": "eighty", "DATABASE_URL": "mysql://db/x", "AIOM_LOG_LEVEL": "LOUD",
           "SLACK_BOT_TOKEN": SECRET, "MICROSOFT_APP_ID": "abc", "AIOM_POLICY": "/no/such/policy.yaml"}
    with pytest.raises(ConfigError) as info:
        load_settings(env, env_file=None)
    names = [n for n, _ in info.value.problems]
    assert sorted(names) == sorted(["AIOM_PORT", "DATABASE_URL", "AIOM_LOG_LEVEL", "AIOM_POLICY",
                                    "SLACK_SIGNING_SECRET", "MICROSOFT_APP_PASSWORD"])
    assert SECRET not in str(info.value)


def test_a_malformed_secret_is_reported_without_its_value():
    with pytest.raises(ConfigError) as info:
        load_settings({"SLACK_BOT_TOKEN": "not-a-token-secret123", "SLACK_SIGNING_SECRET": "s"}, env_file=None)
    assert "SLACK_BOT_TOKEN: must be a bot token" in str(info.value)
    assert "secret123" not in str(info.value)


def test_teams_anonymous_mode_cannot_be_combined_with_an_app_id():
    with pytest.raises(ConfigError, match="AIOM_TEAMS_ANONYMOUS"):
        load_settings({"MICROSOFT_APP_ID": "a", "MICROSOFT_APP_PASSWORD": "p", "AIOM_TEAMS_ANONYMOUS": "1"},
                      env_file=None)


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("AIOM_PORT=4000\nDATABASE_URL=postgresql://u@h/db\n")
    s = load_settings({}, env_file=str(tmp_path / ".env"))
    assert (s.AIOM_PORT, s.DATABASE_URL) == (4000, "postgresql://u@h/db")


def test_cli_exits_2_with_the_message_and_no_secret(tmp_path):
    env = clean_env(AIOM_PORT="99999", SLACK_BOT_TOKEN=SECRET)
    r = subprocess.run([*AIOM, "serve"], env=env, cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2
    assert "AIOM_PORT" in r.stderr and "SLACK_SIGNING_SECRET" in r.stderr
    assert SECRET not in r.stderr + r.stdout
    assert "Traceback" not in r.stderr


DB_PASSWORD = "pw-never-shown-4711"


@pytest.mark.parametrize("url,says", [
    ("sqlite:///", "SQLite needs a file path"),
    ("sqlite://", "expected a URL such as"),
    ("sqlite:///:memory:", "SQLite needs a file path"),
    ("postgresql://", "PostgreSQL needs a host"),
    (f"postgresql://u:{DB_PASSWORD}@/aiom", "PostgreSQL needs a host"),
    (f"postgresql://u:{DB_PASSWORD}@db.example.com", "PostgreSQL needs a database name"),
    (f"postgresql://u:{DB_PASSWORD}@h:notaport/db", "the port must be a number"),
    (f"postgresql://u:{DB_PASSWORD}@h:99999/db", "the port must be a number from 1 to 65535"),
    (f"mysql://u:{DB_PASSWORD}@h/db", "expected a URL such as"),
])
def test_a_database_url_that_cannot_work_is_named_without_its_password(url, says):
    with pytest.raises(ConfigError) as info:
        load_settings({"DATABASE_URL": url}, env_file=None)
    assert [n for n, _ in info.value.problems] == ["DATABASE_URL"]
    assert says in str(info.value)
    assert DB_PASSWORD not in str(info.value)


@pytest.mark.parametrize("url", ["postgres://aiom@db.example.com/aiom",
                                 "postgresql://aiom:secret@db.example.com:6432/aiom?ssl=require",
                                 "postgresql:///aiom?host=/var/run/postgresql",
                                 "sqlite:////var/lib/aiom/aiom.db"])
def test_database_urls_that_can_work_are_accepted(url):
    assert load_settings({"DATABASE_URL": url}, env_file=None).DATABASE_URL == url


@pytest.mark.parametrize("url", ["sqlite:///", f"postgresql://u:{DB_PASSWORD}@h:notaport/db", "postgresql://"])
def test_cli_refuses_a_database_url_that_cannot_work_with_exit_2(tmp_path, url):
    r = subprocess.run([*AIOM, "serve"], env=clean_env(DATABASE_URL=url), cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("aiom cannot start: the configuration has 1 problem:\n  DATABASE_URL: ")
    assert "Traceback" not in r.stderr
    assert DB_PASSWORD not in r.stderr + r.stdout
    assert list(tmp_path.iterdir()) == []  # no data directory, no database file
