"""The doctor's rules: each reads the measurements of one run and either finds (ok, warn or
fail, with what was measured, why it matters and the fix) or skips, saying why. A rule
never fires on a guess: a finding rests on numbers measured in the run, on a value the user
stated, or on a documented default of a component identified from the server's own
headers; an assumption is named in the finding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from seatctl.diagnostics.defaults import CLIENT_POOLS, COMPONENTS, Governs
from seatctl.diagnostics.edge import EdgeResult, Identified
from seatctl.diagnostics.failures import TryFailure
from seatctl.diagnostics.fixes import (
    KEEP_ALIVE_FIXES,
    advertised_fix,
    client_pool_fix,
    headers_timeout_fix,
    keep_alive_fix,
    keep_alive_on_fix,
    probe_path_fix,
)
from seatctl.diagnostics.identify import Confidence, Guess, Inference
from seatctl.diagnostics.results import (
    BurstOutcome,
    CloseKind,
    ConnectionEnd,
    GiveUp,
    GiveUpKind,
    GoawayRaceOutcome,
    GoawayRaceResult,
    Http2IdleClose,
    Http2Result,
    KeepAliveResult,
    PingOutcome,
    PingResult,
    RaceOutcome,
    RequestTally,
)
from seatctl.diagnostics.runs import PROBE_NAMES, CutBy, DoctorRun, Probe, ProbeRun, ProbeState
from seatctl.diagnostics.targets import parse_target

ASSUMED_PROXY_IDLE = 60.0  # AWS ALB/CLB, Fly.io, nginx and ingress-nginx upstream defaults
PROXY_IDLE_MARGIN = 5.0  # seconds to keep idle connections beyond the proxy's idle timeout
# Closer than this to the proxy's timeout is still a race: a second, or a tenth of a short one.
PROXY_IDLE_SLACK = 1.0
PROXY_IDLE_SLACK_SHARE = 0.1
CLIENT_EXPIRY_MARGIN = 1.0  # seconds a client pool should expire before the server closes
RACE_SLACK = 0.05  # scheduling jitter: a failure this close to the idle close is at it
CERT_WARN_DAYS = 14.0


class Severity(StrEnum):
    INFO = "info"  # worth knowing, nothing wrong: never the verdict, never a failure
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self]


SEVERITY_RANK = {Severity.INFO: 0, Severity.OK: 0, Severity.WARN: 1, Severity.FAIL: 2}


@dataclass(frozen=True)
class Finding:
    id: str
    severity: Severity
    title: str
    detail: str  # what was measured, and why it causes resets or 502s
    fix: str | None = None


@dataclass(frozen=True)
class Skipped:
    id: str
    title: str
    reason: str


class Basis(StrEnum):
    STATED = "stated"  # given on the command line
    DOCUMENTED = "documented"  # the identified component's documented default
    ASSUMED = "assumed"  # nothing better known; the finding says so


@dataclass(frozen=True)
class Assumed:
    """A value the rules compare against, and where it comes from."""

    seconds: float
    basis: Basis
    source: str


@dataclass(frozen=True)
class Facts:
    run: DoctorRun
    edge: EdgeResult
    origin_edge: EdgeResult | None
    proxy_idle: Assumed
    client_expiry: Assumed
    inference: Inference | None = None  # the server and front door named from behaviour

    @property
    def backend(self) -> Identified | None:
        """The application server, as identified from the origin's headers or the URL's."""
        if self.origin_edge is not None and self.origin_edge.app_server is not None:
            return self.origin_edge.app_server
        return self.edge.app_server

    @property
    def backend_key(self) -> str | None:
        return self.backend.component.key if self.backend else None


Outcome = Finding | Skipped


@dataclass(frozen=True)
class Rule:
    id: str
    title: str  # what the rule checks, for JUnit and skipped rules
    evaluate: Callable[[Facts, str, str], Outcome]

    def __call__(self, facts: Facts) -> Outcome:
        return self.evaluate(facts, self.id, self.title)


def proxy_idle(lb_idle_timeout: float | None, edge: EdgeResult) -> Assumed:
    """The idle timeout of the proxy in front: stated, else documented, else assumed."""
    if lb_idle_timeout is not None:
        return Assumed(lb_idle_timeout, Basis.STATED, "--lb-idle-timeout")
    documented = edge.front_door_idle_timeout()
    if documented is not None and documented.value is not None and edge.front_door:
        source = (f"{edge.front_door.component.name} {documented.setting}; "
                  f"{documented.source}")
        return Assumed(documented.value, Basis.DOCUMENTED, source)
    return Assumed(ASSUMED_PROXY_IDLE, Basis.ASSUMED,
                   "the common load-balancer default (AWS ALB, Fly.io, nginx upstream); "
                   "state yours with --lb-idle-timeout")


def client_expiry(stated: float | None) -> Assumed:
    if stated is not None:
        return Assumed(stated, Basis.STATED, "--client-expiry")
    return Assumed(5.0, Basis.ASSUMED, "httpx's keepalive_expiry and Node's globalAgent "
                   "default; state your client's with --client-expiry")


def _s(seconds: float) -> str:
    return f"{seconds:.3g} s" if seconds < 10 else f"{seconds:.1f} s".replace(".0 s", " s")


def _cut(facts: Facts, probe: Probe) -> ProbeRun | None:
    record = facts.run.runs.get(probe)
    return record if record is not None and record.state is ProbeState.CUT else None


def _longer_wait(facts: Facts, probe: Probe, above: float, to: str) -> str:
    """What would decide a lower bound: a longer --max-wait when the wait ran to it; when
    the run cut the wait short, what cut it (more --max-wait would not have helped)."""
    cut = _cut(facts, probe)
    if cut is not None:
        return f": the probe was {cut.cut_description()}"
    return f": raise --max-wait above {above:g} s {to}"


def _unfinished(facts: Facts, probe: Probe, name: str) -> str:
    """Why `probe` has no result: "the keep-alive probe was interrupted after 3.2 s"."""
    record = facts.run.runs.get(probe)
    if record is not None and record.state is ProbeState.CUT:
        return f"{name} was {record.cut_description()}"
    if record is not None and record.state is ProbeState.FAILED and record.error:
        return f"{name} failed: {record.error}"
    if record is not None and record.state is ProbeState.SKIPPED:
        return f"{name} was skipped ({record.error or 'not planned'})"
    return f"{name} did not finish"


# --- the rules ----------------------------------------------------------------------------


def _persistent(facts: Facts, rule_id: str, title: str) -> Outcome:
    keep_alive = facts.run.keep_alive
    if keep_alive is None:
        return Skipped(rule_id, title, _unfinished(facts, Probe.KEEPALIVE, "the keep-alive probe"))
    if keep_alive.persistent:
        return Finding(rule_id, Severity.OK, "The server keeps connections alive",
                       f"HTTP/{keep_alive.http_version} {keep_alive.status} without "
                       "`Connection: close`: clients can reuse the connection.")
    return Finding(
        rule_id, Severity.WARN, "The server closes the connection after each response",
        f"HTTP/{keep_alive.http_version} {keep_alive.status} {_closing_words(keep_alive)}: "
        "each request pays a new TCP (and TLS) handshake, and a proxy cannot pool "
        "connections to it.",
        keep_alive_on_fix(facts.backend_key),
    )


def _closing_words(keep_alive: KeepAliveResult) -> str:
    if keep_alive.connection_header is not None:
        return f"with `Connection: {keep_alive.connection_header}`"
    return f"without `Connection: keep-alive` (HTTP/{keep_alive.http_version} closes by default)"


def _advertised(facts: Facts, rule_id: str, title: str) -> Outcome:
    """The server's header, and the origin's when measured: the worse of the two."""
    subjects = [("the server", Probe.KEEPALIVE, facts.run.keep_alive)]
    if facts.run.origin is not None:
        subjects.append(("the origin", Probe.ORIGIN, facts.run.origin))
    outcomes = [_header_truth(facts, rule_id, title, who, probe, measured)
                for who, probe, measured in subjects]
    findings = [outcome for outcome in outcomes if isinstance(outcome, Finding)]
    if findings:
        return max(findings, key=lambda finding: finding.severity.rank)
    return outcomes[0]


def _header_truth(facts: Facts, rule_id: str, title: str, who: str, probe: Probe,
                  keep_alive: KeepAliveResult | None) -> Outcome:
    if keep_alive is None or not keep_alive.persistent:
        return Skipped(rule_id, title, "no kept-alive connection to compare")
    promised = keep_alive.advertised_timeout_s
    closed = keep_alive.idle_close
    if promised is None:
        return Skipped(rule_id, title, f"{who} sends no `Keep-Alive: timeout=N` header")
    header = f"`Keep-Alive: timeout={promised:g}`"
    if closed.lower_bound and promised > closed.seconds:
        return Skipped(rule_id, title, f"{header} promises more than the {_s(closed.seconds)} "
                       "waited" + _longer_wait(facts, probe, promised, "to check it"))
    if keep_alive.advertised_exceeds_idle_close:
        return Finding(
            rule_id, Severity.FAIL, "The Keep-Alive header promises more than the server keeps",
            f"{header} from {who}, but it closed the idle connection after "
            f"{_s(closed.seconds)}. Clients that trust the header (Node's Agent, undici) keep "
            "the connection past the real close and send requests into a closed socket: "
            "ECONNRESET or `socket hang up`.",
            advertised_fix(_key_of(facts, who), closed.seconds, promised),
        )
    kept = "stayed open for at least" if closed.lower_bound else "closed after"
    return Finding(rule_id, Severity.OK, "The Keep-Alive header is kept",
                   f"{header} from {who}; its idle connection {kept} {_s(closed.seconds)}.")


def _key_of(facts: Facts, who: str) -> str | None:
    if who == "the origin" and facts.origin_edge and facts.origin_edge.app_server:
        return facts.origin_edge.app_server.component.key
    return facts.backend_key


def _versus_proxy(facts: Facts, rule_id: str, title: str) -> Outcome:
    origin = facts.run.origin
    if facts.run.plan.origin is not None and origin is None:
        return Skipped(rule_id, title, _unfinished(facts, Probe.ORIGIN, "the origin's probe"))
    if origin is not None and not origin.persistent:
        return Skipped(rule_id, title, "the origin does not keep connections alive")
    if origin is not None:
        return _compare_with_proxy(facts, rule_id, title, origin.idle_close.seconds,
                                   origin.idle_close.lower_bound, Probe.ORIGIN)
    if facts.edge.front_door is not None:
        return _unmeasured_backend(facts, rule_id, title)
    keep_alive = facts.run.keep_alive
    if keep_alive is None or not keep_alive.persistent:
        return Skipped(rule_id, title, "no idle close measured")
    return _with_guessed_server(facts, _compare_with_proxy(
        facts, rule_id, title, keep_alive.idle_close.seconds,
        keep_alive.idle_close.lower_bound, Probe.KEEPALIVE))


SUBJECTS = {Probe.ORIGIN: "The origin", Probe.HTTP2: "Over HTTP/2 the server"}


def _compare_with_proxy(facts: Facts, rule_id: str, title: str, closed_s: float,
                        lower_bound: bool, probe: Probe) -> Outcome:
    proxy = facts.proxy_idle
    subject = SUBJECTS.get(probe, "The server")
    basis = (f"the proxy's idle timeout {_s(proxy.seconds)} ({proxy.basis.value}: "
             f"{proxy.source})")
    if lower_bound and closed_s < proxy.seconds:
        return Skipped(rule_id, title,
                       f"{subject} kept the connection at least {_s(closed_s)}, shorter than "
                       f"{basis}" + _longer_wait(facts, probe, proxy.seconds, "to decide"))
    kept = "at least " if lower_bound else ""
    slack = min(PROXY_IDLE_SLACK, proxy.seconds * PROXY_IDLE_SLACK_SHARE)
    if closed_s >= proxy.seconds + slack or (lower_bound and closed_s >= proxy.seconds):
        return Finding(rule_id, Severity.OK, "Idle connections outlast the proxy's",
                       f"{subject} kept an idle connection {kept}{_s(closed_s)}, longer than "
                       f"{basis}: the proxy closes first, as it should.")
    if closed_s > proxy.seconds:
        return Finding(
            rule_id, Severity.WARN, "Idle connections barely outlast the proxy's",
            f"{subject} closed an idle connection after {_s(closed_s)}, less than "
            f"{slack:g} s after {basis}: timers drift, and in that gap the "
            "proxy can still reuse a closing connection.",
            keep_alive_fix(facts.backend_key, proxy.seconds + PROXY_IDLE_MARGIN),
        )
    severity = Severity.WARN if proxy.basis is Basis.ASSUMED else Severity.FAIL
    proxy_name = "the proxy" if proxy.basis is not Basis.ASSUMED else "a proxy would"
    return Finding(
        rule_id, severity, f"{subject} closes idle connections before {proxy_name}",
        f"{subject} closed an idle connection after {_s(closed_s)}, before {basis}. A "
        "proxy that reuses its pooled connection in that gap sends the request into a closing "
        "socket: the user gets a 502 from the proxy, or ECONNRESET.",
        keep_alive_fix(facts.backend_key, proxy.seconds + PROXY_IDLE_MARGIN),
    )


def _unmeasured_backend(facts: Facts, rule_id: str, title: str) -> Outcome:
    """Behind an identified front door the URL's close is the front door's: the backend's
    is unmeasured, and a documented default is a hint for the reason, not a finding."""
    front = facts.edge.front_door
    backend = facts.backend
    assert front is not None
    reason = f"the backend behind {front.component.name} was not measured: run with --origin URL"
    if backend is None:
        return Skipped(rule_id, title, reason)
    documented = backend.component.default(Governs.IDLE_KEEP_ALIVE)
    proxy = facts.proxy_idle
    if documented is None or documented.value is None or documented.value > proxy.seconds:
        return Skipped(rule_id, title, reason)
    return Skipped(rule_id, title, f"{reason}. Its headers name {backend.component.name}, "
                   f"whose documented {documented.setting} ({_s(documented.value)}) is shorter "
                   f"than the proxy's idle timeout ({_s(proxy.seconds)}): if it was not "
                   "changed, that is the cause of the 502s")


def _close_kind(facts: Facts, rule_id: str, title: str) -> Outcome:
    keep_alive = facts.run.keep_alive
    if keep_alive is None or not keep_alive.persistent or keep_alive.idle_close.lower_bound:
        return Skipped(rule_id, title, "no idle close observed")
    seconds = _s(keep_alive.idle_close.seconds)
    if keep_alive.idle_close.kind is CloseKind.RESET:
        return Finding(
            rule_id, Severity.WARN, "Idle connections end with a reset",
            f"After {seconds} idle the connection was reset (RST), not closed (FIN). A pool "
            "cannot see a reset coming: the next request on it fails with ECONNRESET.",
            "Close idle connections gracefully (a FIN); if a proxy or firewall resets them, "
            "expire the clients' idle connections before it.",
        )
    return Finding(rule_id, Severity.OK, "Idle connections end with a FIN",
                   f"After {seconds} idle the server closed gracefully (FIN).")


def _client_expiry(facts: Facts, rule_id: str, title: str) -> Outcome:
    keep_alive = facts.run.keep_alive
    if keep_alive is None or not keep_alive.persistent:
        return Skipped(rule_id, title, "no kept-alive connection")
    closed = keep_alive.idle_close
    expiry = facts.client_expiry
    if closed.lower_bound and closed.seconds <= expiry.seconds:
        return Skipped(rule_id, title, f"still open after {_s(closed.seconds)}, not yet past "
                       f"the client expiry {_s(expiry.seconds)}"
                       + _longer_wait(facts, Probe.KEEPALIVE, expiry.seconds, "to decide"))
    if closed.seconds > expiry.seconds:
        kept = "at least " if closed.lower_bound else ""
        return Finding(rule_id, Severity.OK, "Client pools expire first",
                       f"The server kept an idle connection {kept}{_s(closed.seconds)}; a "
                       f"client pool expiring after {_s(expiry.seconds)} ({expiry.source}) "
                       "never reuses a closed one." + _longer_pools_note(closed.seconds))
    longer = [pool for pool in CLIENT_POOLS
              if pool.value is None or pool.value >= closed.seconds]
    names = ", ".join(f"{pool.name} ({_pool_value(pool.value)})" for pool in longer)
    severity = Severity.FAIL if expiry.basis is Basis.STATED else Severity.WARN
    return Finding(
        rule_id, severity, "Clients keep idle connections longer than the server",
        f"The server closed an idle connection after {_s(closed.seconds)}; a client pool "
        f"keeping idle connections {_s(expiry.seconds)} ({expiry.source}) reuses closed ones "
        f"and fails with ECONNRESET. Pools that keep them longer by default: {names}.",
        client_pool_fix(_client_expiry_below(closed.seconds))
        + "\nOr keep idle connections longer on the server:\n"
        + _indented(keep_alive_fix(facts.backend_key,
                                   facts.proxy_idle.seconds + PROXY_IDLE_MARGIN)),
    )


def _indented(text: str) -> str:
    return "\n".join(line if line.startswith("    ") else "    " + line
                     for line in text.split("\n"))


def _client_expiry_below(closed_s: float) -> float:
    """A second before the close; 80% of a close shorter than 5 s; to two digits."""
    below = closed_s - CLIENT_EXPIRY_MARGIN if closed_s >= 5 else closed_s * 0.8
    return float(f"{below:.2g}")


def _pool_value(value: float | None) -> str:
    return "never expires" if value is None else f"{value:g} s"


def _longer_pools_note(closed_s: float) -> str:
    longer = [f"{pool.name} ({_pool_value(pool.value)})" for pool in CLIENT_POOLS
              if pool.value is None or pool.value >= closed_s]
    if not longer:
        return ""
    return (f" Pools whose defaults keep idle connections longer ({', '.join(longer)}) "
            "reuse closed ones unless configured.")


def _race(facts: Facts, rule_id: str, title: str) -> Outcome:
    idle = facts.run.idle
    if idle is None:
        return Skipped(rule_id, title, _unfinished(facts, Probe.KEEPALIVE, "the keep-alive probe"))
    if idle.race is None:
        return Skipped(rule_id, title, idle.race_skipped or "no race")
    race = idle.race
    erroring = _erroring_status(facts)
    if erroring is not None and erroring >= 500:
        return Skipped(rule_id, title, f"the probe path answers {erroring}: a failed reuse "
                       "cannot be told from the application's error (see --path)")
    if not any(a.outcome is not RaceOutcome.NOT_KEPT_ALIVE for a in race.attempts):
        return Skipped(rule_id, title, "no race connection was reused")
    failed = [a for a in race.attempts if a.outcome in CUT]
    if not failed:
        return Finding(rule_id, Severity.OK, "Reused idle connections worked",
                       f"{len(race.attempts)} connections reused around the idle close "
                       f"({_s(race.idle_close_s)}) were not cut (answers are the burst "
                       "rule's business).")
    failing_from = min(a.idle_s for a in failed)
    kinds = ", ".join(dict.fromkeys(a.outcome.value for a in failed))
    window = (f"A connection idle {_s(race.ok_until_s)} still worked; r" if race.ok_until_s
              else "R")
    early = [a for a in failed if a.idle_s < race.idle_close_s - RACE_SLACK]
    if early and all(a.fin_before_send for a in early):
        return Finding(
            rule_id, Severity.WARN, "The server's idle close varies",
            f"The server closed a connection idle {_s(min(a.idle_s for a in early))} by "
            f"itself (a FIN), while the measured idle close was {_s(race.idle_close_s)}: "
            "its timer is coarse or varies, so a client pool must expire well before the "
            "shortest close.",
            client_pool_fix(_client_expiry_below(min(a.idle_s for a in early))),
        )
    if early and _cut_at_random(facts):
        return Skipped(rule_id, title, f"reuse was cut from {_s(failing_from)} idle, before the "
                       f"idle close ({_s(race.idle_close_s)}), but requests were cut at random "
                       "too (see random-resets): the early cut cannot be told from those")
    if early:
        return Finding(
            rule_id, Severity.FAIL, "Reused connections are cut before the idle close",
            f"{window}euse was cut from {_s(failing_from)} idle ({kinds}) without a FIN "
            f"first, before the idle close measured at {_s(race.idle_close_s)}: something "
            "between (a proxy, a NAT, a firewall) closes or resets connections earlier "
            "than the server's timer.",
            "Find what sits between and align its idle timeout; expire client pools before "
            "the earliest close.",
        )
    noticed = sum(1 for attempt in failed if attempt.fin_before_send)
    return Finding(
        rule_id, Severity.OK, "Reuse fails only after the server's close",
        f"{window}euse failed from {_s(failing_from)} idle ({kinds}), at or after "
        f"the idle close ({_s(race.idle_close_s)}). {noticed} of {len(failed)} failures had "
        "the server's FIN before the request was sent: a pool that checks idle sockets "
        "(httpx) drops those; one that does not (urllib3, a plain socket) fails.",
    )


def _requests(facts: Facts, rule_id: str, title: str) -> Outcome:
    served = facts.run.requests
    if served is None:
        return Skipped(rule_id, title, _unfinished(facts, Probe.REQUESTS,
                                                   "the requests-per-connection probe"))
    if served.lower_bound:
        return Finding(rule_id, Severity.OK, "Connections serve many requests",
                       f"One connection served at least {served.served} requests.")
    if _burst_transport_failures(facts) or _cut_at_random(facts):
        return Skipped(rule_id, title, f"the connection ended after {served.served} "
                       "requests, but connections failed at random too: no fixed limit can be "
                       "told (see the random-resets and burst findings)")
    if served.ended_by is ConnectionEnd.CLOSE_HEADER:
        return Finding(rule_id, Severity.OK, "Connections end with a warning",
                       f"One connection served {_requests_count(served.served)}; the last "
                       "response said the connection closes, so clients know not to reuse it.")
    how = "reset it" if served.ended_by is ConnectionEnd.RESET else "closed it"
    return Finding(
        rule_id, Severity.FAIL, "Connections end without warning after some requests",
        f"After {_requests_count(served.served)} on one connection the server {how} "
        "without saying `Connection: close`: the pool sends the next request into a closed "
        "socket.",
        "Announce the last response with `Connection: close` (Node's maxRequestsPerSocket "
        "does), or lift the per-connection request limit.",
    )


def _requests_count(count: int) -> str:
    return f"{count} request" + ("" if count == 1 else "s")


def _slow(facts: Facts, rule_id: str, title: str,
          pick: Callable[[Facts], GiveUp | None]) -> Outcome | GiveUp:
    slow = facts.run.slow_client
    if slow is None:
        why = ("--quick" if facts.run.plan.quick
               else _unfinished(facts, Probe.SLOW_CLIENT, "the slow-client probe"))
        return Skipped(rule_id, title, why)
    give_up = pick(facts)
    if give_up is None:
        return Skipped(rule_id, title, "not measured")
    return give_up


def _headers_timeout(facts: Facts, rule_id: str, title: str) -> Outcome:
    measured = _slow(facts, rule_id, title, lambda f: f.run.slow_client.headers
                     if f.run.slow_client else None)
    if not isinstance(measured, GiveUp):
        return measured
    if measured.kind is GiveUpKind.ANSWERED:
        return Skipped(rule_id, title, f"the server answered ({measured.status}) before the "
                       "headers were complete: the headers timeout cannot be measured")
    keep_alive_s, kept = _keep_alive_reference(facts)
    if measured.lower_bound and keep_alive_s is not None and measured.seconds <= keep_alive_s:
        return Skipped(rule_id, title, f"the server still waited for the headers after "
                       f"{_s(measured.seconds)}, not yet past the keep-alive ({kept})"
                       + _longer_wait(facts, Probe.SLOW_CLIENT, keep_alive_s, "to decide"))
    if measured.lower_bound:
        return Finding(rule_id, Severity.OK, "Slow request headers are tolerated",
                       f"The server still waited for the headers after {_s(measured.seconds)}.")
    if keep_alive_s is not None and measured.seconds <= keep_alive_s + RACE_SLACK:
        return Finding(
            rule_id, Severity.WARN, "The headers timeout is shorter than the keep-alive",
            f"The server gave up on unfinished headers after {_s(measured.seconds)} "
            f"({_give_up_words(measured)}) but keeps idle connections {kept}. In Node, a "
            "headersTimeout at or below keepAliveTimeout closes reused connections "
            "mid-request (the seed's incident set headersTimeout above keepAliveTimeout).",
            headers_timeout_fix(facts.backend_key, keep_alive_s),
        )
    return _give_up_finding(rule_id, "headers", measured)


def _keep_alive_reference(facts: Facts) -> tuple[float | None, str]:
    """The keep-alive the headers timeout must exceed: the advertised timeout (Node's
    keepAliveTimeout; the socket closes a buffer later), else the measured idle close."""
    keep_alive = facts.run.keep_alive
    if keep_alive is None or not keep_alive.persistent:
        return None, ""
    closed = keep_alive.idle_close
    advertised = keep_alive.advertised_timeout_s
    if advertised is not None and (closed.lower_bound or advertised <= closed.seconds):
        return advertised, f"{_s(advertised)} (`Keep-Alive: timeout={advertised:g}`)"
    return closed.seconds, ("at least " if closed.lower_bound else "") + _s(closed.seconds)


def _request_timeout(facts: Facts, rule_id: str, title: str) -> Outcome:
    measured = _slow(facts, rule_id, title, lambda f: f.run.slow_client.body
                     if f.run.slow_client else None)
    if not isinstance(measured, GiveUp):
        return measured
    if measured.kind is GiveUpKind.ANSWERED:
        return Skipped(rule_id, title, f"the server answered ({measured.status}) before the "
                       "body was complete: the request timeout cannot be measured on this "
                       "path (try --path)")
    if measured.lower_bound:
        return Finding(rule_id, Severity.OK, "Slow request bodies are tolerated",
                       f"The server still waited for the body after {_s(measured.seconds)}.")
    return _give_up_finding(rule_id, "request", measured)


def _give_up_words(give_up: GiveUp) -> str:
    if give_up.kind in (GiveUpKind.STATUS, GiveUpKind.ANSWERED):
        return f"answered {give_up.status}"
    return "closed with a reset" if give_up.kind is GiveUpKind.RESET else "closed silently"


def _give_up_finding(rule_id: str, what: str, give_up: GiveUp) -> Finding:
    words = _give_up_words(give_up)
    sent = "request headers" if what == "headers" else "a request body"
    if give_up.kind is GiveUpKind.STATUS:
        return Finding(rule_id, Severity.OK, f"The {what} timeout answers clearly",
                       f"The server gave up on {sent} sent slowly after "
                       f"{_s(give_up.seconds)}: {words}.")
    return Finding(
        rule_id, Severity.WARN, f"The {what} timeout closes without an answer",
        f"The server gave up on {sent} sent slowly after {_s(give_up.seconds)}, {words}: "
        "a slow client "
        "(a mobile network, a large upload) sees ECONNRESET or `socket hang up` instead of "
        "a 408 it could understand.",
        "Answer 408 Request Timeout before closing (Node, nginx and the reference server do).",
    )


CUT = (RaceOutcome.RESET, RaceOutcome.CLOSED_BEFORE_RESPONSE, RaceOutcome.CLOSED_MID_RESPONSE)
TRANSPORT_FAILURES = (BurstOutcome.RESET, BurstOutcome.CLOSED, BurstOutcome.TIMEOUT,
                      BurstOutcome.ERROR)


def _burst_transport_failures(facts: Facts) -> int:
    burst = facts.run.burst
    return sum(burst.outcomes.get(kind, 0) for kind in TRANSPORT_FAILURES) if burst else 0


def _erroring_status(facts: Facts) -> int | None:
    """The error status (4xx, 5xx) the probe path answers, if it does."""
    first = facts.run.keep_alive or facts.run.first_response
    return first.status if first is not None and first.status >= 400 else None


def _burst(facts: Facts, rule_id: str, title: str) -> Outcome:
    burst = facts.run.burst
    if burst is None:
        return Skipped(rule_id, title, _unfinished(facts, Probe.BURST, "the burst probe"))
    counts = {outcome.value: count for outcome, count in burst.outcomes.items() if count}
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    statuses = ", ".join(f"{count} x {status}" for status, count in sorted(burst.statuses.items()))
    shape = f"{burst.connections} connections x {burst.requests_per_connection} requests"
    first = f" First failure: {burst.first_failure.rstrip('.')}." if burst.first_failure else ""
    if _burst_transport_failures(facts) and _cut_at_random(facts):
        return Skipped(rule_id, title, f"{shape}: {summary}, but single requests on fresh "
                       "connections were cut at random too: the burst's failures cannot be "
                       "told from those (see random-resets)")
    if _burst_transport_failures(facts):
        return Finding(
            rule_id, Severity.FAIL, "Connections failed under a small burst",
            f"{shape}: {summary}.{first} Under load the same failures reach users.",
            "Look at the server's connection limits and worker count, and at what the "
            "proxy logs for these requests (its 502/504 names the cause).",
        )
    erroring = _erroring_status(facts)
    if set(burst.statuses) == {erroring}:
        return Finding(rule_id, Severity.WARN, f"Every response was {erroring}",
                       f"{shape}: every one answered {erroring}, as the probe path does.",
                       probe_path_fix(erroring or 0))
    if counts.get("5xx"):
        return Finding(
            rule_id, Severity.FAIL, "Requests failed with 5xx under a small burst",
            f"{shape}: {summary} ({statuses}).{first} Under load the same failures reach "
            "users.",
            "Look at the server's logs for these requests, and at what the proxy logs (its "
            "502/504 names the cause).",
        )
    if counts.get("4xx"):
        refused = 429 if 429 in burst.statuses else max(burst.statuses)
        return Finding(rule_id, Severity.WARN, "Some burst requests were refused",
                       f"{shape}: {summary} ({statuses}).", probe_path_fix(refused))
    return Finding(rule_id, Severity.OK, "A small burst succeeded",
                   f"{shape}: all {burst.connections * burst.requests_per_connection} "
                   f"answered ({statuses}).")


def _quiet_requests(facts: Facts) -> RequestTally:
    """Single requests on fresh connections: no load, no idle before them."""
    return facts.run.fresh_requests()


def _burst_cuts(facts: Facts) -> tuple[int, int]:
    """The burst's requests sent, and those reset or closed before their response."""
    burst = facts.run.burst
    if burst is None:
        return 0, 0
    sent = sum(burst.outcomes.values()) - burst.outcomes.get(BurstOutcome.NOT_SENT, 0)
    return sent, sum(burst.outcomes.get(kind, 0) for kind in (BurstOutcome.RESET,
                                                              BurstOutcome.CLOSED))


