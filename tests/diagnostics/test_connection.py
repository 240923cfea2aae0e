"""The raw connection: targets, phases, TLS facts, errors, and the passive idle-close wait."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from seatctl.diagnostics import (
    CloseKind,
    ConnectOptions,
    Target,
    connect,
    parse_keep_alive,
    parse_target,
    percentiles,
    timing_probe,
)
from seatctl.errors import CertificateUntrusted, ConnectionRefused, UsageError
from tests.conftest import StartServer
from tests.diagnostics.conftest import RESET_AFTER, assert_close_to


@pytest.mark.parametrize(("url", "path", "expected"), [
    ("http://127.0.0.1", None, Target("http", "127.0.0.1", 80, "/health")),
    ("HTTPS://Example.com/", None, Target("https", "example.com", 443, "/health")),
    ("http://127.0.0.1:8080/api/health?x=1", None,
     Target("http", "127.0.0.1", 8080, "/api/health?x=1")),
    ("http://127.0.0.1:8080/api/health", "/ping", Target("http", "127.0.0.1", 8080, "/ping")),
])
def test_a_target_is_the_urls_host_and_port_with_a_path(
    url: str, path: str | None, expected: Target,
) -> None:
    assert parse_target(url, path) == expected


def test_the_host_header_names_the_port_only_when_it_is_not_the_default() -> None:
    assert parse_target("https://example.com:443").authority == "example.com"
    assert parse_target("http://[::1]:8080").authority == "[::1]:8080"
    assert parse_target("http://[::1]:8080").label == "[::1]:8080"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:8080", "http://", "http://h:x"])
def test_only_http_and_https_urls_are_probed(url: str) -> None:
    with pytest.raises(UsageError):
        parse_target(url)


def test_a_refused_port_is_connection_refused(closed_port: int) -> None:
    with pytest.raises(ConnectionRefused, match="nothing is listening"):
        asyncio.run(timing_probe(f"http://127.0.0.1:{closed_port}"))


def test_a_response_is_read_whole_and_timed(start_server: StartServer) -> None:
    server = start_server()

    async def two_requests() -> None:
        async with connect(parse_target(server.url)) as connection:
            first = await connection.request()
            second = await connection.request(path="/api/health")
        assert (first.status, second.status) == (200, 200)
        assert connection.responses == 2 and connection.reusable
        assert first.header("Content-Type") == "application/json; charset=utf-8"
        assert first.body_bytes == int(first.header("content-length") or -1) > 0
        assert first.sent_at <= first.first_byte_at <= first.ended_at <= second.sent_at
        timing = connection.timing
        assert timing.address == "127.0.0.1" and timing.tls_s is None and connection.tls is None
        assert timing.dns_s >= 0 and timing.connect_s > 0

    asyncio.run(two_requests())


def test_tls_phases_and_facts_are_measured(tls_server: str, ca_pem: Path) -> None:
    result = asyncio.run(timing_probe(tls_server, samples=2,
                                      options=ConnectOptions(ca_bundle=ca_pem)))
    assert result.tls is not None and result.tls.p50 > 0
    assert result.tls_info is not None
    assert result.tls_info.version in ("TLSv1.2", "TLSv1.3")
    assert result.tls_info.alpn == "http/1.1"
    assert result.tls_info.cert_days_left is not None and result.tls_info.cert_days_left > 1


def test_an_untrusted_certificate_is_named(tls_server: str) -> None:
    with pytest.raises(CertificateUntrusted):
        asyncio.run(timing_probe(tls_server, samples=1))


def test_without_verification_the_certificate_is_not_inspected(tls_server: str) -> None:
    result = asyncio.run(timing_probe(tls_server, samples=1,
                                      options=ConnectOptions(verify_tls=False)))
    assert result.tls_info is not None and result.tls_info.cert_days_left is None
    assert result.samples[0].status == 200


def test_an_idle_close_over_tls_is_a_fin(tls_server: str, ca_pem: Path) -> None:
    async def idle_close() -> tuple[CloseKind | None, float]:
        async with connect(parse_target(tls_server), ConnectOptions(ca_bundle=ca_pem)) as conn:
            await conn.request()
            closed = await conn.wait_for_close(max_wait=2.0)
        return closed.kind, closed.seconds

    kind, seconds = asyncio.run(idle_close())
    assert kind is CloseKind.FIN
    assert_close_to(seconds, 0.3)


def test_an_idle_close_by_reset_is_told_from_a_fin(reset_server: str) -> None:
    async def idle_close() -> tuple[CloseKind | None, float]:
        async with connect(parse_target(reset_server)) as connection:
            await connection.request()
            closed = await connection.wait_for_close(max_wait=2.0)
        return closed.kind, closed.seconds

    kind, seconds = asyncio.run(idle_close())
    assert kind is CloseKind.RESET
    assert_close_to(seconds, RESET_AFTER)


@pytest.mark.parametrize(("header", "timeout", "max_requests"), [
    ("timeout=5", 5.0, None),
    ("timeout=0.5, max=100", 0.5, 100),
    ('Max=7 , TIMEOUT="65"', 65.0, 7),
    ("timeout=soon, max=-1", None, None),
    (None, None, None),
])
def test_the_keep_alive_header_is_parsed(
    header: str | None, timeout: float | None, max_requests: int | None,
) -> None:
    hint = parse_keep_alive(header)
    assert (hint.timeout_s, hint.max_requests) == (timeout, max_requests)


def test_percentiles_interpolate_between_measured_values() -> None:
    assert percentiles([0.3]) == percentiles([0.3, 0.3])
    spread = percentiles([float(n) for n in range(1, 101)])
    assert spread.p50 == pytest.approx(50.5)
    assert spread.p95 == pytest.approx(95.05)


@pytest.mark.parametrize("path", ["/a b", "/caf\u00e9", "/x\r\nX-Injected: 1", "/tab\t"])
def test_a_path_a_request_line_cannot_carry_is_a_usage_error(path: str) -> None:
    with pytest.raises(UsageError, match="percent-encode"):
        parse_target("http://127.0.0.1:9", path)
