"""The server and the front door named from how they behave, not only from their headers.

`infer(evidence)` weighs what the doctor recorded: the response headers and their shape, the
advertised `Keep-Alive: timeout` against the measured idle close, how the server answered a
request head that never ended (a 408, or a silent close) and when, the bodies of error pages,
and the HTTP/2 facts (the protocol the edge chose in ALPN, when it sent GOAWAY). Each `Guess`
says what it rests on, with the numbers, how sure it is, and the fix for that stack or
platform. The knowledge is the timeouts fact sheet's (`defaults.COMPONENTS`, with the pages
in `defaults.SOURCE_URLS`). Pure: no I/O, nothing printed.

    evidence = Evidence.from_results(keep_alive=run.keep_alive,
                                     first_response=run.first_response,
                                     slow_client=run.slow_client)
    inference = infer(evidence)
    inference.server      # Guess("node", "Node.js http.Server", LIKELY, (...), "server....")
    inference.front_door  # None: nothing in front of it

How sure: `certain` when the component named itself (a header or an error page only it
writes), `likely` when a measurement matches one component's documented default within
tolerance, `possible` when several components fit or the evidence disagrees. A header wins
over a timing; the timing is then noted in the guess's basis.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from seatctl.diagnostics.defaults import COMPONENTS, Documented, Governs, Role, Status
from seatctl.diagnostics.edge import (
    NODE_BUFFER_S,
    NODE_BUFFER_TOLERANCE_S,
    documented_backend_idle,
    identify,
    outermost_rank,
)
from seatctl.diagnostics.fixes import (
    KEEP_ALIVE_FIXES,
    backend_idle_target,
    front_door_fix,
    keep_alive_fix,
)
from seatctl.diagnostics.results import (
    CloseKind,
    GiveUp,
    GiveUpKind,
    Headers,
    IdleClose,
    KeepAliveResult,
    RawResponse,
    SlowClientResult,
    TLSInfo,
    parse_keep_alive,
)

# A measured close matches a documented default within max(this, the share of it): timers
# are precise, but a busy event loop or a far-away edge adds a little.
MATCH_TOLERANCE_S = 0.5
MATCH_TOLERANCE_SHARE = 0.02
# Node answers an unfinished head with 408 once headersTimeout (60 s) has passed, at the
# next connectionsCheckingInterval tick (every 30 s): between 60 and 90 s.
NODE_HEADERS_TIMEOUT_S = 60.0
NODE_CHECKING_INTERVAL_S = 30.0
MAX_ALTERNATIVES_WITH_FIXES = 3


class Confidence(StrEnum):
    CERTAIN = "certain"  # the component named itself: a header or a page only it writes
    LIKELY = "likely"  # a measurement matching one component's documented default
    POSSIBLE = "possible"  # several components fit, or the evidence disagrees

    @property
    def rank(self) -> int:
        return (Confidence.POSSIBLE, Confidence.LIKELY, Confidence.CERTAIN).index(self)


@dataclass(frozen=True)
class Guess:
    component_key: str  # a key of `defaults.COMPONENTS`
    name: str
    confidence: Confidence
    basis: tuple[str, ...]  # the evidence, in words, with the numbers
    fix: str | None  # the settings to change for that stack or platform
    alternatives: tuple[str, ...] = ()  # keys of other components the same evidence fits

    def as_dict(self) -> dict[str, Any]:
        """For a JSON report: plain strings and lists."""
        return {"component": self.component_key, "name": self.name,
                "confidence": self.confidence.value, "basis": list(self.basis),
                "fix": self.fix, "alternatives": list(self.alternatives)}


@dataclass(frozen=True)
class Inference:
    server: Guess | None  # the application server
    front_door: Guess | None  # the proxy or platform in front of it
    notes: tuple[str, ...] = ()  # what the evidence rules out, when it names nothing

    @property
    def guesses(self) -> tuple[Guess, ...]:
        return tuple(guess for guess in (self.front_door, self.server) if guess is not None)

    def as_dict(self) -> dict[str, Any]:
        return {"front_door": self.front_door.as_dict() if self.front_door else None,
                "server": self.server.as_dict() if self.server else None,
                "notes": list(self.notes)}


# --- the evidence -----------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorPage:
    """A response the server or a proxy wrote itself: its status, the start of its body
    (decoded as latin-1), and its headers (names lower-cased)."""

    status: int
    body: str = ""
    headers: Headers = ()


@dataclass(frozen=True)
class HeaderTimeout:
    """How the server ended a connection whose request head never finished."""

    seconds: float  # from the connection being established to the server giving up
    kind: GiveUpKind
    status: int | None = None
    page: ErrorPage | None = None  # the response's headers and body, when recorded

    @classmethod
    def from_give_up(cls, give_up: GiveUp, page: ErrorPage | None = None) -> HeaderTimeout:
        return cls(give_up.seconds, give_up.kind, give_up.status, page)


@dataclass(frozen=True)
class Http2Facts:
    alpn: str | None  # what the edge chose when offered h2 and http/1.1; None: no ALPN
    idle_close_s: float | None = None  # from the last response to GOAWAY (or the close)
    lower_bound: bool = False  # still open after idle_close_s
    goaway_error: str | None = None  # e.g. "NO_ERROR"; None: closed without a GOAWAY


@dataclass(frozen=True)
class Evidence:
    headers: Headers = ()  # of the response to an ordinary request, names lower-cased
    status: int | None = None
    persistent: bool | None = None  # the server kept the connection after that response
    advertised_keep_alive_s: float | None = None  # its `Keep-Alive: timeout`
    idle_close: IdleClose | None = None
    header_timeout: HeaderTimeout | None = None
    error_pages: tuple[ErrorPage, ...] = ()
    alpn: str | None = None  # the protocol the TLS endpoint chose
    http2: Http2Facts | None = None

    @classmethod
    def from_results(
        cls, *, keep_alive: KeepAliveResult | None = None,
        first_response: RawResponse | None = None, slow_client: SlowClientResult | None = None,
        tls: TLSInfo | None = None, error_pages: Sequence[ErrorPage] = (),
        header_timeout_page: ErrorPage | None = None, http2: Http2Facts | None = None,
    ) -> Evidence:
        """The evidence in a doctor run's results; any of them may be missing (a probe that
        failed, was skipped or was interrupted)."""
        headers, status, persistent, advertised = _response_facts(keep_alive, first_response)
        header_timeout = (HeaderTimeout.from_give_up(slow_client.headers, header_timeout_page)
                          if slow_client is not None else None)
        alpn = (http2.alpn if http2 is not None and http2.alpn else None) or (
            tls.alpn if tls is not None else None)
        return cls(headers=headers, status=status, persistent=persistent,
                   advertised_keep_alive_s=advertised,
                   idle_close=keep_alive.idle_close if keep_alive is not None else None,
                   header_timeout=header_timeout, error_pages=tuple(error_pages), alpn=alpn,
                   http2=http2)


def _response_facts(keep_alive: KeepAliveResult | None, first: RawResponse | None
                    ) -> tuple[Headers, int | None, bool | None, float | None]:
    if keep_alive is not None:
        return (keep_alive.headers, keep_alive.status, keep_alive.persistent,
                keep_alive.advertised_timeout_s)
    if first is not None:
        advertised = parse_keep_alive(first.header("keep-alive")).timeout_s
        return first.headers, first.status, first.keeps_alive, advertised
    return (), None, None, None


# --- signals: one piece of evidence pointing at one component -----------------------------


class _Kind(StrEnum):
    NAMED = "named"  # a header or a page the component writes itself
    SHAPE = "shape"  # how the headers look: weak, but about the responder
    IDLE = "idle"  # the HTTP/1.1 idle close
    H2_IDLE = "h2-idle"  # the HTTP/2 idle close (GOAWAY)
    HEAD = "head"  # the answer to an unfinished request head


@dataclass(frozen=True)
class _Signal:
    key: str
    confidence: Confidence
    basis: str
    kind: _Kind
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Measurement:
    """A timing, in words, and the components whose documented defaults it matches."""

    kind: _Kind
    seconds: float
    words: str  # e.g. "the idle connection closed (FIN) at 75.0 s"
    matches: tuple[_Signal, ...]


def _matches(measured: float, expected: float) -> bool:
    return abs(measured - expected) <= max(MATCH_TOLERANCE_S, MATCH_TOLERANCE_SHARE * expected)


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def _name(key: str) -> str:
    component = COMPONENTS.get(key)
    return component.name if component is not None else key


# --- named: headers and pages ---------------------------------------------------------------

# Identified by a header its documentation does not confirm (the fact sheet: unconfirmed).
_WEAK_HEADERS = frozenset({"gcp-alb"})


def _header_signals(headers: Headers, status: int | None, where: str) -> list[_Signal]:
    edge = identify(headers, status=status)
    return [_Signal(layer.component.key,
                    Confidence.LIKELY if layer.component.key in _WEAK_HEADERS
                    else Confidence.CERTAIN,
                    f"{where}: " + "; ".join(_quoted(item) for item in layer.evidence),
                    _Kind.NAMED)
            for layer in edge.layers]


def _quoted(evidence: str) -> str:
    """A header as evidence, in backquotes; edge's own words (`status 502: ...`) as they are."""
    return evidence if evidence.startswith("status ") else f"`{evidence}`"


