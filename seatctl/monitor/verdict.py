"""The end of a run: each incident class in one sentence, its fix where the cause is known,
and whether the run passes (--max-errors, --max-gap). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seatctl.monitor.incidents import Incident, IncidentClass
from seatctl.monitor.plan import MonitorPlan
from seatctl.monitor.run import Snapshot

DRAIN_FIX = """\
Drain before exiting: on SIGTERM stop accepting, answer in-flight requests with
`Connection: close`, and close idle connections only after they are done.
  Node/Express:  process.on('SIGTERM', () => { server.close(); server.closeIdleConnections(); });
                 (never server.closeAllConnections() while requests are in flight)
  uvicorn:       uvicorn app:app --timeout-graceful-shutdown 30
  gunicorn:      gunicorn --graceful-timeout 30 app:app  (and send SIGTERM, not SIGKILL)
  reference:     seatctl serve --shutdown graceful"""
GAP_FIX = """\
Keep an instance serving until its replacement is ready: a readiness check that passes only
once the new process answers, and a deregistration delay (connection draining) on the load
balancer longer than the old process's drain, so nothing is sent to a port that is closing."""
RACE_FIX = """\
Keep the server's idle timeout above every client's and proxy's pool expiry; `seatctl doctor
URL` measures the idle close and prints the exact settings for the server it identifies."""

READINESS_FIX = """\
Send an instance traffic only once it is ready: point the load balancer's health check
(or a Kubernetes readinessProbe) at a path that answers 200 only when the application can
serve, add the instance only after that check passes, and take it out before it stops.
  Kubernetes:  readinessProbe: {httpGet: {path: /health, port: 8080}, periodSeconds: 2}
  AWS ALB:     aws elbv2 modify-target-group --target-group-arn ARN --health-check-path /health"""

# In the order a gateway verdict names them: the application's 503s first.
KNOWN_FIXES = (READINESS_FIX, DRAIN_FIX, GAP_FIX, RACE_FIX)

SENTENCES: dict[IncidentClass, str] = {
    IncidentClass.KEEP_ALIVE_RACE: "A reused connection was cut as the request was sent, "
        "near the server's idle close: the keep-alive race a pooling client or proxy meets "
        "as ECONNRESET or a 502.",
    IncidentClass.DROPPED: "A reused connection was cut long before its idle close: the "
        "server dropped connections it held instead of draining them (a restart that "
        "closes or resets open connections).",
    IncidentClass.CUT: "A fresh connection (or a response under way) was cut: a process "
        "going away with requests in flight.",
    IncidentClass.REFUSED: "Connections were refused: nothing listened on the port for a "
        "while, a gap between the old process and the new one.",
    IncidentClass.GAP_ENDED: "A gap ended when the port answered again.",
    IncidentClass.TLS: "The TLS handshake failed.",
    IncidentClass.TIMEOUT: "A phase of a request ran out of time: a server too busy or "
        "hung, or packets dropped.",
    IncidentClass.DNS: "The host name stopped resolving.",
    # Used when no gateway incident was kept to say who sent them (see gateway_words).
    IncidentClass.GATEWAY: "A gateway error (502/503/504): whoever sent it could not get "
        "an answer from the server behind it, or the server said it is not ready.",
    IncidentClass.ERROR_STATUS: "The probe path answered with an error status.",
    IncidentClass.SLOW: "Answers slower than --slow: a server under load, warming up, or "
        "queueing requests.",
    IncidentClass.SERVER_CHANGED: "A new server identity answered (Server, X-Powered-By or "
        "the instance header): a new version or instance took traffic.",
    IncidentClass.OTHER: "Requests failed in another way (see the incidents).",
}
FIXES: dict[IncidentClass, str] = {
    IncidentClass.DROPPED: DRAIN_FIX,
    IncidentClass.CUT: DRAIN_FIX,
    IncidentClass.REFUSED: GAP_FIX,
    IncidentClass.KEEP_ALIVE_RACE: RACE_FIX,
}


