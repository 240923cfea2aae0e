"""The reference server's settings: connection timeouts that mirror Node's http.Server,
faults, the queue, the database. Plain data, validated at construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from seatctl import __version__
from seatctl.errors import UsageError

REFERENCE_SERVER_HEADER = f"seatctl-reference/{__version__}"


@dataclass(frozen=True)
class ConnectionTimeouts:
    """Seconds; each mirrors a Node `http.Server` property (see `PRESETS`).

    `keep_alive_timeout` is when the server really closes an idle connection (a FIN);
    `advertised_keep_alive` is what its `Keep-Alive: timeout=N` header promises. Node 20 keeps
    idle sockets one second longer than it advertises (a hard-coded buffer, configurable as
    `keepAliveTimeoutBuffer` since 24.6): measured on this machine's Node 20.20, an idle
    socket closes 6.0 s after a response that said `Keep-Alive: timeout=5`.

    `socket_timeout` is Node's `server.timeout` (`server.setTimeout`): while a request is
    received or answered, a connection without I/O for that long is closed without a response
    (0: none, Node's default since v13; between requests the keep-alive timeout applies).
    """

    keep_alive_timeout: float = 6.0
    advertised_keep_alive: float | None = 5.0  # None: the header is not sent
    headers_timeout: float = 60.0
    request_timeout: float = 300.0
    max_requests_per_connection: int = 0  # 0: no limit (Node's maxRequestsPerSocket default)
    socket_timeout: float = 0.0  # 0: none (Node's server.timeout default since v13)

    def __post_init__(self) -> None:
        for name in ("keep_alive_timeout", "headers_timeout", "request_timeout",
                     "socket_timeout"):
            if getattr(self, name) < 0:
                raise UsageError(f"{name.replace('_', '-')} must be 0 or more seconds")
        if self.max_requests_per_connection < 0:
            raise UsageError("max-requests-per-connection must be 0 or more")


class Dialect(StrEnum):
    """The contract the server speaks: the reference one (the seed's plus seatctl's optional
    extensions, draft-6 `RateLimit-*` headers) or exactly the seed backend's."""

    REFERENCE = "reference"
    SEED = "seed"


class Preset(StrEnum):
    NODE_DEFAULT = "node-default"
    SEED_FIX = "seed-fix"


PRESETS: dict[Preset, ConnectionTimeouts] = {
    # Node 20: keepAliveTimeout 5000 (+1000 ms buffer before the socket really closes),
    # headersTimeout 60000, requestTimeout 300000, maxRequestsPerSocket 0, timeout 0.
    Preset.NODE_DEFAULT: ConnectionTimeouts(),
    # The seed's fix: server.timeout = 60000, keepAliveTimeout = 65000, headersTimeout = 66000;
    # requestTimeout left at Node 20's 300000. The buffer still applies: closes at 66 s.
    Preset.SEED_FIX: ConnectionTimeouts(
        keep_alive_timeout=66.0, advertised_keep_alive=65.0, headers_timeout=66.0,
        request_timeout=300.0, socket_timeout=60.0,
    ),
}


def timeouts_for(
    preset: Preset,
    *,
    keep_alive_timeout: float | None = None,
    advertise_keep_alive: float | None = None,
    keep_alive_header: bool = True,
    headers_timeout: float | None = None,
    request_timeout: float | None = None,
    max_requests_per_connection: int | None = None,
    socket_timeout: float | None = None,
) -> ConnectionTimeouts:
    """The preset, with every explicitly given knob overriding it.

    An explicit `keep_alive_timeout` is the real idle close; unless `advertise_keep_alive`
    says otherwise the header then promises exactly that (no hidden buffer).
    """
    base = PRESETS[preset]
    changes: dict[str, float | int | None] = {}
    if keep_alive_timeout is not None:
        changes["keep_alive_timeout"] = keep_alive_timeout
        changes["advertised_keep_alive"] = keep_alive_timeout
    if advertise_keep_alive is not None:
        changes["advertised_keep_alive"] = advertise_keep_alive
    if headers_timeout is not None:
        changes["headers_timeout"] = headers_timeout
    if request_timeout is not None:
        changes["request_timeout"] = request_timeout
    if max_requests_per_connection is not None:
        changes["max_requests_per_connection"] = max_requests_per_connection
    if socket_timeout is not None:
        changes["socket_timeout"] = socket_timeout
    timeouts = replace(base, **changes)  # type: ignore[arg-type]
    if not keep_alive_header:
        timeouts = replace(timeouts, advertised_keep_alive=None)
    return timeouts


class ShutdownMode(StrEnum):
    """What SIGTERM (or Ctrl-C) does to open connections.

    graceful: stop accepting; answer in-flight requests with `Connection: close`; keep idle
    keep-alive connections open for the drain period (a request arriving on one is answered
    with `Connection: close`), then close them with a FIN. abrupt: reset every open
    connection at once (SO_LINGER 0, then close: a TCP RST), in-flight requests included, as
    a Node server calling `server.closeAllConnections()` on SIGTERM does.
    """

    GRACEFUL = "graceful"
    ABRUPT = "abrupt"


DEFAULT_DRAIN = 0.5  # seconds; short enough that a plain Ctrl-C stays quick
MAX_DRAIN = 60.0
MAX_READY_DELAY = 3600.0


class FaultKind(StrEnum):
    RESET_BEFORE_RESPONSE = "reset-before-response"
    RESET_ON_ACCEPT = "reset-on-accept"
    CLOSE_WITHOUT_RESPONSE = "close-without-response"
    STALL = "stall"
    PROXY_502 = "proxy-502"


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    probability: float
    seconds: float = 0.0  # the stall's length


_FAULT = re.compile(r"^(?P<kind>[a-z0-9-]+)=(?P<p>[0-9.]+)(?::(?P<seconds>[0-9.]+))?$")


def parse_fault(text: str) -> Fault:
    """`reset-before-response=0.5`, `stall=0.2:3` (probability 0.2, 3 s)."""
    match = _FAULT.match(text.strip())
    if match is None:
        raise UsageError(f"invalid --fault {text!r}: expected KIND=P or stall=P:SECONDS")
    try:
        kind = FaultKind(match["kind"])
    except ValueError:
        known = ", ".join(kind.value for kind in FaultKind)
        raise UsageError(f"unknown fault {match['kind']!r}; known: {known}, "
                         "and --fault slow-job=SECONDS") from None
    probability = float(match["p"])
    if not 0.0 <= probability <= 1.0:
        raise UsageError(f"invalid --fault {text!r}: the probability must be within 0..1")
    seconds = float(match["seconds"]) if match["seconds"] else 0.0
    if kind is FaultKind.STALL and not match["seconds"]:
        raise UsageError(f"invalid --fault {text!r}: stall needs P:SECONDS, e.g. stall=0.5:3")
    return Fault(kind, probability, seconds)


@dataclass(frozen=True)
class RateLimit:
    limit: int
    window: float  # seconds

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """`100/15m`, `1000/900`, `5/1s`: N requests per WINDOW (s, m or h; seconds if bare)."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
        if match is None or int(match[1]) < 1 or float(match[2]) <= 0:
            raise UsageError(f"invalid --rate-limit {text!r}: expected N/WINDOW, e.g. 100/15m")
        unit = {"": 1, "s": 1, "m": 60, "h": 3600}[match[3]]
        return cls(int(match[1]), float(match[2]) * unit)


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    db: str = ":memory:"  # a path, or ":memory:"
    timeouts: ConnectionTimeouts = field(default_factory=ConnectionTimeouts)
    faults: tuple[Fault, ...] = ()
    fault_path: str = "/"  # faults apply to paths under this prefix
    slow_job: float = 0.0  # extra seconds for every job (the slow-job fault)
    seed: int | None = None
    rate_limit: RateLimit | None = None
    workers: int = 2
    process_delay: float = 0.5
    demo_email: str = "demo@example.com"
    demo_password: str = "demo12345"
    quiet: bool = False
    log_json: bool = False
    ready_file: Path | None = None
    environment: str = "development"
    max_body_bytes: int = 1024 * 1024
    degraded: frozenset[str] = frozenset()  # dependencies /api/health reports as down
    dialect: Dialect = Dialect.REFERENCE
    # The Server header: seatctl's own by default; another server's name to imitate it
    # (the doctor's identification), or None for none at all.
    server_header: str | None = REFERENCE_SERVER_HEADER
    shutdown: ShutdownMode = ShutdownMode.GRACEFUL
    # graceful shutdown: how long idle keep-alive connections stay open after SIGTERM.
    drain: float = DEFAULT_DRAIN
    # seconds after listening during which every request is answered 503 "Service not ready".
    ready_delay: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise UsageError(f"invalid --port {self.port}: must be within 0..65535")
        if self.workers < 1:
            raise UsageError("--workers must be at least 1")
        if self.process_delay < 0 or self.slow_job < 0:
            raise UsageError("--process-delay and slow-job must be 0 or more seconds")
        if not self.fault_path.startswith("/"):
            raise UsageError(f"invalid --fault-path {self.fault_path!r}: must start with /")
        if not 0 <= self.drain <= MAX_DRAIN:
            raise UsageError(f"invalid --drain {self.drain:g}: must be within 0..{MAX_DRAIN:g}")
        if not 0 <= self.ready_delay <= MAX_READY_DELAY:
            raise UsageError(f"invalid --ready-delay {self.ready_delay:g}: must be within "
                             f"0..{MAX_READY_DELAY:g}")