@dataclass(frozen=True)
class _PageRule:
    key: str
    pattern: re.Pattern[str]
    what: str


def _page_rule(key: str, pattern: str, what: str) -> _PageRule:
    return _PageRule(key, re.compile(pattern, re.IGNORECASE), what)


_HAPROXY_SENTENCES = (
    "The server returned an invalid or incomplete response", "No server is available to "
    "handle this request", "The server didn't respond in time", "Your browser didn't send a "
    "complete request in time", "Your browser sent an invalid request")
_PAGE_RULES = (
    _page_rule("nginx", r"<hr><center>nginx(/[0-9.]+)?</center>",
               "nginx's own error page (`<center>nginx</center>`)"),
    _page_rule("cloudflare", r"<hr><center>cloudflare</center>",
               "Cloudflare's own error page (`<center>cloudflare</center>`)"),
    _page_rule("cloudflare", r"id=\"cf-error-details\"|Cloudflare Ray ID",
               "Cloudflare's error page (cf-error-details, a Ray ID)"),
    _page_rule("haproxy", r"<html><body><h1>\d{3} [^<]*</h1>\n(" + "|".join(
        re.escape(sentence) for sentence in _HAPROXY_SENTENCES) + ")",
        "HAProxy's built-in error page"),
    _page_rule("heroku", r"herokucdn\.com/error-pages/",
               "Heroku's error page (an iframe of herokucdn.com/error-pages/)"),
    _page_rule("envoy", r"upstream connect error or disconnect/reset before headers"
               r"|no healthy upstream", "Envoy's own reply"),
)
_ENVOY_TERMINATION = re.compile(r"reset reason: connection termination", re.IGNORECASE)