def _cut_at_random(facts: Facts) -> bool:
    return _quiet_requests(facts).cut > 0


RANDOM_RESETS_FIX = (
    "Requests cut with no load and no idle before them point to something that drops "
    "connections unasked. seatctl sees the cut, not its cause; look, in this order:\n"
    "A worker process that crashes or is restarted: restarts, out-of-memory kills or "
    "unhandled errors in the server's logs at those moments.\n"
    "A proxy in front that loses its upstream connections (too few upstream keep-alive "
    "connections, or ones reused after the backend closed them): its error log names the "
    "upstream reset.\n"
    "An overloaded server, or a full accept queue (listen backlog), shedding connections."
)


def _random_resets(facts: Facts, rule_id: str, title: str) -> Outcome:
    quiet = _quiet_requests(facts)
    burst_sent, burst_cut = _burst_cuts(facts)
    sent, cut = quiet.sent + burst_sent, quiet.cut + burst_cut
    if sent == 0:
        return Skipped(rule_id, title, "no request was sent")
    if cut == 0:
        return Finding(rule_id, Severity.OK, "No request was cut",
                       f"None of the {sent} requests the probes sent was reset or closed "
                       "before its response.")
    kinds = _cut_kinds(quiet, facts)
    rate = (f"{cut} of {sent} requests {'was' if cut == 1 else 'were'} {kinds} "
            f"({cut / sent:.0%})")
    split = (f"{quiet.cut} of {quiet.sent} single requests on fresh connections, "
             f"{burst_cut} of {burst_sent} in the burst")
    tried = (f" Each cut single request was tried again on a fresh connection (up to "
             f"{facts.run.plan.tries} tries): what the probes measured rests on answered "
             "requests." if quiet.cut else "")
    if cut == sent:
        return Finding(rule_id, Severity.FAIL, "Every request was cut",
                       f"{rate}: the server accepts connections and drops every "
                       f"request.{tried}", RANDOM_RESETS_FIX)
    if quiet.cut == 0:
        return Finding(rule_id, Severity.WARN, "Requests were cut only under the burst",
                       f"{rate}: {split}. Single requests were not cut: load, not "
                       "chance, is the likelier cause (see the burst finding).",
                       RANDOM_RESETS_FIX)
    if cut == 1:
        return Finding(rule_id, Severity.WARN, "A request was cut",
                       f"{rate}: {split}. Once may be chance; a healthy server "
                       f"cuts none.{tried}", RANDOM_RESETS_FIX)
    return Finding(rule_id, Severity.FAIL, "The server cuts requests at random",
                   f"{rate}: {split}. A request on a fresh connection, with no "
                   f"idle time before it, has no reason to fail: users meet the same "
                   f"resets.{tried}", RANDOM_RESETS_FIX)


