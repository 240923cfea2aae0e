"""`seatctl monitor --metrics ADDR`: the run's counters as Prometheus metrics, for someone
who scrapes a long run.

    server = start_metrics(run, ":9464")   # UsageError for a bad ADDR or a busy port
    server.url                             # http://127.0.0.1:9464/metrics (the bound port)
    server.exposed                         # True: listening beyond loopback (warn the user)
    server.close()

Served with the official client library from its own thread, on a registry of its own
(never the process-wide one). Every value is read from the MonitorRun when Prometheus
scrapes, so the run needs no hook: its counters only grow and its latencies are only
appended, which is what a scrape from another thread may read while the loop writes.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from seatctl.errors import UsageError
from seatctl.monitor.incidents import IncidentClass

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from wsgiref.simple_server import WSGIServer

    from seatctl.monitor.run import MonitorRun

DEFAULT_HOST = "127.0.0.1"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)
# A request's outcome when it was not a quick answer: the classes one request meets (a new
# server identity accompanies an answer; a gap's end accompanies one).
REQUEST_OUTCOMES = tuple(kind for kind in IncidentClass if kind not in (
    IncidentClass.SERVER_CHANGED, IncidentClass.GAP_ENDED))
ADDRESS_HINT = "give --metrics HOST:PORT or :PORT (port 0 picks a free one), e.g. :9464"


@dataclass(frozen=True)
class MetricsAddress:
    host: str
    port: int

    @property
    def exposed(self) -> bool:
        """Listening beyond this machine: anyone who reaches the port reads the run."""
        if self.host == "localhost":
            return False
        try:
            return not ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return True  # a host name: it may resolve to anything


def parse_metrics_address(address: str) -> MetricsAddress:
    """`HOST:PORT`, `[IPv6]:PORT` or `:PORT` (the host then 127.0.0.1); UsageError else."""
    host, colon, port_text = address.strip().rpartition(":")
    if not colon or not port_text.isdigit() or int(port_text) > 65535:
        raise UsageError(f"invalid --metrics {address!r}: expected HOST:PORT or :PORT with a "
                         "port 0..65535", hint=ADDRESS_HINT)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if any(character.isspace() or character in "/[]@" for character in host):
        raise UsageError(f"invalid --metrics {address!r}: {host!r} is not a host name or IP "
                         "address", hint=ADDRESS_HINT)
    return MetricsAddress(host or DEFAULT_HOST, int(port_text))


class MetricsServer:
    """The running endpoint; `close()` stops it and releases the port."""

    def __init__(self, server: WSGIServer, thread: threading.Thread, address: MetricsAddress
                 ) -> None:
        self._server = server
        self._thread = thread
        self.address = MetricsAddress(address.host, server.server_address[1])

    @property
    def url(self) -> str:
        host = self.address.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.address.port}/metrics"

    @property
    def exposed(self) -> bool:
        return self.address.exposed

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_metrics(run: MonitorRun, address: str) -> MetricsServer:
    """Serve `run`'s metrics on `address` until `close()`."""
    parsed = parse_metrics_address(address)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunCollector(run))
    try:
        server, thread = start_http_server(parsed.port, addr=parsed.host, registry=registry)
    except OSError as exc:
        raise UsageError(f"cannot serve --metrics on {address!r}: {exc.strerror or exc}",
                         hint="pick another port, or :0 for a free one") from None
    server.set_app(_only_metrics(server.get_app()))  # before anyone is told the port
    return MetricsServer(server, thread, parsed)


WsgiApp = Any  # wsgiref's WSGIApplication, a name only type checkers know