def _page_signals(page: ErrorPage, where: str) -> list[_Signal]:
    signals = _header_signals(page.headers, page.status, where)
    for rule in _PAGE_RULES:
        if rule.pattern.search(page.body):
            basis = f"{where}: the body of the {page.status} is {rule.what}"
            if rule.key == "envoy" and _ENVOY_TERMINATION.search(page.body):
                basis += (" with 'reset reason: connection termination': the backend closed a "
                          "connection Envoy reused (the keep-alive race)")
            signals.append(_Signal(rule.key, Confidence.CERTAIN, basis, _Kind.NAMED))
    return signals


def _shape_signals(evidence: Evidence) -> list[_Signal]:
    signals = []
    names = [name for name, _ in evidence.headers]
    tail = [name for name in names if name not in ("content-length", "transfer-encoding")][-3:]
    if tail == ["date", "connection", "keep-alive"]:
        signals.append(_Signal(
            "node", Confidence.POSSIBLE, "the headers end with Date, Connection, Keep-Alive in "
            "that order, as Node's http.Server writes them", _Kind.SHAPE))
    if evidence.persistent is False and _says_close(evidence.headers):
        signals.append(_Signal(
            "gunicorn", Confidence.POSSIBLE, "`Connection: close` on an ordinary response: "
            "gunicorn's default sync workers close every connection (so do servers with "
            "keep-alive turned off)", _Kind.SHAPE))
    return signals


def _says_close(headers: Headers) -> bool:
    return any(name == "connection" and "close" in value.lower() for name, value in headers)


def _says_keep_alive(headers: Headers) -> bool:
    return any(name == "connection" and "keep-alive" in value.lower()
               for name, value in headers)