def _cut_kinds(quiet: RequestTally, facts: Facts) -> str:
    """"reset before any response", or "cut before a complete response (3 reset before any
    response, 1 closed without a response)"."""
    counts = {kind: 0 for kind in TryFailure}
    for failed in quiet.failed:
        counts[failed.failure] += 1
    burst = facts.run.burst
    if burst is not None:
        counts[TryFailure.RESET] += burst.outcomes.get(BurstOutcome.RESET, 0)
        counts[TryFailure.CLOSED] += burst.outcomes.get(BurstOutcome.CLOSED, 0)
    present = {kind: count for kind, count in counts.items() if count}
    if len(present) == 1:
        return next(iter(present)).words
    each = ", ".join(f"{count} {kind.words}" for kind, count in present.items())
    return f"cut before a complete response ({each})"


def _probes_finished(facts: Facts, rule_id: str, title: str) -> Outcome:
    records = list(facts.run.runs.values())
    failed = [r for r in records if r.state is ProbeState.FAILED]
    cut = [r for r in records if r.state is ProbeState.CUT]
    unfinished = [r for r in records if r.state in (ProbeState.PENDING, ProbeState.RUNNING)]
    if not (failed or cut or unfinished):
        return Finding(rule_id, Severity.OK, "Every probe finished", "Nothing was cut short.")
    said = [
        ("Failed", [f"{PROBE_NAMES[r.probe]} ({r.error or 'failed'})" for r in failed]),
        ("Cut short", [f"{PROBE_NAMES[r.probe]} ({r.cut_description()})" for r in cut]),
        ("Not finished", [f"{PROBE_NAMES[r.probe]} ({r.state.value})" for r in unfinished]),
    ]
    detail = " ".join(f"{label}: {'; '.join(names)}." for label, names in said if names)
    return Finding(rule_id, Severity.WARN, "Some probes did not finish",
                   f"{detail} The rules that needed them are listed as not evaluated.",
                   _unfinished_fix(facts.run, failed, cut))


