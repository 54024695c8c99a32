"""libpq-style TLS parameters in DATABASE_URL, against a real PostgreSQL started with a self-signed CA.

Managed Postgres hands out `?sslmode=verify-full&sslrootcert=...`; aiom must connect with it, refuse a server
whose certificate it cannot trust, and say in words what failed.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.config import ConfigError, load_settings
from storage.db import Database, DatabaseUnavailable
from tests.support.pg_servers import start_tls_cluster
from tests.support.proc import AIOM, clean_env


@pytest.fixture(scope="module")
def tls():
    folder = Path(tempfile.mkdtemp(prefix="aiom-pgtls-"))  # not under pytest's 0700 folder: postgres runs it
    cluster = start_tls_cluster(folder)
    if isinstance(cluster, str):
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"cannot start a TLS PostgreSQL cluster: {cluster}")
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


async def _session_ssl(url: str) -> bool:
    """True when the connection aiom opened for `url` is encrypted (as the server sees it)."""
    db = Database(url)
    try:
        async with db.read() as s:
            return (await s.execute(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))).scalar()
    finally:
        await db.dispose()


async def _refusal(url: str) -> str:
    db = Database(url)
    try:
        with pytest.raises(DatabaseUnavailable) as e:
            await db.check(timeout=10)
        return str(e.value)
    finally:
        await db.dispose()


async def test_verify_full_with_the_servers_ca_connects_over_tls(tls):
    url = tls.url("tlsonly", sslmode="verify-full", sslrootcert=tls.certs["ca.crt"])
    assert await _session_ssl(url) is True


async def test_require_encrypts_without_checking_the_certificate(tls):
    assert await _session_ssl(tls.url("tlsonly", sslmode="require")) is True


async def test_disable_connects_in_clear_and_a_tls_only_user_is_refused_in_words(tls):
    assert await _session_ssl(tls.url("plain", sslmode="disable")) is False
    message = await _refusal(tls.url("tlsonly", sslmode="disable"))
    assert "only over TLS" in message and "sslmode=require" in message


async def test_a_certificate_from_another_ca_is_refused_in_words(tls):
    message = await _refusal(tls.url("tlsonly", sslmode="verify-full", sslrootcert=tls.certs["other.crt"]))
    assert "TLS certificate was not accepted" in message and "sslrootcert" in message
    # libpq: a root certificate given with sslmode=require verifies the chain too
    message = await _refusal(tls.url("tlsonly", sslmode="require", sslrootcert=tls.certs["other.crt"]))
    assert "TLS certificate was not accepted" in message


async def test_verify_full_checks_the_host_name(tls):
    # The certificate names localhost; 127.0.0.1 is the same server under a name it does not carry.
    url = tls.url("tlsonly", sslmode="verify-full", sslrootcert=tls.certs["ca.crt"]).replace(
        "@localhost:", "@127.0.0.1:")
    message = await _refusal(url)
    assert "TLS certificate was not accepted" in message and "host name" in message
    assert await _session_ssl(url.replace("verify-full", "verify-ca")) is True  # same CA, no name check


async def test_client_certificate_login(tls):
    url = tls.url("certuser", sslmode="verify-full", sslrootcert=tls.certs["ca.crt"],
                  sslcert=tls.certs["client.crt"], sslkey=tls.certs["client.key"])
    assert await _session_ssl(url) is True
    message = await _refusal(tls.url("certuser", sslmode="verify-full", sslrootcert=tls.certs["ca.crt"]))
    assert "certuser" in message or "certificate" in message


def test_wrong_tls_settings_are_named_at_start(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_settings({"DATABASE_URL": "postgresql://u@db.example.com/aiom?sslmode=verify"}, env_file=None)
    assert "sslmode: must be one of disable, allow, prefer, require, verify-ca, verify-full" in str(e.value)
    missing = tmp_path / "nope.crt"
    with pytest.raises(ConfigError) as e:
        load_settings({"DATABASE_URL": f"postgresql://u:hunter22@db.example.com/aiom?sslmode=verify-full"
                                       f"&sslrootcert={missing}"}, env_file=None)
    assert f"sslrootcert: no file at {missing}" in str(e.value) and "hunter22" not in str(e.value)


def test_aiom_db_upgrade_over_verified_tls(tls):
    env = clean_env(DATABASE_URL=tls.url("tlsonly", db="postgres", sslmode="verify-full",
                                         sslrootcert=tls.certs["ca.crt"]))
    _psql(tls, "CREATE DATABASE aiom_tls")
    env["DATABASE_URL"] = env["DATABASE_URL"].replace("/postgres?", "/aiom_tls?")
    r = subprocess.run(AIOM + ["db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(AIOM + ["db", "upgrade"], env=dict(env, DATABASE_URL=env["DATABASE_URL"].replace(
        str(tls.certs["ca.crt"]), str(tls.certs["other.crt"]))), capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "TLS certificate was not accepted" in r.stderr and "Traceback" not in r.stderr


def _psql(tls, sql: str) -> None:
    from tests.support.pg_servers import _as_postgres

    r = _as_postgres([str(tls.bin / "psql"), "-h", str(tls.data), "-p", str(tls.port), "-U", "postgres", "-qc", sql])
    assert r.returncode == 0, r.stderr


@pytest.mark.postgres_only
async def test_requiring_tls_from_a_server_without_it_says_so(db_url):
    from sqlalchemy.engine import make_url

    u = make_url(db_url)
    plain = f"postgresql://{u.username}@{u.host}:{u.port or 5432}/{u.database}"
    if await _session_ssl(plain + "?sslmode=prefer"):
        pytest.skip("the test server offers TLS: nothing to refuse")
    message = await _refusal(plain + "?sslmode=require")
    assert "does not offer TLS, but sslmode asks for it" in message