def _named_signals(evidence: Evidence) -> list[_Signal]:
    signals = _header_signals(evidence.headers, evidence.status, "the response's headers")
    for index, page in enumerate(evidence.error_pages, start=1):
        signals += _page_signals(page, f"error page {index} ({page.status})")
    head = evidence.header_timeout
    if head is not None and head.page is not None:
        signals += _page_signals(head.page, "the answer to an unfinished request head")
    return signals


# --- measured: the idle close, the HTTP/2 idle close, the unfinished head -----------------


@dataclass(frozen=True)
class _IdleDefault:
    key: str
    advertises: bool | None  # sends `Keep-Alive: timeout=` by default; None: unknown
    h2: bool  # closes idle HTTP/2 connections at the same idle timeout (GOAWAY)


# Components whose default idle close a measurement can match (Node's advertised-plus-1-s
# signature is matched separately: it names the configured value, not only the default).
_IDLE_DEFAULTS = (
    _IdleDefault("node", True, False), _IdleDefault("uvicorn", False, False),
    _IdleDefault("hypercorn", False, True), _IdleDefault("apache", True, False),
    _IdleDefault("gunicorn", False, False), _IdleDefault("puma", False, False),
    _IdleDefault("kestrel", None, True), _IdleDefault("nginx", False, True),
    _IdleDefault("ingress-nginx", False, True), _IdleDefault("aws-alb", None, True),
    _IdleDefault("aws-clb", None, False), _IdleDefault("fly", None, True),
    _IdleDefault("traefik", False, True), _IdleDefault("caddy", False, True),
    _IdleDefault("cloudflare", None, True), _IdleDefault("gcp-alb", None, True),
    _IdleDefault("envoy", False, True), _IdleDefault("aiohttp", None, False),
)
# One product under two keys: both matching is no ambiguity.
_FAMILIES = ({"nginx", "ingress-nginx"}, {"aws-alb", "aws-clb"})
NODE_FAMILY = frozenset({"node", "express", "nextjs", "fastify", "seatctl-reference"})
# Servers that speak only HTTP/1.1: an edge choosing h2 in ALPN is not one of them.
HTTP1_ONLY = frozenset({*NODE_FAMILY, "uvicorn", "gunicorn", "puma"})
_NODE_MEANINGS = {
    5.0: ("node", "Node.js's default before v26 (keepAliveTimeout 5 s)"),
    65.0: ("node", "Node 26's new default or the seed's fix (keepAliveTimeout 65 s)"),
    72.0: ("fastify", "Fastify's default keepAliveTimeout (72 s)"),
}


def _closed_words(close: IdleClose) -> str:
    how = "was reset" if close.kind is CloseKind.RESET else "closed (FIN)"
    return f"the idle connection {how} at {_s(close.seconds)}"


def _idle_measurement(evidence: Evidence) -> _Measurement | None:
    close = evidence.idle_close
    if close is None or close.lower_bound:
        return None
    words = _closed_words(close)
    advertised = evidence.advertised_keep_alive_s
    node = _node_signature(evidence, close.seconds, words)
    matches = [node] if node is not None else _default_matches(
        close.seconds, words, advertised, evidence.headers, h2=False)
    return _Measurement(_Kind.IDLE, close.seconds, words, tuple(matches))


def _node_signature(evidence: Evidence, closed_s: float, words: str) -> _Signal | None:
    """Node's http.Server closes keepAliveTimeoutBuffer (1 s) after the timeout it
    advertises in `Keep-Alive: timeout=N`."""
    advertised = evidence.advertised_keep_alive_s
    if advertised is None or advertised <= 0 or not _says_keep_alive(evidence.headers):
        return None
    if abs(closed_s - (advertised + NODE_BUFFER_S)) > NODE_BUFFER_TOLERANCE_S:
        return None
    key, meaning = _NODE_MEANINGS.get(
        advertised, ("node", f"Node.js with keepAliveTimeout = {advertised:g} s"))
    basis = (f"`Keep-Alive: timeout={advertised:g}` and {words}: {advertised:g} s plus Node's "
             f"{NODE_BUFFER_S:g} s keepAliveTimeoutBuffer; {meaning}")
    alternatives = ("node",) if key == "fastify" else ()
    return _Signal(key, Confidence.LIKELY, basis, _Kind.IDLE, alternatives)


