"""`--metrics ADDR`: the address's rules, and a real endpoint scraped over a MonitorRun fed
with recorded samples."""

from __future__ import annotations

import socket

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from seatctl.diagnostics.failures import FailureKind
from seatctl.diagnostics.results import RawResponse
from seatctl.errors import UsageError
from seatctl.monitor.incidents import Failure
from seatctl.monitor.metrics import MetricsAddress, parse_metrics_address, start_metrics
from seatctl.monitor.plan import MonitorPlan
from seatctl.monitor.run import MonitorRun
from seatctl.monitor.sampler import Sample

Values = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def answer(started: float, seconds: float) -> Sample:
    response = RawResponse(status=200, http_version="HTTP/1.1",
                           headers=(("keep-alive", "timeout=5"), ("content-length", "2")),
                           body_bytes=2, sent_at=started, first_byte_at=started + seconds,
                           ended_at=started + seconds, keeps_alive=True)
    return Sample(started, "GET", "/health", reused=False, connection_age=0.0, idle=0.0,
                  response=response)


def failure(started: float, kind: FailureKind, *, reused: bool = False) -> Sample:
    return Sample(started, "GET", "/health", reused=reused, connection_age=3.0 if reused else 0,
                  idle=0.1 if reused else 0.0, failure=Failure(kind, f"{kind} by the peer"))


def recorded_run() -> MonitorRun:
    run = MonitorRun(MonitorPlan(url="http://127.0.0.1:9"))
    for sample in (answer(0.0, 0.0004), answer(0.1, 0.003), answer(0.2, 0.2),
                   failure(0.3, FailureKind.RESET, reused=True), failure(0.4, FailureKind.REFUSED),
                   failure(0.5, FailureKind.REFUSED), answer(0.9, 12.0)):
        run.record(sample)
    return run


def scrape(url: str) -> Values:
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


@pytest.mark.parametrize(("given", "expected"), [
    (":9464", MetricsAddress("127.0.0.1", 9464)),
    (":0", MetricsAddress("127.0.0.1", 0)),
    ("0.0.0.0:9100", MetricsAddress("0.0.0.0", 9100)),
    ("[::1]:9100", MetricsAddress("::1", 9100)),
    ("localhost:80", MetricsAddress("localhost", 80)),
])
def test_metrics_address_forms(given: str, expected: MetricsAddress) -> None:
    assert parse_metrics_address(given) == expected


@pytest.mark.parametrize("given", ["9464", "host:", ":http", ":65536", "a b:1", ":-1", ""])
def test_a_bad_metrics_address_is_a_usage_error(given: str) -> None:
    with pytest.raises(UsageError, match="invalid --metrics"):
        parse_metrics_address(given)


def test_only_an_explicit_non_loopback_host_is_exposed() -> None:
    assert not parse_metrics_address(":9464").exposed
    assert not parse_metrics_address("127.0.0.2:1").exposed
    assert not parse_metrics_address("[::1]:1").exposed
    assert not parse_metrics_address("localhost:1").exposed
    assert parse_metrics_address("0.0.0.0:1").exposed
    assert parse_metrics_address("metrics.example:1").exposed


def test_the_endpoint_serves_the_runs_counters_latencies_and_idle_close() -> None:
    run = recorded_run()
    server = start_metrics(run, ":0")
    try:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/metrics")
        assert not server.exposed
        values = scrape(server.url)
    finally:
        server.close()
    outcomes = {labels[0][1]: value for (name, labels), value in values.items()
                if name == "seatctl_monitor_requests_total"}
    assert outcomes["ok"] == 3  # the 0.2 s answer too: --slow is 1 s
    assert outcomes["slow"] == 1
    assert outcomes["dropped"] == 1
    assert outcomes["refused"] == 2  # every refused request, though the gap is one incident
    assert outcomes["gateway"] == outcomes["timeout"] == outcomes["tls"] == 0
    assert "server-changed" not in outcomes and "gap-ended" not in outcomes
    assert sum(outcomes.values()) == 7
    incidents = {labels[0][1]: value for (name, labels), value in values.items()
                 if name == "seatctl_monitor_incidents_total"}
    assert incidents["dropped"] == 1
    assert incidents["refused"] == 1  # one gap: counted when it opens
    assert incidents["gap-ended"] == 1
    assert incidents["slow"] == 1
    assert incidents["tls"] == 0  # every class present from the start, for rate()
    assert values[("seatctl_monitor_errors_total", ())] == 2
    assert values[("seatctl_monitor_gaps_total", ())] == 1
    assert values[("seatctl_monitor_latency_seconds_bucket", (("le", "0.001"),))] == 1
    assert values[("seatctl_monitor_latency_seconds_bucket", (("le", "0.005"),))] == 2
    assert values[("seatctl_monitor_latency_seconds_bucket", (("le", "10.0"),))] == 3
    assert values[("seatctl_monitor_latency_seconds_bucket", (("le", "+Inf"),))] == 4
    assert values[("seatctl_monitor_latency_seconds_count", ())] == 4
    assert values[("seatctl_monitor_latency_seconds_sum", ())] == pytest.approx(12.2034)
    assert values[("seatctl_monitor_idle_close_seconds", (("source", "advertised"),))] == 5


def test_a_later_scrape_sees_what_the_run_recorded_since() -> None:
    run = recorded_run()
    server = start_metrics(run, "127.0.0.1:0")
    try:
        scrape(server.url)
        run.record(answer(1.0, 0.02))
        run.record(failure(1.1, FailureKind.RESET))
        values = scrape(server.url)
    finally:
        server.close()
    assert values[("seatctl_monitor_latency_seconds_count", ())] == 5
    assert values[("seatctl_monitor_latency_seconds_bucket", (("le", "0.025"),))] == 3
    assert values[("seatctl_monitor_incidents_total", (("class", "cut"),))] == 1


def test_outcomes_per_request_class_after_more_samples() -> None:
    run = recorded_run()
    server = start_metrics(run, ":0")
    try:
        scrape(server.url)
        run.record(failure(1.0, FailureKind.TIMEOUT))
        run.record(failure(1.1, FailureKind.TLS))
        run.record(failure(1.2, FailureKind.REFUSED))  # a second gap: after an answer
        values = scrape(server.url)
    finally:
        server.close()
    outcome = {labels[0][1]: value for (name, labels), value in values.items()
               if name == "seatctl_monitor_requests_total"}
    assert (outcome["timeout"], outcome["tls"], outcome["refused"]) == (1, 1, 3)
    assert sum(outcome.values()) == run.requests == 10


@pytest.mark.parametrize("path", ["/", "/anything-else", "/metrics/x", "/favicon.ico"])
def test_only_metrics_is_served(path: str) -> None:
    server = start_metrics(recorded_run(), ":0")
    try:
        response = httpx.get(server.url.removesuffix("/metrics") + path, timeout=5)
    finally:
        server.close()
    assert response.status_code == 404
    assert "seatctl_monitor" not in response.text


def test_close_releases_the_port() -> None:
    server = start_metrics(recorded_run(), ":0")
    port = server.address.port
    server.close()
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url, timeout=2)
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))


def test_a_busy_port_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(UsageError, match="cannot serve --metrics"):
            start_metrics(recorded_run(), f":{taken.getsockname()[1]}")


def test_the_process_wide_registry_is_left_alone() -> None:
    from prometheus_client import REGISTRY

    server = start_metrics(recorded_run(), ":0")
    server.close()
    assert REGISTRY.get_sample_value("seatctl_monitor_errors_total") is None
