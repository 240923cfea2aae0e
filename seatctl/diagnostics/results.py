"""What the doctor's probes measure, as frozen plain data: the results the rules
(`findings`), the inference (`identify`) and the report read, and the pure derivations that
build them (percentiles, the Keep-Alive header parsed, where a reuse race starts to fail).
No I/O: the probes (`probes`, `burst`, `slow_client`, `h2probe`) and the connections
(`connection`, `h2connection`) fill them in.

Times are the event loop's monotonic clock, in seconds.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from seatctl.diagnostics.failures import Failure, TryFailure, try_failure
from seatctl.errors import ConnectionCut, ConnectionRefused

Headers = tuple[tuple[str, str], ...]
# Scheduling jitter of the two event loops (ours, and the server's timer): a promise this
# much longer than the measured close is not yet a broken one.
ADVERTISED_SLACK = 0.05


# --- a connection and its responses -------------------------------------------------------


def header_value(headers: Headers, name: str) -> str | None:
    """All values of the header `name` (names lower-cased), joined with ", "; None when
    absent."""
    values = [value for key, value in headers if key == name.lower()]
    return ", ".join(values) if values else None


@dataclass(frozen=True)
class ConnectTiming:
    """Seconds per phase of opening the connection; `tls_s` is None for plain http."""

    dns_s: float
    connect_s: float
    tls_s: float | None
    address: str  # the IP address connected to


@dataclass(frozen=True)
class TLSInfo:
    version: str | None  # e.g. "TLSv1.3"
    alpn: str | None  # the negotiated protocol; None: the server did not take part in ALPN
    cipher: str | None
    cert_days_left: float | None  # None: not verified, so the certificate was not inspected


class MeasuredResponse:
    """What an HTTP/1.1 and an HTTP/2 response both have: headers (names lower-cased, in the
    order received) and the moments its request was sent and its first byte arrived."""

    headers: Headers
    sent_at: float
    first_byte_at: float

    @property
    def ttfb_s(self) -> float:
        """From the request sent to the first byte of the response: the server's time."""
        return self.first_byte_at - self.sent_at

    def header(self, name: str) -> str | None:
        """All values of the header `name`, joined with ", "; None when absent."""
        return header_value(self.headers, name)


@dataclass(frozen=True)
class RawResponse(MeasuredResponse):
    status: int
    http_version: str
    headers: Headers  # names lower-cased, in the order received
    body_bytes: int
    sent_at: float  # the request was handed to the kernel
    first_byte_at: float
    ended_at: float  # the response was complete
    keeps_alive: bool  # by HTTP's rules, the connection may carry another request
    # The start of an error response's body (status >= 400; at most ERROR_BODY_KEPT bytes):
    # proxies' and servers' own error pages name them (identify.py). Success bodies are
    # only counted.
    error_body: bytes = b""


class CloseKind(StrEnum):
    FIN = "fin"
    RESET = "reset"


@dataclass(frozen=True)
class IdleClose:
    """How an idle connection ended, measured from the end of the last response.

    With `lower_bound`, the server had not closed when the wait ended: the connection
    stayed open for at least `seconds`, and `kind` is None.
    """

    seconds: float
    kind: CloseKind | None
    lower_bound: bool


# --- HTTP/2 frames ------------------------------------------------------------------------


@dataclass(frozen=True)
class Http2Settings:
    """The server's first SETTINGS frame, as received: None where the server did not send a
    setting (the protocol's default applies: unlimited streams, 65535, 16384, unlimited,
    push allowed)."""

    max_concurrent_streams: int | None
    initial_window_size: int | None
    max_frame_size: int | None
    max_header_list_size: int | None
    enable_push: bool | None
    header_table_size: int | None
    enable_connect_protocol: bool | None
    received: tuple[tuple[int, int], ...]  # (setting code, value), every setting of the frame
    # What the server lets this client send on the whole connection (RFC 9113 §6.9): 65535
    # plus its WINDOW_UPDATEs on stream 0, when the response ended.
    connection_window: int


