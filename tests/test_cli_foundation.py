"""The command line's start-up, as an operator sees it: settings, then the policy, then the database, each with
one clear message and no traceback; quiet start-ups."""
from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.support.proc import AIOM, clean_env

POLICY_FILES = Path(__file__).parent / "policy_files"
PASSWORD = "pw-never-shown-4711"


def _nothing_listens() -> str:
    """A Postgres URL on a local port nobody answers (never the shared server)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"postgresql://nobody:{PASSWORD}@127.0.0.1:{port}/x"


def _aiom(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*AIOM, *args], env=clean_env(**env), cwd=tmp_path, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


@pytest.mark.parametrize("command", [
    ["serve"], ["start"], ["chat", "--as", "maria@example.com"], ["worker", "--once", "--console"],
    ["db", "upgrade"], ["audit", "verify"], ["audit", "show", "UC-1"], ["export", "--out", "-"],
    ["digest", "--preview"],
], ids=lambda c: " ".join(c))
def test_an_unreachable_database_gives_one_line_naming_it(tmp_path, command):
    url = _nothing_listens()
    r = _aiom(command, tmp_path, DATABASE_URL=url)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("aiom cannot reach the database postgresql://nobody:***@127.0.0.1:")
    assert "connection was refused" in lines[0]
    assert PASSWORD not in r.stderr + r.stdout


def test_policy_check_reports_each_problem_where_it_is(tmp_path):
    r = _aiom(["policy", "check", str(POLICY_FILES / "unknown_group.yaml")], tmp_path)
    assert r.returncode == 2
    assert "2 problems" in r.stdout
    assert "review.groups[5].escalates_to: unknown review group 'board'" in r.stdout
    assert "incidents.rollback_groups[1]: unknown review group 'ops'" in r.stdout
    r = _aiom(["policy", "check", str(POLICY_FILES / "syntax_error.yaml")], tmp_path)
    assert r.returncode == 2 and "syntax_error.yaml line 4: YAML syntax error" in r.stdout
    assert "Traceback" not in r.stderr


def test_policy_check_accepts_a_good_file(tmp_path):
    r = _aiom(["policy", "check", str(POLICY_FILES / "override.yaml")], tmp_path)
    assert (r.returncode, r.stdout.strip()) == (0, f"{POLICY_FILES / 'override.yaml'}: OK")


@pytest.mark.parametrize("command", [["serve"], ["start"], ["db", "upgrade"]], ids=" ".join)
def test_a_bad_policy_stops_start_up_before_the_database_is_touched(tmp_path, command):
    db_file = tmp_path / "data" / "aiom.db"
    policy = str(POLICY_FILES / "wrong_type.yaml")
    r = _aiom(command, tmp_path, DATABASE_URL=f"sqlite:///{db_file}", AIOM_POLICY=policy)
    assert r.returncode == 2, r.stderr
    assert "review.groups[3].quorum: Input should be a valid integer" in r.stderr
    assert "Traceback" not in r.stderr
    assert not db_file.parent.exists(), "the database was opened before the policy was checked"
    # Against a database nobody answers, the policy is still what is reported.
    r = _aiom(command, tmp_path, DATABASE_URL=_nothing_listens(), AIOM_POLICY=policy)
    assert r.returncode == 2 and "review.groups[3].quorum" in r.stderr
    assert "cannot reach the database" not in r.stderr


def test_start_up_does_not_narrate_migrations(tmp_path):
    url = f"sqlite:///{tmp_path / 'quiet.db'}"
    r = _aiom(["db", "upgrade"], tmp_path, DATABASE_URL=url)
    assert r.returncode == 0, r.stderr
    assert "database upgraded to revision" in r.stdout
    assert "alembic" not in r.stderr, r.stderr
    r = _aiom(["db", "upgrade"], tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'loud.db'}",
              AIOM_LOG_LEVEL="DEBUG")
    assert r.returncode == 0 and "alembic.runtime.migration" in r.stderr