def _unfinished_fix(run: DoctorRun, failed: Sequence[ProbeRun],
                    cut: Sequence[ProbeRun]) -> str | None:
    """Advice for what really happened: a failure is the server's, a cut is the run's."""
    lines = []
    if failed:
        lines.append("Rerun when the cause is fixed; a probe that failed with a network error "
                     "met the same failure users meet.")
    if run.cut_by is CutBy.INTERRUPTED:
        lines.append("Rerun without interrupting to measure the rest: a run takes about one "
                     "idle close.")
    if run.cut_by is CutBy.DEADLINE:
        lines.append("Rerun with a longer --timeout (or none) to measure the rest: a run takes "
                     "about one idle close.")
    if any(r.cut_by is CutBy.DEADLINE for r in cut) and run.cut_by is not CutBy.DEADLINE:
        lines.append("A probe outran its own bound: the server held its requests open (a "
                     "response dripped, or never ended); look at the probe path's handler and "
                     "at the proxy's buffering.")
    return "\n".join(lines) or None


def _probe_path(facts: Facts, rule_id: str, title: str) -> Outcome:
    first = facts.run.keep_alive or facts.run.first_response
    if first is None:
        return Skipped(rule_id, title, "no response")
    path = parse_target(facts.run.plan.url, facts.run.plan.path).path
    if first.status < 400:
        return Finding(rule_id, Severity.OK, "The probe path answers",
                       f"{path} answered {first.status}.")
    return Finding(rule_id, Severity.WARN, f"The probe path answers {first.status}",
                   f"{path} answered {first.status}: the connection measurements hold, but "
                   "error answers can hide the application's own failures.",
                   probe_path_fix(first.status))