def _default_matches(seconds: float, words: str, advertised: float | None,
                     headers: Headers, *, h2: bool) -> list[_Signal]:
    has_header = any(name == "keep-alive" for name, _ in headers)
    candidates = [default for default in _IDLE_DEFAULTS
                  if (not h2 or default.h2) and _fits_header(default, has_header, headers)
                  and _documented_close_matches(default.key, seconds)]
    keys = [candidate.key for candidate in candidates]
    if not keys:
        return []
    confidence = _confidence_of(keys, advertised)
    return [_Signal(key, confidence, _default_basis(key, words, advertised, keys),
                    _Kind.H2_IDLE if h2 else _Kind.IDLE,
                    tuple(other for other in keys if other != key))
            for key in keys]


def _fits_header(default: _IdleDefault, has_header: bool, headers: Headers) -> bool:
    if default.advertises is None:
        return True
    if default.key == "apache" and has_header:  # Apache's is `timeout=5, max=100`
        return any(name == "keep-alive" and "max=" in value for name, value in headers)
    return default.advertises == has_header


def _documented_close_matches(key: str, seconds: float) -> bool:
    idle = COMPONENTS[key].default(Governs.IDLE_KEEP_ALIVE)
    closes_at = idle.closes_at_s if idle is not None and idle.known else None
    return closes_at is not None and _matches(seconds, closes_at)


def _confidence_of(keys: Sequence[str], advertised: float | None) -> Confidence:
    one_product = len(keys) == 1 or any(set(keys) <= family for family in _FAMILIES)
    documented = all(_documented(key).status is Status.CONFIRMED for key in keys)
    # A header promising something else than the close: a hand-set or passed-on header.
    promised_otherwise = advertised is not None and not all(
        _matches(advertised + _documented(key).grace_s, _documented(key).closes_at_s or 0)
        for key in keys)
    if one_product and documented and not promised_otherwise:
        return Confidence.LIKELY
    return Confidence.POSSIBLE


def _documented(key: str) -> Documented:
    idle = COMPONENTS[key].default(Governs.IDLE_KEEP_ALIVE)
    assert idle is not None  # only components with a documented idle close get here
    return idle


def _default_basis(key: str, words: str, advertised: float | None,
                   keys: Sequence[str]) -> str:
    idle = _documented(key)
    basis = (f"{words}: {_name(key)}'s default {idle.setting} "
             f"({_describe_default(idle.value, idle.grace_s)})")
    if advertised is not None and not _matches(advertised + idle.grace_s, idle.closes_at_s or 0):
        basis += (f", although the response advertises `Keep-Alive: timeout={advertised:g}` "
                  "(a hand-set or passed-on header)")
    others = [other for other in keys if other != key]
    if others:
        basis += "; it fits " + ", ".join(_name(other) for other in others) + " as well"
    return basis


def _describe_default(value: float | None, grace_s: float) -> str:
    if value is None:
        return "none"
    return f"{value:g} s, closed {grace_s:g} s later" if grace_s else f"{value:g} s"


def _h2_measurement(evidence: Evidence) -> _Measurement | None:
    facts = evidence.http2
    if facts is None or facts.idle_close_s is None or facts.lower_bound:
        return None
    if facts.goaway_error:
        words = (f"the idle HTTP/2 connection got GOAWAY ({facts.goaway_error}) at "
                 f"{_s(facts.idle_close_s)}")
    else:  # hypercorn, for one, closes an idle h2 connection without a GOAWAY
        words = (f"the idle HTTP/2 connection was closed without a GOAWAY at "
                 f"{_s(facts.idle_close_s)}")
    matches = _default_matches(facts.idle_close_s, words, None, (), h2=True)
    return _Measurement(_Kind.H2_IDLE, facts.idle_close_s, words, tuple(matches))


def _head_measurement(evidence: Evidence) -> _Measurement | None:
    head = evidence.header_timeout
    if head is None or head.kind in (GiveUpKind.STILL_OPEN, GiveUpKind.ANSWERED):
        return None
    if head.kind is GiveUpKind.STATUS:
        words = (f"an unfinished request head was answered {head.status} after "
                 f"{_s(head.seconds)}")
        node = _node_408(head, words)
        return _Measurement(_Kind.HEAD, head.seconds, words, (node,) if node else ())
    how = "reset" if head.kind is GiveUpKind.RESET else "closed (FIN) without a response"
    words = f"an unfinished request head was {how} after {_s(head.seconds)}"
    return _Measurement(_Kind.HEAD, head.seconds, words, tuple(_silent_head_close(head, words)))