@dataclass(frozen=True)
class Goaway:
    error_code: int
    error_name: str  # e.g. "NO_ERROR"; an unknown code as hex
    last_stream_id: int  # streams above it were not processed: safe to retry (RFC 9113 §6.8)
    debug_data: str | None  # additional debug data as text (UTF-8, undecodable bytes replaced)
    received_at: float


@dataclass(frozen=True)
class Http2Response(MeasuredResponse):
    stream_id: int
    status: int
    headers: Headers  # names lower-cased, in the order received, without pseudo-headers
    body_bytes: int
    sent_at: float  # the request was handed to the kernel
    first_byte_at: float  # its response's HEADERS frame arrived
    ended_at: float  # the stream ended (END_STREAM)


# --- tries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedTry:
    """A request that got no complete response; the probe tried again on a fresh
    connection, or gave up after its last try."""

    number: int  # 1 for the request's first try
    at_s: float  # when it failed: seconds since the probe (or the request's first try) began
    failure: TryFailure
    message: str


def failed_try(number: int, at_s: float, error: ConnectionCut | ConnectionRefused
               ) -> FailedTry:
    return FailedTry(number=number, at_s=at_s, failure=try_failure(error),
                     message=error.message)


@dataclass
class RequestTally:
    """The requests sent on fresh connections, each try counted, and the tries that failed:
    the evidence that a server cuts requests at random."""

    sent: int = 0
    failed: list[FailedTry] = field(default_factory=list)

    def count(self, failure: FailedTry | None = None) -> None:
        self.sent += 1
        if failure is not None:
            self.failed.append(failure)

    @property
    def cut(self) -> int:
        return len(self.failed)


# --- timing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Percentiles:
    p50: float
    p95: float


def percentiles(values: Sequence[float]) -> Percentiles:
    """p50 and p95, interpolated between the measured values (never beyond them)."""
    if not values:
        raise ValueError("percentiles of no values")
    if len(values) == 1:
        return Percentiles(values[0], values[0])
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return Percentiles(p50=cuts[9], p95=cuts[18])


@dataclass(frozen=True)
class TimingSample:
    """One fresh connection and one request, in seconds per phase (`total_s` from before
    DNS to the end of the response)."""

    dns_s: float
    connect_s: float
    tls_s: float | None
    ttfb_s: float
    total_s: float
    status: int
    address: str


@dataclass(frozen=True)
class TimingResult:
    samples: tuple[TimingSample, ...]
    dns: Percentiles
    connect: Percentiles
    tls: Percentiles | None  # None for plain http
    ttfb: Percentiles
    total: Percentiles
    tls_info: TLSInfo | None  # from the first sample
    failed_tries: tuple[FailedTry, ...] = ()  # of every sample, retried


# --- keep-alive ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeepAliveHint:
    """The `Keep-Alive: timeout=N, max=M` response header, parsed; None where absent."""

    timeout_s: float | None
    max_requests: int | None


def parse_keep_alive(value: str | None) -> KeepAliveHint:
    timeout: float | None = None
    max_requests: int | None = None
    for part in (value or "").split(","):
        name, _, raw = part.partition("=")
        name, raw = name.strip().lower(), raw.strip().strip('"')
        if name == "timeout":
            timeout = _non_negative(raw)
        elif name == "max":
            number = _non_negative(raw)
            max_requests = int(number) if number is not None and number.is_integer() else None
    return KeepAliveHint(timeout, max_requests)


def _non_negative(raw: str) -> float | None:
    try:
        number = float(raw)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


