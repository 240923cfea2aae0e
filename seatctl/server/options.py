"""From `seatctl serve`'s flags to a ServerConfig: parsing and defaults, no I/O."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from seatctl.config.paths import data_dir
from seatctl.errors import UsageError
from seatctl.server.config import (
    DEFAULT_DRAIN,
    REFERENCE_SERVER_HEADER,
    Dialect,
    Fault,
    Preset,
    RateLimit,
    ServerConfig,
    ShutdownMode,
    parse_fault,
    timeouts_for,
)

SLOW_JOB = "slow-job="


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    db: str | None = None
    ready_file: Path | None = None
    preset: str = Preset.NODE_DEFAULT.value
    keep_alive_timeout: float | None = None
    advertise_keep_alive: float | None = None
    keep_alive_header: bool = True
    headers_timeout: float | None = None
    request_timeout: float | None = None
    max_requests_per_connection: int | None = None
    socket_timeout: float | None = None
    faults: tuple[str, ...] = ()
    fault_path: str = "/"
    seed: int | None = None
    rate_limit: str | None = None
    degrade: tuple[str, ...] = ()
    workers: int = 2
    process_delay: float = 0.5
    demo_user: str | None = None
    quiet: bool = False
    log_json: bool = False
    dialect: str = Dialect.REFERENCE.value
    server_header: str | None = None  # None: seatctl's own; "": none
    shutdown: str = ShutdownMode.GRACEFUL.value
    drain: float = DEFAULT_DRAIN
    ready_delay: float = 0.0


def build_config(options: ServeOptions, env: Mapping[str, str] | None = None) -> ServerConfig:
    faults, slow_job = _faults(options.faults)
    email, password = _demo_user(options.demo_user)
    timeouts = timeouts_for(
        Preset(options.preset),
        keep_alive_timeout=options.keep_alive_timeout,
        advertise_keep_alive=options.advertise_keep_alive,
        keep_alive_header=options.keep_alive_header,
        headers_timeout=options.headers_timeout,
        request_timeout=options.request_timeout,
        max_requests_per_connection=options.max_requests_per_connection,
        socket_timeout=options.socket_timeout,
    )
    return ServerConfig(
        host=options.host, port=options.port, db=options.db or str(default_db_path(env)),
        timeouts=timeouts, faults=faults, fault_path=options.fault_path, slow_job=slow_job,
        seed=options.seed,
        rate_limit=RateLimit.parse(options.rate_limit) if options.rate_limit else None,
        workers=options.workers, process_delay=options.process_delay, demo_email=email,
        demo_password=password, quiet=options.quiet, log_json=options.log_json,
        ready_file=options.ready_file, degraded=frozenset(options.degrade),
        dialect=_dialect(options.dialect),
        server_header=_server_header(options.server_header),
        shutdown=_shutdown(options.shutdown), drain=options.drain,
        ready_delay=options.ready_delay,
    )


def _server_header(text: str | None) -> str | None:
    """--server-header: a header value (visible ASCII and spaces), "" for no header."""
    if text is None:
        return REFERENCE_SERVER_HEADER
    if text == "":
        return None
    if not text.isascii() or not text.isprintable() or text != text.strip():
        raise UsageError(f"invalid --server-header {text!r}: printable ASCII, no leading or "
                         "trailing spaces (\"\" for no Server header)")
    return text


def default_db_path(env: Mapping[str, str] | None = None) -> Path:
    return data_dir(env) / "server.db"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _faults(texts: tuple[str, ...]) -> tuple[tuple[Fault, ...], float]:
    faults: list[Fault] = []
    slow_job = 0.0
    for text in texts:
        if text.strip().startswith(SLOW_JOB):
            slow_job = _seconds(text.strip()[len(SLOW_JOB):], f"--fault {text}")
        else:
            faults.append(parse_fault(text))
    return tuple(faults), slow_job


def _seconds(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"invalid {where}: {text!r} is not a number of seconds") from None
    if value < 0:
        raise UsageError(f"invalid {where}: seconds must be 0 or more")
    return value


def _dialect(text: str) -> Dialect:
    try:
        return Dialect(text)
    except ValueError:
        known = ", ".join(dialect.value for dialect in Dialect)
        raise UsageError(f"unknown --dialect {text!r}; known: {known}") from None


def _shutdown(text: str) -> ShutdownMode:
    try:
        return ShutdownMode(text)
    except ValueError:
        known = ", ".join(mode.value for mode in ShutdownMode)
        raise UsageError(f"unknown --shutdown {text!r}; known: {known}") from None


def _demo_user(text: str | None) -> tuple[str, str]:
    if text is None:
        return ServerConfig.demo_email, ServerConfig.demo_password
    email, separator, password = text.partition(":")
    if not separator or "@" not in email or len(password) < 8:
        raise UsageError("invalid --demo-user: expected EMAIL:PASSWORD, the password at "
                         "least 8 characters")
    return email, password