def _node_408(head: HeaderTimeout, words: str) -> _Signal | None:
    lowest = NODE_HEADERS_TIMEOUT_S
    highest = NODE_HEADERS_TIMEOUT_S + NODE_CHECKING_INTERVAL_S
    slack = max(MATCH_TOLERANCE_S, MATCH_TOLERANCE_SHARE * highest)
    if head.status != 408 or not lowest - slack <= head.seconds <= highest + slack:
        return None
    basis = (f"{words}: Node's headersTimeout (60 s, checked every 30 s: a 408 between 60 "
             "and 90 s)")
    canned = head.page is not None and _node_canned_408(head.page)
    if canned:
        basis += ", and the 408 carries only `Connection: close` and no body: Node's own"
    return _Signal("node", Confidence.LIKELY if canned else Confidence.POSSIBLE, basis,
                   _Kind.HEAD)


def _node_canned_408(page: ErrorPage) -> bool:
    """Node writes `HTTP/1.1 408 Request Timeout\\r\\nConnection: close\\r\\n\\r\\n`."""
    return (not page.body and len(page.headers) == 1
            and page.headers[0][0] == "connection" and page.headers[0][1].lower() == "close")


# Close an unfinished head without answering (nginx logs a 408 but never sends it; Caddy
# runs on Go's net/http, which drops the connection).
_SILENT_HEAD_CLOSERS = ("nginx", "caddy")


def _silent_head_close(head: HeaderTimeout, words: str) -> list[_Signal]:
    if head.kind is not GiveUpKind.FIN:
        return []
    keys = [key for key in _SILENT_HEAD_CLOSERS
            if (at := _documented_for(_Kind.HEAD, key)) is not None and _matches(head.seconds, at)]
    if not keys:
        return []
    basis = (f"{words}: nginx's client_header_timeout (60 s; nginx logs a 408 but sends "
             "nothing), or Caddy's read_header timeout (1 min)")
    return [_Signal(key, Confidence.POSSIBLE, basis, _Kind.HEAD,
                    tuple(other for other in keys if other != key)) for key in keys]


def _measurements(evidence: Evidence) -> list[_Measurement]:
    found = (_idle_measurement(evidence), _h2_measurement(evidence),
             _head_measurement(evidence))
    return [measurement for measurement in found if measurement is not None]


# --- weighing ---------------------------------------------------------------------------


@dataclass
class _Draft:
    """A guess being assembled: the best confidence seen, every basis, the alternatives."""

    key: str
    confidence: Confidence
    basis: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    named: bool = False  # named by a header or page (not only measured or shaped)

    def add(self, signal: _Signal) -> None:
        if signal.confidence.rank > self.confidence.rank:
            self.confidence = signal.confidence
        if signal.basis not in self.basis:
            self.basis.append(signal.basis)
        self.named = self.named or signal.kind is _Kind.NAMED
        for other in signal.alternatives:
            if other not in self.alternatives and other != self.key:
                self.alternatives.append(other)

    def note(self, text: str) -> None:
        if text not in self.basis:
            self.basis.append(text)


def _role(key: str) -> Role:
    return COMPONENTS[key].role


def _merge(signals: Iterable[_Signal]) -> dict[str, _Draft]:
    drafts: dict[str, _Draft] = {}
    for signal in signals:
        draft = drafts.setdefault(signal.key, _Draft(signal.key, signal.confidence))
        draft.add(signal)
    _fold_heroku(drafts)
    return drafts


def _fold_heroku(drafts: dict[str, _Draft]) -> None:
    """Heroku's page names Heroku; a `Via` header names which of its routers."""
    generic = drafts.get("heroku")
    specific = next((drafts[key] for key in ("heroku-router-2", "heroku-legacy")
                     if key in drafts), None)
    if generic is not None and specific is not None:
        for basis in generic.basis:
            specific.note(basis)
        del drafts["heroku"]


def _front_and_holder(drafts: dict[str, _Draft]) -> tuple[_Draft | None, _Draft | None]:
    """The front door (a CDN fronting an identified platform is that platform's edge) and
    the holder of the client's connection (the outermost layer, that CDN included)."""
    outer = sorted((draft for draft in drafts.values()
                    if _role(draft.key) is not Role.APP_SERVER),
                   key=lambda draft: outermost_rank(draft.key))
    fronting = {COMPONENTS[draft.key].fronted_by for draft in outer}
    front = next((draft for draft in outer if draft.key not in fronting), None)
    return front, (outer[0] if outer else None)