@dataclass(frozen=True)
class KeepAliveResult:
    persistent: bool  # the server keeps the connection after a response
    status: int
    http_version: str
    connection_header: str | None
    keep_alive_header: str | None
    headers: Headers  # of the response, as received (names lower-cased)
    advertised_timeout_s: float | None
    advertised_max_requests: int | None
    idle_close: IdleClose
    max_wait_s: float
    # The header promises longer than the server really keeps the connection: clients that
    # trust the promise reuse connections the server has already closed.
    advertised_exceeds_idle_close: bool
    failed_tries: tuple[FailedTry, ...] = ()  # the request's tries before the one answered


def keep_alive_result(response: RawResponse, idle_close: IdleClose, max_wait: float,
                      failed_tries: tuple[FailedTry, ...] = ()) -> KeepAliveResult:
    hint = parse_keep_alive(response.header("keep-alive"))
    return KeepAliveResult(
        persistent=response.keeps_alive, status=response.status,
        http_version=response.http_version, connection_header=response.header("connection"),
        keep_alive_header=response.header("keep-alive"), headers=response.headers,
        advertised_timeout_s=hint.timeout_s,
        advertised_max_requests=hint.max_requests, idle_close=idle_close, max_wait_s=max_wait,
        advertised_exceeds_idle_close=promises_longer(hint.timeout_s, idle_close),
        failed_tries=failed_tries,
    )


def promises_longer(advertised: float | None, idle_close: IdleClose) -> bool:
    """The advertised Keep-Alive timeout is longer than the idle close measured."""
    if advertised is None or idle_close.lower_bound:
        return False
    return advertised > idle_close.seconds + ADVERTISED_SLACK


# --- requests per connection --------------------------------------------------------------


class ConnectionEnd(StrEnum):
    CLOSE_HEADER = "connection-close"  # a response said `Connection: close`
    FIN = "fin"  # the server closed before answering the next request
    RESET = "reset"
    LIMIT = "limit"  # still open after `limit` requests: `served` is a lower bound
    TIME_LIMIT = "time-limit"  # still open when the time ran out: a lower bound


@dataclass(frozen=True)
class RequestsPerConnectionResult:
    served: int  # responses on the one connection
    ended_by: ConnectionEnd
    limit: int
    advertised_max_requests: int | None  # `Keep-Alive: max=M` of the first response
    failed_tries: tuple[FailedTry, ...] = ()  # the first request's, on fresh connections

    @property
    def lower_bound(self) -> bool:
        return self.ended_by in (ConnectionEnd.LIMIT, ConnectionEnd.TIME_LIMIT)


# --- reuse race ---------------------------------------------------------------------------


class RaceOutcome(StrEnum):
    OK = "ok"
    RESET = "reset"
    CLOSED_BEFORE_RESPONSE = "closed-before-response"
    CLOSED_MID_RESPONSE = "closed-mid-response"
    SERVER_ERROR = "5xx"
    TIMEOUT = "timeout"
    ERROR = "error"  # any other failure; `detail` says which
    NOT_KEPT_ALIVE = "not-kept-alive"  # the first response said `Connection: close`

    @property
    def failed(self) -> bool:
        return self not in (RaceOutcome.OK, RaceOutcome.NOT_KEPT_ALIVE)


@dataclass(frozen=True)
class RaceAttempt:
    offset_s: float  # planned idle = idle_close_s + offset_s
    planned_idle_s: float
    idle_s: float  # measured: from the end of the first response to the second request
    outcome: RaceOutcome
    status: int | None
    # The server's FIN had arrived before the request was sent: a pool that checks its
    # idle sockets (httpcore) would have dropped this one; a plain one sends into it.
    fin_before_send: bool
    detail: str = ""
    failed_tries: tuple[FailedTry, ...] = ()  # the first request's, on fresh connections


@dataclass(frozen=True)
class RaceResult:
    """Where a pooled client that reuses an idle connection starts to fail, and how."""

    idle_close_s: float
    attempts: tuple[RaceAttempt, ...]
    failing_from_s: float | None  # the shortest measured idle that failed; None: none did
    ok_until_s: float | None  # the longest idle shorter than every failure that succeeded
    failures: tuple[RaceOutcome, ...]  # the kinds of failure, shortest idle first

    @property
    def fails(self) -> bool:
        return self.failing_from_s is not None


