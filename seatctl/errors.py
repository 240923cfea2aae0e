"""seatctl's exception tree. Every expected failure is one of these.

Foreign exceptions (httpx, httpcore, ssl, socket, pydantic) are translated into this tree at
one boundary each (`seatctl.http._translate`, `seatctl.config`), so commands and the CLI's
error handler only ever see these classes:

* SeatctlError
  + UsageError                      - exit 2
    - ConfigError                   - a setting is invalid; names the key and its source
  + NetworkError                    - exit 6, after retries
    - DNSError
    - ConnectionRefused
    - TLSError
      · CertificateUntrusted
    - ConnectionCut                 - carries `when` and `reused`
      · ConnectionReset             - a TCP reset: the client-side ECONNRESET
      · ConnectionClosed            - clean close (FIN) before a complete response
    - PhaseTimeout                  - carries `phase`
      · ConnectTimeout, ReadTimeout, WriteTimeout, PoolTimeout
    - DeadlineExceeded              - the command's overall --timeout ran out
  + HTTPStatusError                 - an answer with a failing status code
    - AuthError                     - 401/403, exit 5
    - NotFound                      - 404, exit 8
    - RequestRejected               - 400/409/422 and other 4xx, exit 3
    - RateLimited                   - 429, carries `retry_after`, exit 7
    - ServerError                   - 5xx, exit 7
      · ProxyErrorPage              - a 502/503/504 HTML page from a proxy, not the API
  + ResponseError                   - the answer is not what the contract says, exit 7
    - Redirected                    - a 3xx: seatctl does not follow redirects
    - NonJSONBody, TruncatedJSON, ProtocolViolation, ErrorEnvelope, UnexpectedShape
  + BookingFailed                   - exit 3
  + StillPending                    - exit 4
  + StatusUnreadable                - a watch could not read the status: exit 7 or 6
  + Reported                        - already shown (in a JSON document); its own exit code
  + Interrupted                     - Ctrl-C, exit 130
  + Declined                        - "no" at a confirmation prompt, exit 1
  + UnexpectedError                 - a bug: any other exception, exit 1
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from seatctl.exit_codes import ExitCode


class SeatctlError(Exception):
    """Base of every expected failure: a one-line message plus an optional hint."""

    exit_code: ExitCode = ExitCode.FAILURE
    attempts: int = 1  # set by the HTTP core when it gives up after retries

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}; {self.hint}"

    def as_dict(self) -> dict[str, object]:
        """The error as `--json` shows it, under "error"."""
        return {"type": type(self).__name__, "message": self.message, "hint": self.hint,
                "exit_code": int(self.exit_code), "attempts": self.attempts}


class UsageError(SeatctlError):
    """The command line or an argument is wrong."""

    exit_code = ExitCode.USAGE

    def as_dict(self) -> dict[str, object]:
        """No `attempts`: a usage error sends nothing."""
        document = super().as_dict()
        del document["attempts"]
        return document


class ConfigError(UsageError):
    """A setting is invalid; the message names the key and where its value came from."""

    def __init__(
        self, message: str, *, key: str | None = None, source: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.key = key
        self.source = source


# --- network --------------------------------------------------------------------------


class NetworkError(SeatctlError):
    """The request did not get an answer: nothing on the wire came back usable."""

    exit_code = ExitCode.NETWORK
    retryable = True


class DNSError(NetworkError):
    """The host name did not resolve."""

    retryable = False


class ConnectionRefused(NetworkError):
    """Nothing listens on the port (or a firewall answered with RST on connect)."""


class TLSError(NetworkError):
    """The TLS handshake failed."""

    retryable = False


class CertificateUntrusted(TLSError):
    """The server's certificate does not chain to a trusted CA, or names another host."""


class ResetWhen(StrEnum):
    BEFORE_RESPONSE = "before-response"
    MID_RESPONSE = "mid-response"