def _best_server(drafts: dict[str, _Draft]) -> _Draft | None:
    servers = [draft for draft in drafts.values() if _role(draft.key) is Role.APP_SERVER]
    if not servers:
        return None
    best = max(servers, key=lambda draft: (draft.named, draft.confidence.rank,
                                           len(draft.basis), -outermost_rank(draft.key)))
    for other in servers:
        if other is not best:
            best.note(f"also seen: {other.basis[0]}")
    return best


def _compatible(server_key: str, key: str) -> bool:
    return key == server_key or (key in NODE_FAMILY and server_key in NODE_FAMILY)


def _documented_for(kind: _Kind, key: str) -> float | None:
    governs = Governs.HEADERS if kind is _Kind.HEAD else Governs.IDLE_KEEP_ALIVE
    documented = COMPONENTS[key].default(governs)
    if documented is None or not documented.known:
        return None
    return documented.closes_at_s


def _against_named(draft: _Draft, measurement: _Measurement) -> None:
    """Adds the measurement to a named component's basis: as support when it fits the
    component's documented value (or a signature of the same server), else as a note."""
    documented = _documented_for(measurement.kind, draft.key)
    fitting = [signal for signal in measurement.matches if _compatible(draft.key, signal.key)]
    if fitting:
        draft.note(fitting[0].basis)
    elif documented is not None and _matches(measurement.seconds, documented):
        draft.note(f"{measurement.words}: {_name(draft.key)}'s documented {documented:g} s")
    else:
        draft.note(_disagreement(draft.key, measurement, documented))


def _disagreement(key: str, measurement: _Measurement, documented: float | None) -> str:
    text = measurement.words
    text += (f", not {_name(key)}'s documented {documented:g} s" if documented is not None
             else f"; {_name(key)} documents no value for it")
    others = [signal.key for signal in measurement.matches]
    if others:
        text += " (it would fit " + ", ".join(_name(other) for other in others) + ")"
    return text + ": the header is taken over the timing"


@dataclass
class _Slots:
    front: _Draft | None
    holder: _Draft | None
    server: _Draft | None
    measured_front: dict[str, _Draft] = field(default_factory=dict)
    measured_server: dict[str, _Draft] = field(default_factory=dict)


def _attribute(slots: _Slots, measurement: _Measurement) -> None:
    """A timing belongs to whoever holds the client's connection: the outermost named
    layer; else it is weighed against the named server; else it names the component."""
    if slots.holder is not None:
        _against_holder(slots, measurement)
    elif slots.server is not None and slots.server.named:
        _against_server(slots, measurement)
    else:
        _measured_guesses(slots, measurement.matches)


def _against_holder(slots: _Slots, measurement: _Measurement) -> None:
    assert slots.holder is not None and slots.front is not None
    probe = _Draft(slots.holder.key, slots.holder.confidence)
    _against_named(probe, measurement)
    for text in probe.basis:
        slots.front.note(text)


def _against_server(slots: _Slots, measurement: _Measurement) -> None:
    assert slots.server is not None
    outer = [signal for signal in measurement.matches if _role(signal.key) is not Role.APP_SERVER]
    fits = any(_compatible(slots.server.key, signal.key) for signal in measurement.matches)
    if outer and not fits:
        slots.server.note(f"{measurement.words}: not {_name(slots.server.key)}'s, so a front "
                          "door holds the client's connection")
        _measured_guesses(slots, outer)
        return
    _against_named(slots.server, measurement)


def _measured_guesses(slots: _Slots, signals: Iterable[_Signal]) -> None:
    for signal in signals:
        pool = (slots.measured_server if _role(signal.key) is Role.APP_SERVER
                else slots.measured_front)
        pool.setdefault(signal.key, _Draft(signal.key, signal.confidence)).add(signal)


def _pick(pool: dict[str, _Draft]) -> _Draft | None:
    if not pool:
        return None
    best = max(pool.values(), key=lambda draft: (draft.confidence.rank, len(draft.basis)))
    for other in pool.values():
        if other is not best and other.key not in best.alternatives:
            best.alternatives.append(other.key)
    if len(pool) > 1 and best.confidence is Confidence.LIKELY and not _one_product(pool):
        best.confidence = Confidence.POSSIBLE
    return best


