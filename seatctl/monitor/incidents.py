"""Recorded outcomes in, classified incidents out. Pure: no I/O, no clock.

A `Classifier` sees every sample's `Outcome` in order and returns the incidents it shows:

* a cut (reset or close) on a reused connection before any response: the keep-alive race
  when the connection had been idle near the server's idle close, else the server dropping
  connections it held (a drain that closes instead of finishing);
* a held connection the server closed or reset while it was idle, noticed when it
  happened: its normal idle close when near the idle close, else dropped;
* a cut on a fresh connection, or in the middle of a response: a process going away;
* refused: nothing listens, a deploy gap; one incident when it opens, one when a success
  closes it, with its length;
* TLS failures, timeouts (per phase), 502/503/504 with who sent them, other error statuses,
  slow answers, and a server that answers with an identity not seen before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from seatctl.diagnostics.failures import FailureKind
from seatctl.diagnostics.identify import ErrorPage, Evidence, infer
from seatctl.diagnostics.results import Headers, header_value

RACE_WINDOW = 0.75  # a reused connection idle for at least this share of the idle close
GATEWAY_STATUSES = (502, 503, 504)
BODY_SHOWN = 80  # characters of an error page quoted in an incident
HTML_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Failure:
    """A sample that got no response: what the connection layer said, classified."""

    kind: FailureKind
    message: str
    phase: str | None = None  # a timeout's phase: connect, read, write
    mid_response: bool = False  # a cut after the response had begun
    while_idle: bool = False  # a held connection closed while idle: no request was sent


@dataclass(frozen=True)
class Outcome:
    """One sample: when, on what connection, and its response or failure."""

    at: float  # seconds since the run started (monotonic) when the outcome was known
    wall: str  # ISO 8601 UTC, the same moment
    method: str
    path: str
    reused: bool  # the connection had answered before
    connection_age: float  # seconds since the connection was opened (0: not opened)
    idle: float  # seconds the connection was idle before this request (0: fresh)
    seconds: float | None = None  # request sent to response complete
    status: int | None = None
    headers: Headers = ()
    error_body: bytes = b""
    failure: Failure | None = None
    sent_at: float | None = None  # seconds since the start when the request was begun

    @property
    def ok(self) -> bool:
        return self.failure is None and self.status is not None and self.status < 400

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)


class IncidentClass(StrEnum):
    KEEP_ALIVE_RACE = "keep-alive-race"
    DROPPED = "dropped"  # a reused connection cut well before the idle close
    CUT = "cut"  # a fresh connection cut, or a response cut short
    REFUSED = "refused"  # a deploy gap opened
    GAP_ENDED = "gap-ended"
    TLS = "tls"
    TIMEOUT = "timeout"
    DNS = "dns"
    GATEWAY = "gateway"  # 502, 503, 504
    ERROR_STATUS = "error-status"  # any other status >= 400
    SLOW = "slow"
    SERVER_CHANGED = "server-changed"
    OTHER = "other"

    @property
    def counts_as_error(self) -> bool:
        """Slow answers and a new server identity are noted, not failures; a gap counts
        once, when it opens."""
        return self not in (IncidentClass.SLOW, IncidentClass.SERVER_CHANGED,
                            IncidentClass.GAP_ENDED)


@dataclass(frozen=True)
class Incident:
    kind: IncidentClass
    detail: str
    at: float
    wall: str
    method: str
    path: str
    connection_age: float
    idle: float
    reused: bool
    status: int | None = None
    seconds: float | None = None  # the request's time, when it got an answer
    gap_s: float | None = None  # a gap's length, on GAP_ENDED
    sender: str | None = None  # who wrote a gateway error
    sent_at: float | None = None  # when the request was begun (None: no request)

    def as_dict(self) -> dict[str, Any]:
        return {"type": "incident", "class": self.kind.value, "detail": self.detail,
                "at_s": round(self.at, 3), "time": self.wall,
                "sent_at_s": None if self.sent_at is None else round(self.sent_at, 3),
                "method": self.method or None,
                "path": self.path, "reused": self.reused,
                "connection_age_s": round(self.connection_age, 3),
                "idle_s": round(self.idle, 3), "status": self.status,
                "seconds": None if self.seconds is None else round(self.seconds, 4),
                "gap_s": None if self.gap_s is None else round(self.gap_s, 3),
                "sender": self.sender}


@dataclass
class Classifier:
    """Stateful over a run (the open gap, the identities seen), pure otherwise."""

    slow: float = 1.0
    idle_close: float = 5.0  # the idle close the race window is judged against
    instance_header: str | None = None
    gap_started: float | None = None
    gap_refused: int = 0
    identities: list[tuple[str, ...]] = field(default_factory=list)

    def classify(self, outcome: Outcome) -> list[Incident]:
        found: list[Incident] = []
        # Only a new connection ends a gap: during a graceful drain the old process still
        # answers on connections it holds while nothing accepts new ones.
        if self.gap_started is not None and outcome.failure is None and not outcome.reused:
            found.append(self._gap_ended(outcome))
        if outcome.failure is not None:
            found += self._failure(outcome, outcome.failure)
        elif outcome.status is not None:
            found += self._answer(outcome)
        return found

    def _gap_ended(self, outcome: Outcome) -> Incident:
        assert self.gap_started is not None
        length = outcome.at - self.gap_started
        detail = (f"answered again after a gap of {length:.2f} s ({self.gap_refused} "
                  f"request{'s' * (self.gap_refused != 1)} refused)")
        self.gap_started, self.gap_refused = None, 0
        return _incident(IncidentClass.GAP_ENDED, detail, outcome, gap_s=length)

    def _failure(self, outcome: Outcome, failure: Failure) -> list[Incident]:
        if failure.while_idle:
            return self._idle_death(outcome, failure)
        if failure.kind is FailureKind.REFUSED:
            self.gap_refused += 1
            if self.gap_started is not None:
                return []
            self.gap_started = outcome.at
            return [_incident(IncidentClass.REFUSED,
                              f"connection refused, nothing listening: a gap began "
                              f"({failure.message})", outcome)]
        kind, detail = self._failure_words(outcome, failure)
        return [_incident(kind, detail, outcome)]

    def _failure_words(self, outcome: Outcome, failure: Failure) -> tuple[IncidentClass, str]:
        if failure.kind in (FailureKind.RESET, FailureKind.CLOSED):
            return self._cut(outcome, failure)
        if failure.kind is FailureKind.TIMEOUT:
            return IncidentClass.TIMEOUT, f"{failure.phase or 'a'} timeout: {failure.message}"
        simple = {FailureKind.TLS: IncidentClass.TLS, FailureKind.DNS: IncidentClass.DNS}
        return simple.get(failure.kind, IncidentClass.OTHER), failure.message

    def _cut(self, outcome: Outcome, failure: Failure) -> tuple[IncidentClass, str]:
        how = "reset" if failure.kind is FailureKind.RESET else "closed (FIN)"
        if failure.mid_response:
            return IncidentClass.CUT, f"{how} in the middle of the response"
        if not outcome.reused:
            return IncidentClass.CUT, (f"{how} on a fresh connection before any response: "
                                       "a process going away")
        if outcome.idle >= RACE_WINDOW * self.idle_close:
            return IncidentClass.KEEP_ALIVE_RACE, (
                f"{how} on a reused connection after {outcome.idle:.2f} s idle (the idle "
                f"close is about {self.idle_close:g} s): the keep-alive race")
        return IncidentClass.DROPPED, (
            f"{how} on a reused connection after only {outcome.idle:.2f} s idle: the server "
            "dropped a connection it held")

    def _idle_death(self, outcome: Outcome, failure: Failure) -> list[Incident]:
        """Near the idle close it is the server's normal idle close; well before, the server
        dropped a connection it held (an abrupt restart, a drain that closes)."""
        if outcome.idle >= RACE_WINDOW * self.idle_close:
            return []
        how = "reset" if failure.kind is FailureKind.RESET else "closed"
        return [_incident(IncidentClass.DROPPED, (
            f"a held connection was {how} by the server after {outcome.idle:.2f} s idle, "
            f"long before its idle close (about {self.idle_close:g} s)"), outcome)]

    def _answer(self, outcome: Outcome) -> list[Incident]:
        status = outcome.status
        assert status is not None
        if status in GATEWAY_STATUSES:
            sender = sender_of(outcome)
            return [_incident(IncidentClass.GATEWAY, f"{status} from {sender}", outcome,
                              sender=sender)]
        if status >= 400:
            return [_incident(IncidentClass.ERROR_STATUS, f"status {status}"
                              f"{_quoted_body(outcome)}", outcome)]
        found = self._identity(outcome)
        if outcome.seconds is not None and outcome.seconds > self.slow:
            found.append(_incident(IncidentClass.SLOW, f"answered in {outcome.seconds:.2f} s "
                                   f"(over --slow {self.slow:g} s)", outcome))
        return found

    def _identity(self, outcome: Outcome) -> list[Incident]:
        names = ["server", "x-powered-by"] + ([self.instance_header.lower()]
                                              if self.instance_header else [])
        identity = tuple(outcome.header(name) or "" for name in names)
        if identity in self.identities:
            return []
        self.identities.append(identity)
        if len(self.identities) == 1:
            return []
        was = self.identities[-2]
        changes = [f"{name}: {old or '(none)'} -> {new or '(none)'}"
                   for name, old, new in zip(names, was, identity, strict=True) if old != new]
        return [_incident(IncidentClass.SERVER_CHANGED,
                          "a new server answers: " + "; ".join(changes), outcome)]


def sender_of(outcome: Outcome) -> str:
    """Who wrote an error answer: a proxy its page or headers name, the application (a
    JSON body), else what its Server header says."""
    body = outcome.error_body.decode("latin-1", errors="replace")
    page = ErrorPage(outcome.status or 0, body, outcome.headers)
    inference = infer(Evidence(headers=outcome.headers, status=outcome.status,
                               error_pages=(page,)))
    if inference.front_door is not None:
        return f"the proxy: {inference.front_door.name}"
    server = outcome.header("server")
    if body.lstrip().startswith("{"):
        return "the application (a JSON body" + (f", Server: {server})" if server else ")")
    if "proxy" in body.lower() or "gateway" in body.lower():
        return (f"a proxy (an HTML error page{_server_words(server)}"
                f"{_quoted_body(outcome)})")
    return f"an unknown sender{_server_words(server)}{_quoted_body(outcome)}"


def _server_words(server: str | None) -> str:
    return f", Server: {server}" if server else ", no Server header"


def _quoted_body(outcome: Outcome) -> str:
    """The start of an error page's text, its HTML tags left out."""
    page = outcome.error_body.decode("latin-1", errors="replace")
    text = " ".join(HTML_TAG.sub(" ", page).split())
    if not text:
        return ""
    return f": {text[:BODY_SHOWN]!r}" + ("..." if len(text) > BODY_SHOWN else "")


def _incident(kind: IncidentClass, detail: str, outcome: Outcome, *,
              gap_s: float | None = None, sender: str | None = None) -> Incident:
    return Incident(kind=kind, detail=detail, at=outcome.at, wall=outcome.wall,
                    method=outcome.method, path=outcome.path,
                    connection_age=outcome.connection_age, idle=outcome.idle,
                    reused=outcome.reused, status=outcome.status, seconds=outcome.seconds,
                    gap_s=gap_s, sender=sender,
                    sent_at=None if outcome.failure is not None and outcome.failure.while_idle
                    else outcome.sent_at)
