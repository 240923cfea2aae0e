"""`seatctl doctor` against the servers the reference server cannot play: TLS (trusted
through the CA bundle, or not), a server that ends idle connections with a reset, and a
backend measured directly with --origin; plus the live progress frame."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console

from seatctl.diagnostics.doctor import DoctorPlan, DoctorRun, Probe, ProbeState
from seatctl.render.doctor import _progress_frame
from seatctl.server import ConnectionTimeouts
from tests.conftest import StartServer
from tests.diagnostics.conftest import RESET_AFTER, assert_close_to
from tests.helpers import Cli


def doctor(cli: Cli, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    outcome = cli("doctor", "--json", "--quick", "--max-wait", "2", *args, env=env)
    assert outcome.exit_code in (0, 1), str(outcome)
    document: dict[str, Any] = json.loads(outcome.stdout)
    return document


def found(document: dict[str, Any]) -> dict[str, str]:
    return {finding["id"]: finding["severity"] for finding in document["findings"]}


def test_tls_is_timed_and_its_certificate_checked(cli: Cli, tls_server: str, ca_pem: Path
                                                  ) -> None:
    document = doctor(cli, tls_server, env={"SEATCTL_CA_BUNDLE": str(ca_pem)})
    timing = document["probes"]["timing"]
    assert timing["tls_s"]["p50"] > 0
    assert timing["tls"]["version"].startswith("TLSv1.")
    assert timing["tls"]["alpn"] == "http/1.1"
    assert timing["tls"]["cert_days_left"] > 0
    assert found(document)["tls-certificate"] == "ok"
    assert_close_to(document["probes"]["keepalive"]["idle_close_s"], 0.3)


def test_an_untrusted_certificate_is_refused_unless_insecure(cli: Cli, tls_server: str) -> None:
    outcome = cli("doctor", tls_server, "--quick", "--max-wait", "1")
    assert outcome.exit_code == 6, str(outcome)
    assert "certificate" in outcome.stderr
    document = doctor(cli, tls_server, "--insecure")
    assert document["probes"]["timing"]["tls"]["cert_days_left"] is None
    assert {s["id"]: s["reason"] for s in document["skipped"]}["tls-certificate"].endswith(
        "(--insecure)")


def test_an_idle_reset_is_measured_and_found(cli: Cli, reset_server: str) -> None:
    document = doctor(cli, reset_server)
    keepalive = document["probes"]["keepalive"]
    assert keepalive["close_kind"] == "reset"
    assert_close_to(keepalive["idle_close_s"], RESET_AFTER)
    assert found(document)["idle-close-kind"] == "warn"
    assert "reset" in document["probes"]["race"]["failures"]


def test_the_origin_is_compared_with_the_proxys_idle_timeout(
    cli: Cli, start_server: StartServer,
) -> None:
    front = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=3.0,
                                                     advertised_keep_alive=3.0))
    origin = start_server(timeouts=ConnectionTimeouts(keep_alive_timeout=0.4,
                                                      advertised_keep_alive=0.4))
    document = doctor(cli, front.url, "--origin", origin.url, "--lb-idle-timeout", "1")
    assert document["origin"] == origin.url
    assert 0.4 - 0.02 <= document["probes"]["origin"]["idle_close_s"] < 1.0
    finding = next(f for f in document["findings"] if f["id"] == "idle-close-vs-proxy")
    assert finding["severity"] == "fail"
    assert finding["detail"].startswith("The origin closed an idle connection after 0.")
    assert document["verdict"] == "fail"


def test_the_progress_frame_names_each_probe_and_its_clock() -> None:
    now = [100.0]
    run = DoctorRun(DoctorPlan(url="http://127.0.0.1:9", quick=True), clock=lambda: now[0])
    run.runs[Probe.KEEPALIVE].state = ProbeState.RUNNING
    run.runs[Probe.KEEPALIVE].started_at = 100.0
    now[0] = 112.5
    console = Console(width=120, record=True, color_system=None)
    console.print(_progress_frame(run))
    text = console.export_text()
    assert "waiting for the server to close an idle connection" in text
    assert "12.5 / 80 s" in text  # the wait, after the race's stagger
    assert "slow_client" in text and "skipped" in text