def _one_product(pool: dict[str, _Draft]) -> bool:
    return any(set(pool) <= family for family in _FAMILIES)


def _with_shapes(server: _Draft | None, shapes: Sequence[_Signal]) -> _Draft | None:
    """Header shapes support the server guess, or stand alone when nothing else names one."""
    if server is None:
        drafts = _merge(shapes)
        return _pick(drafts)
    for signal in shapes:
        if _compatible(server.key, signal.key):
            server.add(replace(signal, confidence=server.confidence))
    return server


def _alpn_check(evidence: Evidence, front: _Draft | None, server: _Draft | None) -> None:
    if evidence.alpn != "h2":
        return
    words = "the TLS endpoint chose h2 in ALPN"
    if front is not None:
        front.note(words)
    elif server is not None and server.key in HTTP1_ONLY:
        server.note(f"{words}, which {_name(server.key)} does not speak: a proxy in front "
                    "terminates TLS")
        if not server.named:
            server.confidence = Confidence.POSSIBLE


def _lower_bound_note(evidence: Evidence) -> tuple[str, ...]:
    close = evidence.idle_close
    if close is None or not close.lower_bound:
        return ()
    closes = {default.key: _documented(default.key).closes_at_s or 0.0
              for default in _IDLE_DEFAULTS}
    ruled_out = sorted((key for key, at in closes.items()
                        if at < close.seconds - MATCH_TOLERANCE_S), key=closes.__getitem__)
    if not ruled_out:
        return ()
    listed = ", ".join(f"{_name(key)} ({closes[key]:g} s)" for key in ruled_out)
    return (f"the idle connection was still open after {_s(close.seconds)}: not the default "
            f"of {listed}",)


def infer(evidence: Evidence) -> Inference:
    """The server and the front door, each with what it rests on, how sure, and its fix."""
    named_signals = _named_signals(evidence)
    drafts = _merge(named_signals)
    front, holder = _front_and_holder(drafts)
    if front is not None and holder is not None and holder is not front:
        front.note(f"{_name(holder.key)} in front of it ({holder.basis[0]})")
    slots = _Slots(front=front, holder=holder, server=_best_server(drafts))
    for measurement in _measurements(evidence):
        _attribute(slots, measurement)
    front = slots.front or _pick(slots.measured_front)
    server = slots.server or _pick(slots.measured_server)
    server = _with_shapes(server, _shape_signals(evidence))
    _alpn_check(evidence, front, server)
    return Inference(server=_guess(server, front, is_front=False),
                     front_door=_guess(front, None, is_front=True),
                     notes=_lower_bound_note(evidence))


# --- the guesses and their fixes -----------------------------------------------------------


def _guess(draft: _Draft | None, front: _Draft | None, *, is_front: bool) -> Guess | None:
    if draft is None:
        return None
    fix = _front_fix(draft) if is_front else _server_fix(draft, front)
    return Guess(component_key=draft.key, name=_name(draft.key), confidence=draft.confidence,
                 basis=tuple(draft.basis), fix=fix, alternatives=tuple(draft.alternatives))


def _front_fix(draft: _Draft) -> str | None:
    fixes = [(key, front_door_fix(key)) for key in (draft.key, *draft.alternatives)]
    return _with_alternatives(fixes)


def _server_fix(draft: _Draft, front: _Draft | None) -> str | None:
    target = _backend_target(front)
    fixes = [(key, keep_alive_fix(key, target) if key in KEEP_ALIVE_FIXES else None)
             for key in (draft.key, *draft.alternatives)]
    return _with_alternatives(fixes)


def _backend_target(front: _Draft | None) -> float:
    if front is None:
        return backend_idle_target(None, None)
    documented = documented_backend_idle(COMPONENTS[front.key])
    return backend_idle_target(front.key, documented.value if documented else None)


def _with_alternatives(fixes: Sequence[tuple[str, str | None]]) -> str | None:
    (_, main), others = fixes[0], [(key, fix) for key, fix in fixes[1:] if fix is not None]
    if not others:
        return main
    parts = [f"If it is {_name(key)}:\n{fix}" for key, fix in
             ([(fixes[0][0], main)] if main is not None else []) + others]
    return "\n".join(parts[:MAX_ALTERNATIVES_WITH_FIXES + 1])

