"""Shared fixtures: a fresh migrated database per test on SQLite or Postgres, policies, the harness."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from vocabulary.policy import load_policy
from tests.support.clock import Clock
from tests.support.databases import ENV, PostgresDatabase, SqliteTemplate, is_postgres, test_database_url
from tests.support.harness import Harness

TEST_POLICY = Path(__file__).parent / "policies" / "test-policy.yaml"
POSTGRES_SKIP = "needs PostgreSQL: set AIOM_TEST_DATABASE_URL to a postgresql:// URL"


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres_only: needs a real PostgreSQL server")


def pytest_collection_modifyitems(config, items):
    if is_postgres():
        return
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason=POSTGRES_SKIP))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """With AIOM_REQUIRE_POSTGRES=1 (CI's Postgres run), a skipped database test fails the run."""
    if os.environ.get("AIOM_REQUIRE_POSTGRES") != "1":
        return
    skipped = terminalreporter.stats.get("skipped", [])
    pg = [r for r in skipped if "PostgreSQL" in str(r.longrepr)]
    if not is_postgres() or pg:
        terminalreporter.write_line(f"FAILED: the Postgres run skipped {len(pg)} database tests "
                                    f"({ENV}={test_database_url()!r})", red=True)
        config._aiom_pg_failed = True


def pytest_sessionfinish(session, exitstatus):
    if getattr(session.config, "_aiom_pg_failed", False) or (
            os.environ.get("AIOM_REQUIRE_POSTGRES") == "1" and not is_postgres()):
        session.exitstatus = 1


@pytest.fixture(scope="session")
def _database_template(tmp_path_factory):
    if is_postgres():
        try:
            template = PostgresDatabase(test_database_url())
        except OSError as e:
            pytest.exit(f"{ENV} points at a PostgreSQL server that does not answer: {e}", returncode=3)
    else:
        template = SqliteTemplate(tmp_path_factory.mktemp("db-template"))
    yield template
    template.close()


@pytest.fixture
def db_url(_database_template, tmp_path) -> str:
    """A fresh, migrated database for this test (a URL in the form operators use)."""
    return _database_template.fresh(tmp_path / "aiom.db")


@pytest.fixture
def policy():
    return load_policy(TEST_POLICY)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def harness(db_url, policy, clock):
    h = await Harness.start(db_url, policy=policy, clock=clock)
    yield h
    await h.stop()