def race_result(idle_close_s: float, attempts: Sequence[RaceAttempt]) -> RaceResult:
    failed = sorted((a for a in attempts if a.outcome.failed), key=lambda a: a.idle_s)
    failing_from = failed[0].idle_s if failed else None
    succeeded = [a.idle_s for a in attempts if a.outcome is RaceOutcome.OK
                 and (failing_from is None or a.idle_s < failing_from)]
    return RaceResult(
        idle_close_s=idle_close_s, attempts=tuple(attempts), failing_from_s=failing_from,
        ok_until_s=max(succeeded) if succeeded else None,
        failures=tuple(dict.fromkeys(a.outcome for a in failed)),
    )


@dataclass(frozen=True)
class IdleRaceResult:
    keep_alive: KeepAliveResult
    race: RaceResult | None  # None: no close to race with (see `race_skipped`)
    race_skipped: str | None


# --- burst --------------------------------------------------------------------------------


class BurstOutcome(StrEnum):
    OK = "ok"  # a response below 400
    RESET = "reset"
    CLOSED = "closed"  # a FIN before the complete response
    TIMEOUT = "timeout"  # a phase timeout, or in flight when the time limit ran out
    CLIENT_ERROR = "4xx"
    SERVER_ERROR = "5xx"
    ERROR = "error"  # any other failure (refused, TLS, a broken response, ...)
    NOT_SENT = "not-sent"  # the time limit ran out before the request was sent


@dataclass(frozen=True)
class BurstResult:
    connections: int  # C
    requests_per_connection: int  # R
    outcomes: Mapping[BurstOutcome, int]  # every outcome, zero included; sums to C x R
    statuses: Mapping[int, int]  # status code -> count, of the responses received
    latency: Percentiles | None  # request sent to response complete; None: no response
    latency_max_s: float | None
    connections_opened: int  # C, plus the reconnects after a close or a failure
    elapsed_s: float
    first_failure: str | None  # what went wrong first (any outcome but OK), for the report


# --- slow client --------------------------------------------------------------------------


class GiveUpKind(StrEnum):
    STATUS = "status"  # the server answered 408 (Request Timeout)
    FIN = "fin"  # closed without a response
    RESET = "reset"
    STILL_OPEN = "still-open"  # not given up when the wait ended: a lower bound
    # Any other status before the request was complete (a 404 before reading the body, a
    # 431 for the growing head): the server answered, so its timeout is not measurable so.
    ANSWERED = "answered"


@dataclass(frozen=True)
class GiveUp:
    """When and how the server stopped waiting for the rest of a trickled request."""

    seconds: float  # from the connection being established to the server giving up
    kind: GiveUpKind
    status: int | None  # of the response, for STATUS and ANSWERED
    bytes_sent: int  # every byte of the request written, its head included

    @property
    def lower_bound(self) -> bool:
        """The server had not given up after `seconds` (the whole wait)."""
        return self.kind is GiveUpKind.STILL_OPEN


@dataclass(frozen=True)
class SlowClientResult:
    headers: GiveUp  # header bytes trickled, the head never finished
    body: GiveUp  # a complete head with Content-Length, the body trickled, never finished
    interval_s: float  # the trickle interval: a byte every interval_s
    max_wait_s: float


# --- HTTP/2 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Http2IdleClose:
    """How the first connection ended once idle, in seconds from the end of its response.

    `goaway` None and `end` None: nothing within `max_wait`; `end_after_s` is then how long
    it was watched, a lower bound of the idle close.
    """

    goaway: Goaway | None
    goaway_after_s: float | None
    end: CloseKind | None  # the transport's end: FIN or reset
    end_after_s: float
    frames: tuple[str, ...]  # frame types the server sent while idle (at most 20), e.g. GOAWAY

    @property
    def lower_bound(self) -> bool:
        return self.goaway is None and self.end is None

    @property
    def seconds(self) -> float:
        """The idle close: when the server announced it (GOAWAY), else when it closed."""
        return self.goaway_after_s if self.goaway_after_s is not None else self.end_after_s


