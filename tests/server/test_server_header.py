"""`seatctl serve --server-header`: the reference server imitates another server's name (or
sends none), so the doctor's identification is tested on what it would meet."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from seatctl.diagnostics.doctor import run_doctor
from seatctl.diagnostics.identify import Confidence
from seatctl.diagnostics.report import Report, build_report
from seatctl.diagnostics.runs import DoctorPlan, DoctorRun
from seatctl.errors import UsageError
from seatctl.server import ConnectionTimeouts
from seatctl.server.config import REFERENCE_SERVER_HEADER
from seatctl.server.options import ServeOptions, build_config
from tests.conftest import StartServer
from tests.helpers import Cli

# Node's default, scaled down: `Keep-Alive: timeout=1`, the idle close one second later.
NODE_LIKE = ConnectionTimeouts(keep_alive_timeout=2.0, advertised_keep_alive=1.0)


def server_header(url: str, path: str = "/health") -> str | None:
    value: str | None = httpx.get(url + path).headers.get("server")
    return value


def test_the_header_is_seatctls_by_default_another_when_told_or_none(
        start_server: StartServer) -> None:
    assert server_header(start_server().url) == REFERENCE_SERVER_HEADER
    assert server_header(start_server(server_header="nginx/1.25.3").url) == "nginx/1.25.3"
    quiet = start_server(server_header=None).url
    assert server_header(quiet) is None
    assert server_header(quiet, "/api/events/nope") is None  # on errors too


def test_the_doctor_names_an_imitated_server_from_its_header(start_server: StartServer
                                                            ) -> None:
    server = start_server(server_header="uvicorn", timeouts=NODE_LIKE)
    report = doctor(server.url)
    assert report.inference is not None and report.inference.server is not None
    assert report.inference.server.component_key == "uvicorn"
    assert report.inference.server.confidence is Confidence.CERTAIN


def test_without_a_header_the_doctor_names_node_from_its_behaviour(start_server: StartServer
                                                                   ) -> None:
    server = start_server(server_header=None, timeouts=NODE_LIKE)
    report = doctor(server.url)
    assert report.inference is not None and report.inference.server is not None
    assert report.inference.server.component_key == "node"
    assert report.inference.server.confidence is Confidence.LIKELY


def doctor(url: str) -> Report:
    run = DoctorRun(DoctorPlan(url=url, quick=True, max_wait=4.0))
    asyncio.run(run_doctor(run))
    return build_report(run)


@pytest.mark.parametrize("value", [" nginx", "nginx\x07", "nginx/é"])
def test_a_header_that_cannot_be_sent_is_refused(value: str) -> None:
    with pytest.raises(UsageError, match="invalid --server-header"):
        build_config(ServeOptions(server_header=value), {})


def test_the_option_is_on_the_command_line(cli: Cli) -> None:
    outcome = cli("serve", "--server-header", " x", "--port", "0")
    assert outcome.exit_code == 2, str(outcome)
    assert "invalid --server-header" in outcome.stderr