def _certificate(facts: Facts, rule_id: str, title: str) -> Outcome:
    timing = facts.run.timing
    if timing is None or timing.tls_info is None:
        return Skipped(rule_id, title, "no TLS")
    days = timing.tls_info.cert_days_left
    if days is None:
        return Skipped(rule_id, title, "the certificate was not verified (--insecure)")
    if days < 0:
        return Finding(rule_id, Severity.FAIL, "The TLS certificate has expired",
                       f"It expired {-days:.1f} days ago.", "Renew the certificate.")
    if days < CERT_WARN_DAYS:
        return Finding(rule_id, Severity.WARN, "The TLS certificate expires soon",
                       f"It expires in {days:.0f} days.", "Renew the certificate.")
    return Finding(rule_id, Severity.OK, "The TLS certificate is valid",
                   f"{timing.tls_info.version}, expires in {days:.0f} days.")


# --- HTTP/2 -----------------------------------------------------------------------------


def _http2(facts: Facts, rule_id: str, title: str) -> Http2Result | Skipped:
    """The HTTP/2 result, or why there is none."""
    result = facts.run.http2
    if result is None:
        return Skipped(rule_id, title, _unfinished(facts, Probe.HTTP2, "the HTTP/2 probe"))
    if not result.speaks_h2:
        return Skipped(rule_id, title, "the edge does not speak HTTP/2 (see alpn)")
    return result


