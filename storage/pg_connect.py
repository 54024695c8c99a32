"""Postgres connection options: libpq-style URL parameters turned into what asyncpg understands.

Managed Postgres services hand out URLs such as
`postgresql://user:pw@host/db?sslmode=verify-full&sslrootcert=/etc/ssl/rds.pem`. SQLAlchemy passes every
query parameter to asyncpg as a keyword argument, and asyncpg knows none of libpq's names (hence a bare
TypeError). Here they are taken out of the URL and turned into an `ssl` argument with libpq's meaning:

- `sslmode=disable`: no TLS.  `allow` / `prefer` (libpq's default): TLS when the server offers it, unverified.
- `require`: TLS, certificate not checked, unless `sslrootcert` is given (then as `verify-ca`, like libpq).
- `verify-ca`: TLS, the server's certificate must chain to `sslrootcert`.
- `verify-full`: as verify-ca, and the certificate must name the host.
- `sslrootcert=PATH` (CA bundle; `system` for the operating system's CAs, the default when unset and
  `~/.postgresql/root.crt` does not exist), `sslcert=PATH` + `sslkey=PATH` (client certificate),
  `sslpassword` (the key's passphrase), `connect_timeout=SECONDS`, `application_name=NAME`.

asyncpg's own `?ssl=require` keeps working. PgBouncer in transaction pooling needs asyncpg's statement
caches off and unique prepared-statement names: `pgbouncer_args()`.
"""
from __future__ import annotations

import ssl
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
LIBPQ_SSL = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslcrl")
_TAKEN = LIBPQ_SSL + ("connect_timeout", "application_name")


class ConnectOptionError(ValueError):
    """A libpq parameter that cannot work; `str()` names it and says why (never a password)."""


@dataclass
class PgOptions:
    url: URL  # without the libpq parameters
    connect_args: dict = field(default_factory=dict)
    sslmode: str | None = None


def _one(query: dict, name: str) -> str | None:
    v = query.get(name)
    if isinstance(v, tuple):
        v = v[-1]
    return None if v is None or str(v).strip() == "" else str(v).strip()


def _readable(name: str, path: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConnectOptionError(f"{name}: no file at {p}")
    try:
        p.open("rb").close()
    except OSError as e:
        raise ConnectOptionError(f"{name}: cannot read {p} ({e.strerror})") from None
    return p


def ssl_context(mode: str, *, rootcert: str | None, cert: str | None, key: str | None,
                password: str | None = None, crl: str | None = None) -> ssl.SSLContext:
    """The TLS context libpq would use for `mode` (one of require, verify-ca, verify-full)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    verify = mode in ("verify-ca", "verify-full")
    if verify:
        if rootcert and rootcert != "system":
            try:
                ctx.load_verify_locations(cafile=str(_readable("sslrootcert", rootcert)))
            except ssl.SSLError as e:
                raise ConnectOptionError(f"sslrootcert: not a PEM certificate bundle ({e.reason or e})") from None
        else:
            ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
        ctx.check_hostname = mode == "verify-full"
        ctx.verify_mode = ssl.CERT_REQUIRED
        if crl:
            ctx.load_verify_locations(cafile=str(_readable("sslcrl", crl)))
            ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert or key:
        if not cert:
            raise ConnectOptionError("sslkey is set but sslcert is not: give both for a client certificate")
        certfile = _readable("sslcert", cert)
        keyfile = _readable("sslkey", key) if key else None
        try:
            ctx.load_cert_chain(str(certfile), str(keyfile) if keyfile else None, password=password)
        except ssl.SSLError as e:
            raise ConnectOptionError(f"sslcert/sslkey: the certificate and key cannot be used together "
                                     f"({e.reason or e})") from None
    return ctx


def pg_options(url: URL) -> PgOptions:
    """Split libpq parameters off `url` (a postgresql+asyncpg URL) into asyncpg connect arguments."""
    query = dict(url.query)
    args: dict = {}
    mode = _one(query, "sslmode")
    if mode is not None:
        mode = mode.lower()
        if mode not in SSL_MODES:
            raise ConnectOptionError(f"sslmode: must be one of {', '.join(SSL_MODES)} (got {mode!r})")
    rootcert = _one(query, "sslrootcert")
    cert, key = _one(query, "sslcert"), _one(query, "sslkey")
    if mode is None and any(_one(query, n) for n in LIBPQ_SSL):
        mode = "prefer"
    if mode == "require" and rootcert:  # libpq: a root certificate given with require means verify-ca
        mode = "verify-ca"
    if mode in ("verify-ca", "verify-full") and not rootcert:
        default = Path("~/.postgresql/root.crt").expanduser()
        rootcert = str(default) if default.is_file() else "system"
    if mode == "disable":
        args["ssl"] = False
    elif mode in ("allow", "prefer"):
        if cert:
            args["ssl"] = ssl_context("require", rootcert=None, cert=cert, key=key,
                                      password=_one(query, "sslpassword"))
            # asyncpg treats a context as "TLS required"; a client certificate only makes sense with TLS.
        else:
            args["ssl"] = mode
    elif mode is not None:
        args["ssl"] = ssl_context(mode, rootcert=rootcert, cert=cert, key=key,
                                  password=_one(query, "sslpassword"), crl=_one(query, "sslcrl"))
    timeout = _one(query, "connect_timeout")
    if timeout is not None:
        try:
            seconds = float(timeout)
        except ValueError:
            raise ConnectOptionError("connect_timeout: must be a number of seconds") from None
        if seconds > 0:
            args["timeout"] = seconds
    name = _one(query, "application_name")
    if name:
        args["server_settings"] = {"application_name": name}
    rest = {k: v for k, v in query.items() if k not in _TAKEN}
    return PgOptions(url=url.set(query=rest), connect_args=args, sslmode=mode)


def pgbouncer_args() -> dict:
    """asyncpg arguments for PgBouncer in transaction (or statement) pooling: no prepared-statement cache,
    and every statement prepared under a name of its own so two clients never collide on one server
    connection."""
    return {"statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__aiom_{uuid.uuid4().hex}__"}
