"""Throwaway Postgres servers for connection tests: a TLS cluster with a self-signed CA, and PgBouncer.

Both run on 127.0.0.1 on free ports, in a temporary folder, and are stopped by the caller. Each returns
None with the reason when the machine cannot start one (no PostgreSQL binaries, no pgbouncer, no
`postgres` user to run them as when we are root).
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(folder: Path) -> dict[str, Path]:
    """A CA, a server certificate for the name localhost (not the address 127.0.0.1) signed by it, a client certificate for user
    `certuser`, and a second CA that signed nothing here (to be refused)."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=aiom test CA",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=folder)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=another CA",
             "-keyout", "other.key", "-out", "other.crt", cwd=folder)
    (folder / "san.cnf").write_text("subjectAltName=DNS:localhost\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
             "-out", "server.csr", cwd=folder)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "san.cnf", "-out", "server.crt", cwd=folder)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=certuser", "-keyout", "client.key",
             "-out", "client.csr", cwd=folder)
    _openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-out", "client.crt", cwd=folder)
    for p in folder.iterdir():
        p.chmod(0o600 if p.suffix == ".key" else 0o644)
    return {n: folder / f"{n}" for n in ("ca.crt", "other.crt", "server.crt", "server.key", "client.crt",
                                          "client.key")}


@dataclass
class TlsCluster:
    port: int
    data: Path
    certs: dict[str, Path]
    bin: Path

    def url(self, user: str = "plain", db: str = "postgres", **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://{user}@localhost:{self.port}/{db}" + (f"?{query}" if query else "")

    def stop(self) -> None:
        _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"])


def start_tls_cluster(workdir: Path) -> TlsCluster | str:
    """A PostgreSQL cluster with ssl=on. Users: `plain` (trust, TLS optional), `tlsonly` (trust, TLS only),
    `certuser` (TLS with a client certificate signed by the test CA)."""
    pg = _pg_bin()
    if pg is None:
        return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
    if shutil.which("openssl") is None:
        return "openssl is not installed (needed to make the test certificates)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run initdb as"
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)
    data = workdir / "data"
    certs = make_certificates(workdir / "certs")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
    r = _as_postgres([str(pg / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    if r.returncode:
        return f"initdb failed: {r.stderr.strip()[-300:]}"
    for name in ("server.crt", "server.key", "ca.crt"):
        shutil.copy(certs[name], data / name)
        if os.geteuid() == 0:
            shutil.chown(data / name, "postgres")
        (data / name).chmod(0o600)
    port = free_port()
    with open(data / "postgresql.conf", "a") as f:
        f.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data}'\n"
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nssl_ca_file = 'ca.crt'\n"
                "fsync = off\nshared_buffers = 16MB\nmax_connections = 40\n")
    (data / "pg_hba.conf").write_text(
        "local all all trust\n"
        "hostssl all certuser 127.0.0.1/32 cert\n"
        "hostssl all tlsonly 127.0.0.1/32 trust\n"
        "hostnossl all tlsonly 127.0.0.1/32 reject\n"
        "host all all 127.0.0.1/32 trust\n")
    r = _as_postgres([str(pg / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w", "-t", "30", "start"])
    if r.returncode:
        return f"the TLS test cluster did not start: {r.stderr.strip()[-300:]}"
    cluster = TlsCluster(port=port, data=data, certs=certs, bin=pg)
    for user in ("plain", "tlsonly", "certuser"):
        _as_postgres([str(pg / "psql"), "-h", str(data), "-p", str(port), "-U", "postgres", "-qc",
                      f"CREATE ROLE {user} LOGIN SUPERUSER"])
    return cluster


@dataclass
class Bouncer:
    port: int
    proc: subprocess.Popen
    folder: Path

    def url(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or (os.path.exists("/usr/sbin/pgbouncer") and "/usr/sbin/pgbouncer") or None


def start_pgbouncer(workdir: Path, *, host: str, port: int, pool_size: int = 3) -> Bouncer | str:
    """PgBouncer in transaction pooling in front of host:port (every database, trust auth)."""
    binary = pgbouncer_binary()
    if binary is None:
        return "pgbouncer is not installed (Debian package pgbouncer; .ci/install-pgbouncer)"
    workdir.mkdir(parents=True, exist_ok=True)
    listen = free_port()
    (workdir / "users.txt").write_text('"postgres" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={host} port={port}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
        f"listen_port = {listen}\nunix_socket_dir =\nauth_type = trust\nauth_file = {workdir / 'users.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 200\n"
        "ignore_startup_parameters = extra_float_digits,options,statement_timeout,jit\n"
        f"logfile = {workdir / 'pgbouncer.log'}\npidfile = {workdir / 'pgbouncer.pid'}\n")
    if os.geteuid() == 0:
        for p in [workdir, *workdir.iterdir()]:
            shutil.chown(p, "postgres")
        cmd = ["runuser", "-u", "postgres", "--", binary, str(workdir / "pgbouncer.ini")]
    else:
        cmd = [binary, str(workdir / "pgbouncer.ini")]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"pgbouncer exited: {proc.stderr.read().decode(errors='replace')[-300:]}"
        try:
            socket.create_connection(("127.0.0.1", listen), timeout=0.5).close()
            return Bouncer(port=listen, proc=proc, folder=workdir)
        except OSError:
            time.sleep(0.1)
    proc.kill()
    return "pgbouncer did not start listening within 10 s"