def _h2_idle(facts: Facts, rule_id: str, title: str) -> Http2IdleClose | Skipped:
    result = _http2(facts, rule_id, title)
    if isinstance(result, Skipped):
        return result
    if result.idle_close is None:
        return Skipped(rule_id, title, "no HTTP/2 idle close measured")
    return result.idle_close


def _h2_versus_proxy(facts: Facts, rule_id: str, title: str) -> Outcome:
    """The HTTP/1.1 rule's comparison, on the HTTP/2 idle close (to its GOAWAY)."""
    closed = _h2_idle(facts, rule_id, title)
    if isinstance(closed, Skipped):
        return closed
    outcome = _compare_with_proxy(facts, rule_id, title, closed.seconds, closed.lower_bound,
                                  Probe.HTTP2)
    return _with_guessed_server(facts, outcome)


def _with_guessed_server(facts: Facts, outcome: Outcome) -> Outcome:
    """A fix for an unnamed server made for the stack its behaviour points to, saying what
    that rests on and how sure it is."""
    guess = facts.inference.server if facts.inference else None
    if (not isinstance(outcome, Finding) or outcome.fix is None or guess is None
            or facts.backend_key is not None or guess.fix is None):
        return outcome
    target = facts.proxy_idle.seconds + PROXY_IDLE_MARGIN
    keys = [key for key in (guess.component_key, *guess.alternatives)
            if key in KEEP_ALIVE_FIXES]
    fix = guess.fix  # the guess's own, when no stack of it has a keep-alive fix here
    if len(keys) == 1:
        fix = keep_alive_fix(keys[0], target)
    elif keys:
        fix = "\n".join(f"If it is {COMPONENTS[key].name}:\n{keep_alive_fix(key, target)}"
                        for key in keys)
    return Finding(outcome.id, outcome.severity, outcome.title,
                   f"{outcome.detail} {guessed_words(guess)}", fix)