def _only_metrics(app: WsgiApp) -> WsgiApp:
    """`app` on /metrics; 404 on any other path (the client library serves every path)."""
    def only_metrics(environ: dict[str, Any], start_response: Callable[..., Any]
                     ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/metrics":
            result: Iterable[bytes] = app(environ, start_response)
            return result
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Not found: the metrics are at /metrics\n"]

    return only_metrics


class RunCollector(Collector):
    """The metrics of one run, computed at each scrape. The latency histogram's buckets are
    counted incrementally: only the latencies appended since the last scrape are read."""

    def __init__(self, run: MonitorRun) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._seen = 0
        self._bucket_counts = [0] * (len(LATENCY_BUCKETS) + 1)  # the last: above 10 s
        self._latency_sum = 0.0
        self._outcome_floor: dict[str, int] = {}

    def collect(self) -> Iterator[Metric]:
        run = self._run
        # Counts per class first: the run counts a request before its incidents, so what
        # is read after them can only be ahead (see _outcomes).
        by_class = dict(run.by_class)
        answered, requests = run.answered, run.requests
        outcomes = CounterMetricFamily("seatctl_monitor_requests", "Requests sent, by outcome: "
                                       "ok, or the incident class the request met.",
                                       labels=["outcome"])
        for outcome, count in self._outcomes(requests, answered, by_class).items():
            outcomes.add_metric([outcome], count)
        yield outcomes
        incidents = CounterMetricFamily("seatctl_monitor_incidents",
                                        "Incidents seen, by class.", labels=["class"])
        for kind in IncidentClass:
            incidents.add_metric([kind.value], by_class.get(kind.value, 0))
        yield incidents
        yield CounterMetricFamily("seatctl_monitor_errors", "Incidents that count against "
                                  "--max-errors.", value=run.errors)
        yield CounterMetricFamily("seatctl_monitor_gaps", "Gaps with nothing listening that "
                                  "ended.", value=len(run.gaps))
        yield self._latency()
        idle = GaugeMetricFamily("seatctl_monitor_idle_close_seconds", "The server's idle "
                                 "close the samples are spread around, and where it comes "
                                 "from: given, advertised, assumed.", labels=["source"])
        idle.add_metric([run.idle_close_source], run.idle_close)
        yield idle
        yield GaugeMetricFamily("seatctl_monitor_open_connections_max", "The most "
                                "connections open at once so far.",
                                value=run.max_open_connections)

    def _outcomes(self, requests: int, answered: int, by_class: dict[str, int]
                  ) -> dict[str, int]:
        """Each request once: the class of the incident it met (every class but refused
        counts one incident per request), refused for the failures left (a gap counts one
        incident however many requests it refuses), ok for the quick answers below 400.
        A scrape in the middle of a request's recording can see it counted but not yet
        classed; each value is kept from going down, so no scrape looks like a reset."""
        counts = {"ok": answered - by_class.get(IncidentClass.SLOW.value, 0)}
        for kind in REQUEST_OUTCOMES:
            counts[kind.value] = by_class.get(kind.value, 0)
        classed_failures = sum(by_class.get(kind.value, 0) for kind in REQUEST_OUTCOMES
                               if kind not in (IncidentClass.SLOW, IncidentClass.REFUSED))
        counts[IncidentClass.REFUSED.value] = requests - answered - classed_failures
        with self._lock:
            for outcome, count in counts.items():
                self._outcome_floor[outcome] = max(self._outcome_floor.get(outcome, 0), count)
            return dict(self._outcome_floor)

    def _latency(self) -> HistogramMetricFamily:
        with self._lock:
            latencies = self._run.latencies
            end = len(latencies)
            for seconds in latencies[self._seen:end]:
                self._bucket_counts[_bucket_index(seconds)] += 1
                self._latency_sum += seconds
            self._seen = end
            buckets, running = [], 0
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), self._bucket_counts,
                                    strict=True):
                running += count
                buckets.append((_bound_label(bound), float(running)))
            total = self._latency_sum
        return HistogramMetricFamily("seatctl_monitor_latency_seconds", "Time from a request "
                                     "sent to its response complete.", buckets=buckets,
                                     sum_value=total)


def _bucket_index(seconds: float) -> int:
    return next((index for index, bound in enumerate(LATENCY_BUCKETS) if seconds <= bound),
                len(LATENCY_BUCKETS))


def _bound_label(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)