class ConnectionCut(NetworkError):
    """The connection ended before a complete response."""

    def __init__(
        self, message: str, *, when: ResetWhen, reused: bool | None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.when = when
        self.reused = reused  # True: a pooled keep-alive connection; None: unknown


class ConnectionReset(ConnectionCut):
    """The peer reset the connection (TCP RST): the client-side ECONNRESET."""


class ConnectionClosed(ConnectionCut):
    """The peer closed the connection cleanly (FIN) before a complete response."""


class Phase(StrEnum):
    CONNECT = "connect"
    READ = "read"
    WRITE = "write"
    POOL = "pool"


class PhaseTimeout(NetworkError):
    """A per-phase timeout expired."""

    phase: Phase

    def __init__(self, message: str, *, seconds: float | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.seconds = seconds


class ConnectTimeout(PhaseTimeout):
    """No TCP/TLS connection within the connect timeout."""

    phase = Phase.CONNECT


class ReadTimeout(PhaseTimeout):
    """No bytes of the response within the read timeout."""

    phase = Phase.READ


class WriteTimeout(PhaseTimeout):
    """The request could not be sent within the write timeout."""

    phase = Phase.WRITE


class PoolTimeout(PhaseTimeout):
    """No pooled connection became free within the pool timeout."""

    phase = Phase.POOL
    retryable = False


class DeadlineExceeded(NetworkError):
    """The command's overall deadline (--timeout) ran out."""

    retryable = False


# --- HTTP status ----------------------------------------------------------------------


class HTTPStatusError(SeatctlError):
    """The server answered with a failing status code."""

    exit_code = ExitCode.SERVER
    retryable = False

    def __init__(
        self, message: str, *, status_code: int, server_message: str | None = None,
        request_id: str | None = None, retry_after: float | None = None,
        hint: str | None = None, server_data: Any = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code
        self.server_message = server_message
        self.server_data = server_data  # the error body's JSON `data` (or the body), if any
        self.request_id = request_id
        self.retry_after = retry_after  # the server's Retry-After, in seconds


class AuthError(HTTPStatusError):
    """401 or 403: the token is missing, expired, invalid, or lacks permission."""

    exit_code = ExitCode.AUTH


class NotFound(HTTPStatusError):
    """404."""

    exit_code = ExitCode.NOT_FOUND


class RequestRejected(HTTPStatusError):
    """400, 409, 422 or another 4xx: the server refused what was asked."""

    exit_code = ExitCode.REJECTED


class RateLimited(HTTPStatusError):
    """429: too many requests; `retry_after` is the server's wait hint in seconds."""

    exit_code = ExitCode.SERVER
    retryable = True


class ServerError(HTTPStatusError):
    """5xx from the application; 502, 503 and 504 are worth retrying."""

    def __init__(self, message: str, *, status_code: int, **details: Any) -> None:
        super().__init__(message, status_code=status_code, **details)
        self.retryable = status_code in (502, 503, 504)


class ProxyErrorPage(ServerError):
    """A 502/503/504 answered by a proxy or platform with an HTML page, not the API's JSON."""


# --- bodies ---------------------------------------------------------------------------


class ResponseError(SeatctlError):
    """The response body is not what the contract promises."""

    exit_code = ExitCode.SERVER
    retryable = False


class NonJSONBody(ResponseError):
    """The body is not JSON (an HTML error page, plain text, or empty)."""


class TruncatedJSON(ResponseError):
    """The body starts as JSON but is cut short or malformed."""


class Redirected(ResponseError):
    """A 3xx answer: seatctl never follows redirects (a token must not travel elsewhere)."""


class ProtocolViolation(ResponseError):
    """The server broke HTTP itself (malformed status line or headers, undecodable body)."""


class ErrorEnvelope(ResponseError):
    """A successful status code whose envelope says `status: "error"`."""


class UnexpectedShape(ResponseError):
    """Valid JSON whose fields do not match the contract."""


# --- workflow outcomes ----------------------------------------------------------------


class BookingFailed(SeatctlError):
    """The booking was rejected or its job failed."""

    exit_code = ExitCode.REJECTED


class StillPending(SeatctlError):
    """The job was still pending when the wait ended."""

    exit_code = ExitCode.PENDING


class StatusUnreadable(SeatctlError):
    """A watch ended because the job's status could not be read: rate limited (exit 7) or
    the network (the failure's own exit code, 6 for the network)."""

    def __init__(self, message: str, *, exit_code: ExitCode, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = exit_code


class Reported(SeatctlError):
    """A failure already shown in full (inside a `--json` document): exit without a word."""

    def __init__(self, exit_code: ExitCode) -> None:
        super().__init__("")
        self.exit_code = exit_code


class Interrupted(SeatctlError):
    """Ctrl-C."""

    exit_code = ExitCode.INTERRUPTED


class Declined(SeatctlError):
    """The user answered no at a confirmation prompt: nothing was sent."""

    exit_code = ExitCode.FAILURE


class UnexpectedError(SeatctlError):
    """Any exception that is not a SeatctlError: a bug, reported without a traceback."""

    exit_code = ExitCode.FAILURE


# The HTTP core's hints for a server it cannot reach name --base-url; doctor and smoke take
# the URL as an argument.
UNREACHABLE_HINT = "check the URL (host, port, http or https) and that the server listens"


def hint_at_the_url(*errors: SeatctlError) -> None:
    """`errors` (a failure and its cause) say to check the URL given as an argument, in
    place of the hint they were raised with."""
    for error in errors:
        error.hint = UNREACHABLE_HINT


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, SeatctlError) and bool(getattr(exc, "retryable", False))