def guessed_words(guess: Guess) -> str:
    """"The server is likely nginx (its idle close 75.0 s matches ...).": the
    identification, what it rests on, how sure."""
    how = {Confidence.CERTAIN: "is", Confidence.LIKELY: "is likely",
           Confidence.POSSIBLE: "may be"}[guess.confidence]
    basis = "; ".join(guess.basis[:2]) or "its behaviour"
    return (f"The server {how} {guess.name} ({guess.confidence.value}: {basis}); the fix is "
            "for it.")


def _h2_goaway(facts: Facts, rule_id: str, title: str) -> Outcome:
    closed = _h2_idle(facts, rule_id, title)
    if isinstance(closed, Skipped):
        return closed
    if closed.lower_bound:
        return Skipped(rule_id, title, f"no HTTP/2 idle close within {_s(closed.end_after_s)}"
                       + _longer_wait(facts, Probe.HTTP2, closed.end_after_s, "to see it"))
    end = _h2_end_words(closed)
    if closed.goaway is None:
        return Finding(
            rule_id, Severity.WARN, "HTTP/2 idle connections close without GOAWAY",
            f"After {_s(closed.end_after_s)} idle the server {end} with no GOAWAY first: a "
            "client cannot tell a graceful close from a failure, nor which requests the "
            "server processed, and a request sent meanwhile fails with no sign that it is "
            "safe to retry.",
            "Let the server (or the proxy in front) end idle HTTP/2 connections with GOAWAY "
            "NO_ERROR before closing; expire clients' idle connections before "
            f"{_s(closed.end_after_s)}.",
        )
    goaway = closed.goaway
    announced = (f"GOAWAY {goaway.error_name} (last stream {goaway.last_stream_id}) after "
                 f"{_s(closed.seconds)} idle, then {end}")
    if goaway.error_name == "NO_ERROR":
        return Finding(rule_id, Severity.OK, "HTTP/2 idle connections end with GOAWAY",
                       f"{announced}: clients see a graceful close and retry unprocessed "
                       "streams safely.")
    return Finding(
        rule_id, Severity.WARN, f"HTTP/2 idle connections end with GOAWAY {goaway.error_name}",
        f"{announced}: an error code on an idle close makes clients report a failure for "
        "what is a routine close.",
        "End idle connections with GOAWAY NO_ERROR (RFC 9113 §6.8).",
    )


def _h2_end_words(closed: Http2IdleClose) -> str:
    if closed.end is CloseKind.RESET:
        return "reset the connection"
    if closed.end is CloseKind.FIN:
        return "closed it (FIN)"
    return "kept the transport open until the wait ended"


_Part = TypeVar("_Part", PingResult, GoawayRaceResult)


def _measured(facts: Facts, rule_id: str, title: str, part: _Part | None) -> _Part | Skipped:
    """A part of the HTTP/2 probe that has an outcome, or why it has none."""
    if part is not None and part.outcome is not None:
        return part
    if _cut(facts, Probe.HTTP2):
        return Skipped(rule_id, title, _unfinished(facts, Probe.HTTP2, "the HTTP/2 probe"))
    return Skipped(rule_id, title, (part.skipped if part else None) or "not measured")


AWS_ALB_PING_NOTE = ("AWS ALB documents that HTTP/2 PING frames do not keep an idle "
                     "connection alive")


def _h2_ping(facts: Facts, rule_id: str, title: str) -> Outcome:
    result = _http2(facts, rule_id, title)
    if isinstance(result, Skipped):
        return result
    ping = _measured(facts, rule_id, title, result.ping)
    if isinstance(ping, Skipped):
        return ping
    sent = f"{ping.pings_sent} PING{'s' if ping.pings_sent != 1 else ''}"
    reference = (f" (the idle connection's close: {_s(ping.reference_close_s)})"
                 if ping.reference_close_s is not None else "")
    if ping.outcome is PingOutcome.KEPT_ALIVE:
        return Finding(rule_id, Severity.INFO, "PINGs keep HTTP/2 connections alive here",
                       f"A connection sent {sent} stayed open {_s(ping.open_for_s or 0.0)}, "
                       f"past the idle close{reference}. A front door may differ: "
                       f"{AWS_ALB_PING_NOTE}.")
    ended = ("with a reset" if ping.end is CloseKind.RESET and ping.goaway is None
             else "as if idle")
    severity = Severity.WARN if ended == "with a reset" else Severity.INFO
    return Finding(
        rule_id, severity, "PINGs do not keep HTTP/2 connections alive",
        f"A connection sent {sent} was closed {ended} after {_s(ping.open_for_s or 0.0)}"
        f"{reference}: client PING keep-alive (gRPC keepalive, HTTP/2 health checks) is no "
        f"substitute for the server's idle timeout ({AWS_ALB_PING_NOTE}).",
        "Expire clients' idle HTTP/2 connections before the server's idle close, rather "
        "than keeping them open with PINGs.",
    )