class PingOutcome(StrEnum):
    KEPT_ALIVE = "kept-alive"  # still open past the first connection's idle close
    NOT_KEPT_ALIVE = "not-kept-alive"  # GOAWAY or closed despite the PINGs


@dataclass(frozen=True)
class PingResult:
    outcome: PingOutcome | None  # None: skipped, `skipped` says why
    skipped: str | None
    failure: Failure | None  # the connection's classified failure, if that is why
    reference_close_s: float | None  # the first connection's idle close it was compared with
    # As asked, else the default's gap before the last PING (see `http2_probe`); None: the
    # default, and no PING was sent.
    interval_s: float | None
    pings_sent: int
    pings_acked: int
    longest_gap_s: float | None  # the longest the connection went without a PING
    ack_rtt_s: float | None  # the median PING round trip
    open_for_s: float | None  # from its response's end to its GOAWAY or end, or the watch's end
    goaway: Goaway | None
    end: CloseKind | None


class GoawayRaceOutcome(StrEnum):
    RESPONSE = "response"  # the server answered the request all the same
    REFUSED_STREAM = "refused-stream"  # RST_STREAM REFUSED_STREAM: not processed, safe to retry
    STREAM_RESET = "stream-reset"  # RST_STREAM with another code
    CONNECTION_RESET = "connection-reset"  # TCP reset
    CONNECTION_CLOSED = "connection-closed"  # FIN, no answer
    NO_ANSWER = "no-answer"  # nothing within the wait, the connection still open
    # The server closed the idle connection without a GOAWAY: a client learns of the close
    # only from the transport, and a request in flight then has no sign it is safe to retry.
    NO_GOAWAY = "no-goaway"
    ERROR = "error"  # another failure: see `failure`


@dataclass(frozen=True)
class GoawayRaceResult:
    """A request sent the moment a GOAWAY arrived on an idle connection (before the client
    takes it in: what a request already on its way meets)."""

    outcome: GoawayRaceOutcome | None  # None: skipped, `skipped` says why
    skipped: str | None
    failure: Failure | None
    goaway: Goaway | None
    goaway_after_s: float | None  # from the end of this connection's response to its GOAWAY
    stream_id: int | None
    sent_after_goaway_s: float | None
    answered_after_s: float | None  # from the request sent to its answer, reset or close
    status: int | None
    reset_code: str | None  # the RST_STREAM's error code name
    # REFUSED_STREAM, or a stream above the GOAWAY's last stream id (RFC 9113 §6.8): the
    # server did not process it. None: it was answered.
    safe_to_retry: bool | None
    end: CloseKind | None  # how the transport ended, if it did within the wait
    end_after_s: float | None  # from the end of this connection's response


@dataclass(frozen=True)
class Http2Result:
    h2c: bool  # HTTP/2 on plain TCP with prior knowledge (no ALPN)
    alpn_offered: tuple[str, ...]  # () for h2c
    alpn_selected: str | None  # None: the server took no part in ALPN (or h2c)
    speaks_h2: bool
    skipped: str | None  # why nothing HTTP/2 was measured (ALPN chose http/1.1, ...)
    tls: TLSInfo | None
    connect: ConnectTiming  # of the first connection
    settings: Http2Settings | None
    response: Http2Response | None
    idle_close: Http2IdleClose | None
    ping: PingResult | None
    goaway_race: GoawayRaceResult | None
    max_wait_s: float
    connections: int
    failed_tries: tuple[FailedTry, ...] = ()  # the first request's, each on a fresh connection