@dataclass(frozen=True)
class ClassVerdict:
    kind: IncidentClass
    count: int
    sentence: str
    fix: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"class": self.kind.value, "count": self.count, "explanation": self.sentence,
                "fix": self.fix}


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: tuple[str, ...]  # why it failed; empty when it passed
    classes: tuple[ClassVerdict, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reasons": list(self.reasons),
                "classes": [verdict.as_dict() for verdict in self.classes]}


def judge(snapshot: Snapshot, plan: MonitorPlan) -> Verdict:
    reasons = []
    if snapshot.errors > plan.max_errors:
        reasons.append(f"{snapshot.errors} error incident{'s' * (snapshot.errors != 1)}, "
                       f"more than --max-errors {plan.max_errors}")
    longest = snapshot.longest_gap
    if plan.max_gap is not None and longest is not None and longest > plan.max_gap:
        reasons.append(f"a gap of {longest:.2f} s with nothing listening, longer than "
                       f"--max-gap {plan.max_gap:g} s")
    if not snapshot.answered and not reasons and (snapshot.requests
                                                  or snapshot.unanswered_at_end):
        reasons.append("no request was answered")
    classes = tuple(_class_verdict(kind, snapshot) for kind in IncidentClass
                    if snapshot.by_class.get(kind.value) and kind is not IncidentClass.GAP_ENDED)
    return Verdict(passed=not reasons, reasons=tuple(reasons), classes=classes)


def _class_verdict(kind: IncidentClass, snapshot: Snapshot) -> ClassVerdict:
    count = snapshot.by_class[kind.value]
    if kind is IncidentClass.GATEWAY:
        sentence, fix = gateway_words(snapshot.incidents)
        return ClassVerdict(kind, count, sentence, fix)
    return ClassVerdict(kind, count, SENTENCES[kind], FIXES.get(kind))


def gateway_words(incidents: Sequence[Incident]) -> tuple[str, str]:
    """The gateway class's sentence and fix, from who sent its answers: a 503 the
    application wrote is an instance taking traffic before it is ready; anything a proxy
    (or an unnamed sender) wrote is a proxy that met a backend gone or not there yet."""
    from_application, from_proxy = _gateway_statuses(incidents)
    proxy_fix = DRAIN_FIX + "\n" + GAP_FIX
    if from_application and not from_proxy:
        return (f"{_statuses(from_application)} the application itself sent: an instance "
                "took traffic before it was ready.", READINESS_FIX)
    if from_proxy and not from_application:
        return (f"{_statuses(from_proxy)} {PROXY_MEANING}", proxy_fix)
    if from_application and from_proxy:
        return (f"Gateway errors from two senders. {_statuses(from_application)} the "
                "application itself sent: an instance took traffic before it was ready "
                f"(the first fix, readiness). {_statuses(from_proxy)} {PROXY_MEANING} "
                "(the other fixes, drain and the gap).", READINESS_FIX + "\n" + proxy_fix)
    return SENTENCES[IncidentClass.GATEWAY], READINESS_FIX + "\n" + proxy_fix


PROXY_MEANING = ("a proxy in front of the application sent: it met a backend that went "
                 "away or was not there yet (a process exiting without draining, or a gap "
                 "before its replacement).")


def _gateway_statuses(incidents: Sequence[Incident]) -> tuple[list[int], list[int]]:
    """The statuses of the kept gateway incidents: the application's, everyone else's."""
    from_application: list[int] = []
    from_proxy: list[int] = []
    for incident in incidents:
        if incident.kind is not IncidentClass.GATEWAY or incident.status is None:
            continue
        sender = incident.sender or ""
        mine = sender.startswith("the application")
        (from_application if mine else from_proxy).append(incident.status)
    return from_application, from_proxy


def _statuses(statuses: list[int]) -> str:
    """`The 503s`, `The 502s and 504s`: the statuses seen, each once."""
    seen = sorted(set(statuses))
    named = " and ".join(f"{status}s" for status in seen)
    return f"The {named}"


def exit_status(verdict: Verdict, snapshot: Snapshot) -> int:
    """The command's failure first (it says the deploy itself failed), then the verdict
    (1), then an interrupted run that passed (130), else 0."""
    if snapshot.command_status:
        return snapshot.command_status
    if not verdict.passed:
        return 1
    return 130 if snapshot.interrupted else 0