def _h2_goaway_race(facts: Facts, rule_id: str, title: str) -> Outcome:
    result = _http2(facts, rule_id, title)
    if isinstance(result, Skipped):
        return result
    race = _measured(facts, rule_id, title, result.goaway_race)
    if isinstance(race, Skipped):
        return race
    if race.outcome in (GoawayRaceOutcome.NO_GOAWAY, GoawayRaceOutcome.NO_ANSWER,
                        GoawayRaceOutcome.ERROR):
        why = race.failure.message if race.failure else str(race.outcome)
        return Skipped(rule_id, title, f"no answer to judge ({why}; see h2-goaway)")
    what = _race_words(race)
    if race.outcome is GoawayRaceOutcome.RESPONSE:
        return Finding(rule_id, Severity.OK, "A request crossing GOAWAY was answered",
                       f"{what}: the server answered it ({race.status}).")
    if race.safe_to_retry:
        return Finding(rule_id, Severity.OK, "A request crossing GOAWAY is safe to retry",
                       f"{what}: {race.outcome}, not processed (RFC 9113 §6.8): "
                       "clients retry it on a new connection.")
    return Finding(
        rule_id, Severity.FAIL, "Requests crossing GOAWAY are lost",
        f"{what}: {race.outcome}"
        + (f" ({race.reset_code})" if race.reset_code else "")
        + " on a stream the server had accepted (at or below the GOAWAY's last stream id): "
        "the client cannot know whether it was processed, so it must not retry a POST; "
        "users see an error.",
        "Refuse streams the server will not process with RST_STREAM REFUSED_STREAM, and "
        "keep the connection open after GOAWAY until accepted streams are answered "
        "(a graceful shutdown: nginx, hypercorn and Node's http2 do).",
    )


def _race_words(race: GoawayRaceResult) -> str:
    last = (f" (last stream {race.goaway.last_stream_id})" if race.goaway else "")
    return (f"A request sent on stream {race.stream_id} as GOAWAY{last} arrived "
            f"(after {_s(race.goaway_after_s or 0.0)} idle)")


def _alpn(facts: Facts, rule_id: str, title: str) -> Outcome:
    result = facts.run.http2
    if result is None:
        return Skipped(rule_id, title, _unfinished(facts, Probe.HTTP2, "the HTTP/2 probe"))
    if not result.speaks_h2 and result.h2c:
        return Finding(rule_id, Severity.INFO, "The server does not speak h2c",
                       f"HTTP/2 with prior knowledge on plain TCP: {result.skipped}. "
                       "Common and no fault: clients speak HTTP/1.1 to it, so the HTTP/1.1 "
                       "findings are the ones that matter.")
    if not result.speaks_h2:
        return Finding(rule_id, Severity.INFO, "The edge does not speak HTTP/2 to this client",
                       f"{result.skipped}. Browsers and `httpx[http2]` use HTTP/1.1 here: the "
                       "HTTP/1.1 findings are the ones that matter.")
    if result.h2c:
        return Finding(rule_id, Severity.OK, "The server speaks HTTP/2 (h2c)",
                       "HTTP/2 with prior knowledge on plain TCP.")
    offered = ", ".join(result.alpn_offered)
    return Finding(rule_id, Severity.OK, "The edge speaks HTTP/2",
                   f"ALPN selected {result.alpn_selected} (offered {offered}).")


RULES: tuple[Rule, ...] = (
    Rule("probes-finished", "Every probe finished", _probes_finished),
    Rule("probe-path", "The probe path answers without an error", _probe_path),
    Rule("keepalive-persistent", "The server keeps connections alive", _persistent),
    Rule("keepalive-header", "The Keep-Alive header tells the truth", _advertised),
    Rule("idle-close-vs-proxy", "Idle connections outlast the proxy's idle timeout",
         _versus_proxy),
    Rule("client-pool-expiry", "Client pools expire idle connections first", _client_expiry),
    Rule("idle-close-kind", "Idle connections end with a FIN, not a reset", _close_kind),
    Rule("reuse-race", "Reused idle connections fail only after the close", _race),
    Rule("requests-per-connection", "Connections end with a warning", _requests),
    Rule("headers-timeout", "The headers timeout exceeds the keep-alive", _headers_timeout),
    Rule("request-timeout", "The request timeout answers 408", _request_timeout),
    Rule("burst", "A small burst succeeds", _burst),
    Rule("random-resets", "Requests are not cut at random", _random_resets),
    Rule("tls-certificate", "The TLS certificate is valid", _certificate),
)


HTTP2_RULES: tuple[Rule, ...] = (
    Rule("alpn", "The edge speaks HTTP/2", _alpn),
    Rule("h2-idle-close-vs-proxy", "HTTP/2 idle connections outlast the proxy's idle timeout",
         _h2_versus_proxy),
    Rule("h2-goaway", "HTTP/2 idle connections end with GOAWAY NO_ERROR", _h2_goaway),
    Rule("h2-ping-keepalive", "What PINGs do to an idle HTTP/2 connection", _h2_ping),
    Rule("h2-goaway-race", "A request crossing GOAWAY is safe to retry", _h2_goaway_race),
)
# The rules that stand without the HTTP/1.1 probes (--http2: only the preflight ran).
GENERAL_RULES = ("probes-finished", "probe-path")


def rules_for(run: DoctorRun) -> tuple[Rule, ...]:
    """The rules a run's plan can decide: the HTTP/2 ones only when its probe was planned,
    the HTTP/1.1 ones only when theirs were."""
    plan = run.plan
    rules = RULES if plan.http1 else tuple(r for r in RULES if r.id in GENERAL_RULES)
    return rules + (HTTP2_RULES if plan.http2_skip_reason is None else ())


def evaluate(facts: Facts, rules: Sequence[Rule] | None = None) -> tuple[Outcome, ...]:
    chosen = rules_for(facts.run) if rules is None else rules
    return tuple(_guarded(rule, facts) for rule in chosen)


def _guarded(rule: Rule, facts: Facts) -> Outcome:
    """A rule that breaks on measurements it did not foresee is reported as not evaluated:
    the rest of the report, and what was measured, still reach the user."""
    try:
        return rule(facts)
    except Exception as exc:
        return Skipped(rule.id, rule.title,
                       f"could not be evaluated ({type(exc).__name__}: {exc}); please report it")


def verdict(outcomes: Sequence[Outcome]) -> Severity:
    severities = [o.severity for o in outcomes
                  if isinstance(o, Finding) and o.severity is not Severity.INFO]
    return max(severities, key=lambda severity: severity.rank, default=Severity.OK)
