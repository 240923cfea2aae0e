"""The HTTP/2 probe: against hypercorn (TLS and h2c) and nginx, which no one here wrote, and
scripted h2 servers for what real servers do not show on loopback; its sans-IO session."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

import h2.config
import h2.connection
import h2.errors
import pytest
import trustme
from hyperframe.frame import GoAwayFrame

from seatctl.diagnostics.connection import DEFAULT_TIMEOUTS
from seatctl.diagnostics.failures import FailureKind, classify_failure
from seatctl.diagnostics.h2connection import H2Session, Http2StreamReset, error_name
from seatctl.diagnostics.h2probe import OUTLIVE_MARGIN_S, http2_probe
from seatctl.diagnostics.results import (
    CloseKind,
    GoawayRaceOutcome,
    Http2Response,
    Http2Result,
    PingOutcome,
)
from seatctl.diagnostics.targets import ConnectOptions
from seatctl.errors import (
    CertificateUntrusted,
    ConnectionClosed,
    ConnectionRefused,
    ConnectionReset,
    ProtocolViolation,
    ReadTimeout,
    ResetWhen,
    SeatctlError,
    UsageError,
)
from tests.diagnostics.h2servers import (
    AfterGoaway,
    HypercornSettings,
    LateStream,
    ScriptedH2,
    hypercorn_server,
    nginx_server,
    write_certificate,
)
from tests.support.servers import LOOPBACK, WAIT_LIMIT, serving_callback

KEEP_ALIVE = 1.0  # the idle timeout hypercorn and nginx are given, seconds
MAX_WAIT = 5.0
# The measured idle close against the configured value: the servers' timers run in this
# test process, which a loaded machine delays by a tenth of a second now and then; the
# benchmark (bench/doctor.py) holds the tight target (within 10 ms at the median).
CLOSE_TOLERANCE = max(0.2, 0.03 * KEEP_ALIVE)
# Above the idle close, the probe's own wall time: the PING connection's margin past it, and
# connects and requests on a loaded machine.
WALL_SLACK = OUTLIVE_MARGIN_S + 0.5
HYPERCORN_STREAMS = 37  # not hypercorn's default (100): the SETTINGS are its configuration
HYPERCORN_HEADER_LIST = 32768
NGINX_STREAMS = 17  # http2_max_concurrent_streams, not its default (128)
SCRIPTED_IDLE = 0.3


@dataclass(frozen=True)
class Run:
    result: Http2Result
    wall_s: float


def probe(url: str, ca_pem: Path | None = None, max_wait: float = MAX_WAIT, *,
          h2c: bool = False, ping_interval: float | None = None) -> Run:
    options = ConnectOptions(ca_bundle=ca_pem)
    started = time.monotonic()
    result = asyncio.run(http2_probe(url, max_wait, options=options, h2c=h2c,
                                     ping_interval=ping_interval))
    return Run(result, time.monotonic() - started)


def assert_idle_close(measured: float, configured: float, tolerance: float) -> None:
    error = measured - configured
    assert abs(error) <= tolerance, f"idle close {measured:.4f}s, error {error * 1000:+.1f} ms"


# --- hypercorn over TLS ------------------------------------------------------------------


@pytest.fixture(scope="module")
def hypercorn_tls(tls_ca: trustme.CA, ca_pem: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Run:
    certificate = write_certificate(tls_ca, tmp_path_factory.mktemp("hypercorn"))
    settings = HypercornSettings(KEEP_ALIVE, max_concurrent_streams=HYPERCORN_STREAMS,
                                 max_header_list_size=HYPERCORN_HEADER_LIST)
    with hypercorn_server(settings, certificate) as url:
        return probe(url, ca_pem)


def test_alpn_selects_h2_and_the_settings_are_hypercorns(hypercorn_tls: Run) -> None:
    result = hypercorn_tls.result
    assert result.speaks_h2 and result.skipped is None
    assert (result.alpn_offered, result.alpn_selected) == (("h2", "http/1.1"), "h2")
    assert result.tls is not None and result.tls.alpn == "h2"
    settings = result.settings
    assert settings is not None
    assert settings.max_concurrent_streams == HYPERCORN_STREAMS
    assert settings.max_header_list_size == HYPERCORN_HEADER_LIST
    # h2's defaults, which hypercorn sends as they are; it never enlarges the connection window.
    assert (settings.initial_window_size, settings.max_frame_size) == (65535, 16384)
    assert settings.enable_push is False and settings.enable_connect_protocol is True
    assert settings.connection_window == 65535


def test_the_request_is_timed_and_its_headers_kept(hypercorn_tls: Run) -> None:
    result = hypercorn_tls.result
    response = result.response
    assert response is not None and response.status == 200 and response.stream_id == 1
    assert response.header("server") == "hypercorn-h2"
    assert response.body_bytes == len(b'{"status":"success"}')
    assert response.sent_at <= response.first_byte_at <= response.ended_at
    assert result.connect.tls_s is not None and result.connect.tls_s > 0
    assert result.connections == 3


def test_hypercorn_closes_an_idle_h2_connection_without_a_goaway(hypercorn_tls: Run) -> None:
    # hypercorn's idle timer (asyncio/tcp_server.py `_idle_timeout`) closes the transport;
    # its H2Protocol sends a GOAWAY only when shutting down or past keep_alive_max_requests.
    idle = hypercorn_tls.result.idle_close
    assert idle is not None and not idle.lower_bound
    assert idle.goaway is None and idle.frames == ()
    assert idle.end is CloseKind.FIN
    assert_idle_close(idle.seconds, KEEP_ALIVE, CLOSE_TOLERANCE)


def test_pings_do_not_keep_hypercorn_alive(hypercorn_tls: Run) -> None:
    # Only a stream's start or end restarts hypercorn's idle timer, not a PING.
    ping = hypercorn_tls.result.ping
    assert ping is not None and ping.outcome is PingOutcome.NOT_KEPT_ALIVE, ping
    # All acknowledged but perhaps one sent as the connection closed.
    assert ping.pings_sent >= 2 and ping.pings_acked >= ping.pings_sent - 1
    assert ping.longest_gap_s is not None and ping.longest_gap_s < KEEP_ALIVE / 2
    assert ping.open_for_s is not None
    assert_idle_close(ping.open_for_s, KEEP_ALIVE, CLOSE_TOLERANCE)


def test_a_close_without_goaway_leaves_nothing_to_race(hypercorn_tls: Run) -> None:
    race = hypercorn_tls.result.goaway_race
    assert race is not None and race.outcome is GoawayRaceOutcome.NO_GOAWAY
    assert race.end is CloseKind.FIN and race.stream_id is None


def test_the_three_connections_take_about_one_idle_close(hypercorn_tls: Run) -> None:
    assert KEEP_ALIVE <= hypercorn_tls.wall_s <= KEEP_ALIVE + WALL_SLACK


# --- hypercorn over h2c, and servers without h2 -----------------------------------------


def test_h2c_with_prior_knowledge_is_measured_alike() -> None:
    seen: list[Http2Response] = []
    with hypercorn_server(HypercornSettings(KEEP_ALIVE), None) as url:
        result = asyncio.run(http2_probe(url, MAX_WAIT, path="/elsewhere", h2c=True,
                                         options=ConnectOptions(), on_response=seen.append))
    assert result.h2c and result.speaks_h2 and result.tls is None
    assert (result.alpn_offered, result.alpn_selected) == ((), None)
    assert result.response is not None and result.response.status == 404  # the path asked
    assert seen == [result.response]
    assert result.settings is not None and result.settings.max_concurrent_streams == 100
    assert result.idle_close is not None and result.idle_close.end is CloseKind.FIN
    assert_idle_close(result.idle_close.seconds, KEEP_ALIVE, CLOSE_TOLERANCE)


def test_a_tls_edge_that_picks_http1_skips_the_h2_measurements(
    tls_server: str, ca_pem: Path,
) -> None:
    run = probe(tls_server, ca_pem)
    result = run.result
    assert not result.speaks_h2 and result.alpn_selected == "http/1.1"
    assert result.skipped is not None
    assert "does not speak HTTP/2 to this client: ALPN selected http/1.1" in result.skipped
    assert (result.response, result.idle_close, result.ping, result.goaway_race) == (
        None, None, None, None)
    assert result.connections == 1 and run.wall_s < 1.0


def test_hypercorn_without_h2_in_alpn_answers_http1(
    tls_ca: trustme.CA, ca_pem: Path, tmp_path: Path,
) -> None:
    settings = HypercornSettings(KEEP_ALIVE, alpn=("http/1.1",))
    with hypercorn_server(settings, write_certificate(tls_ca, tmp_path)) as url:
        result = probe(url, ca_pem).result
    assert result.alpn_selected == "http/1.1" and result.skipped is not None


def test_a_tls_server_without_alpn_is_not_http2(tls_ca: trustme.CA, ca_pem: Path) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert(LOOPBACK).configure_cert(context)

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    with serving_callback(silent, tls=context) as url:
        result = probe(url, ca_pem).result
    assert result.alpn_selected is None and not result.speaks_h2
    assert result.skipped is not None and "no part in ALPN" in result.skipped


# --- nginx ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nginx(tls_ca: trustme.CA, ca_pem: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    directory = tmp_path_factory.mktemp("nginx")
    extra = f"http2_max_concurrent_streams {NGINX_STREAMS};"
    with nginx_server(directory, tls_ca, f"{KEEP_ALIVE:g}s", extra=extra) as url:
        return probe(url, ca_pem)


def test_nginx_speaks_h2_with_its_configured_settings(nginx: Run) -> None:
    result = nginx.result
    assert result.alpn_selected == "h2" and result.speaks_h2
    assert result.settings is not None
    assert result.settings.max_concurrent_streams == NGINX_STREAMS
    assert result.response is not None and result.response.status == 200
    server = result.response.header("server")
    assert server is not None and server.startswith("nginx")


def test_nginx_sends_goaway_no_error_at_keepalive_timeout_then_fin(nginx: Run) -> None:
    idle = nginx.result.idle_close
    assert idle is not None and idle.goaway is not None, idle
    assert (idle.goaway.error_name, idle.goaway.last_stream_id) == ("NO_ERROR", 1)
    assert idle.goaway.debug_data is None and idle.frames[0] == "GOAWAY"
    assert idle.end is CloseKind.FIN and idle.goaway_after_s is not None
    assert idle.goaway_after_s <= idle.end_after_s
    assert_idle_close(idle.seconds, KEEP_ALIVE, CLOSE_TOLERANCE)


def test_pings_do_not_keep_nginx_alive(nginx: Run) -> None:
    # nginx arms the idle timer once, when the last stream ends, and only a new stream clears
    # it (src/http/v2/ngx_http_v2.c: `if (!c->read->timer_set)` in handle_connection, the
    # delete in create_stream): frames such as PING leave it running.
    ping = nginx.result.ping
    assert ping is not None and ping.outcome is PingOutcome.NOT_KEPT_ALIVE, ping
    assert ping.goaway is not None and ping.goaway.error_name == "NO_ERROR"
    # All acknowledged but perhaps one sent as the connection closed.
    assert ping.pings_sent >= 2 and ping.pings_acked >= ping.pings_sent - 1


def test_a_request_crossing_nginx_goaway_was_not_processed(nginx: Run) -> None:
    # nginx closes right after its GOAWAY; the request on stream 3 is above its last stream
    # id (1): not processed, safe to retry (RFC 9113 §6.8), whatever the transport says.
    race = nginx.result.goaway_race
    assert race is not None and race.outcome in (GoawayRaceOutcome.CONNECTION_CLOSED,
                                                 GoawayRaceOutcome.CONNECTION_RESET), race
    assert race.stream_id == 3 and race.safe_to_retry is True
    assert race.sent_after_goaway_s is not None and race.sent_after_goaway_s < 0.05


# --- outcomes from scripted servers -------------------------------------------------------


@pytest.fixture(scope="session")
def h2_tls(tls_ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert(LOOPBACK).configure_cert(context)
    context.set_alpn_protocols(["h2"])
    return context


def run_scripted(script: ScriptedH2, max_wait: float = MAX_WAIT,
                 ping_interval: float | None = None) -> Run:
    """The probe against a scripted server over h2c (plain TCP): TLS is tested with
    hypercorn and nginx above."""
    with serving_callback(script.serve) as url:
        return probe(url, max_wait=max_wait, h2c=True, ping_interval=ping_interval)


@pytest.mark.parametrize(("late", "outcome", "reset_code"), [
    (LateStream.REFUSE, GoawayRaceOutcome.REFUSED_STREAM, "REFUSED_STREAM"),
    (LateStream.CANCEL, GoawayRaceOutcome.STREAM_RESET, "CANCEL"),
])
def test_a_stream_reset_after_goaway_is_reported_with_its_code(
    late: LateStream, outcome: GoawayRaceOutcome, reset_code: str,
) -> None:
    script = ScriptedH2(idle_timeout=SCRIPTED_IDLE, after_goaway=AfterGoaway.LINGER,
                        late_stream=late)
    race = run_scripted(script).result.goaway_race
    assert race is not None and race.outcome is outcome, race
    assert race.reset_code == reset_code and race.status is None
    # Stream 3 is above the GOAWAY's last stream id (1): the server did not process it.
    assert race.stream_id == 3 and race.safe_to_retry is True
    assert race.answered_after_s is not None and race.answered_after_s < 0.1


def test_a_graceful_goaway_still_answers_the_request() -> None:
    script = ScriptedH2(idle_timeout=SCRIPTED_IDLE, goaway_last_stream=2**31 - 1,
                        goaway_debug=b"draining", after_goaway=AfterGoaway.LINGER,
                        late_stream=LateStream.ANSWER)
    result = run_scripted(script).result
    race = result.goaway_race
    assert race is not None and race.outcome is GoawayRaceOutcome.RESPONSE, race
    assert race.status == 200 and race.safe_to_retry is None
    assert race.goaway is not None and race.goaway.debug_data == "draining"
    # The transport ended `linger` after the GOAWAY: measured apart from it.
    idle = result.idle_close
    assert idle is not None and idle.goaway_after_s is not None
    assert idle.end is CloseKind.FIN and idle.end_after_s - idle.goaway_after_s >= 0.25


def test_a_reset_right_after_goaway_is_a_connection_reset() -> None:
    script = ScriptedH2(idle_timeout=SCRIPTED_IDLE, after_goaway=AfterGoaway.RESET)
    result = run_scripted(script).result
    race = result.goaway_race
    assert race is not None and race.outcome in (GoawayRaceOutcome.CONNECTION_RESET,
                                                 GoawayRaceOutcome.CONNECTION_CLOSED), race
    assert result.idle_close is not None and result.idle_close.end is CloseKind.RESET


def test_an_ignored_request_after_goaway_has_no_answer() -> None:
    script = ScriptedH2(idle_timeout=SCRIPTED_IDLE, after_goaway=AfterGoaway.LINGER,
                        linger=1.2, late_stream=LateStream.IGNORE)
    race = run_scripted(script).result.goaway_race
    assert race is not None and race.outcome is GoawayRaceOutcome.NO_ANSWER, race
    assert race.safe_to_retry is True and race.end is None


def test_pings_that_restart_the_idle_timer_keep_the_connection_alive() -> None:
    script = ScriptedH2(idle_timeout=SCRIPTED_IDLE * 2, pings_reset_idle=True)
    result = run_scripted(script).result
    ping = result.ping
    assert ping is not None and ping.outcome is PingOutcome.KEPT_ALIVE, ping
    assert ping.reference_close_s is not None and ping.open_for_s is not None
    assert ping.open_for_s >= ping.reference_close_s + OUTLIVE_MARGIN_S
    assert ping.goaway is None and ping.end is None


def test_a_ping_interval_longer_than_the_idle_close_sends_no_ping() -> None:
    ping = run_scripted(ScriptedH2(idle_timeout=SCRIPTED_IDLE),
                           ping_interval=1.0).result.ping
    assert ping is not None and ping.outcome is None and ping.interval_s == 1.0
    assert ping.skipped == "no PING was sent before the connection closed"


def test_no_close_within_max_wait_is_a_lower_bound_and_skips_what_depends_on_it() -> None:
    run = run_scripted(ScriptedH2(idle_timeout=5.0), max_wait=0.4)
    result = run.result
    idle = result.idle_close
    assert idle is not None and idle.lower_bound and idle.goaway is None and idle.end is None
    assert idle.seconds == pytest.approx(0.4, abs=0.1)
    assert result.ping is not None and result.ping.outcome is None
    assert result.ping.skipped is not None and "nothing to outlive" in result.ping.skipped
    assert result.goaway_race is not None
    assert result.goaway_race.skipped == "no GOAWAY within 0.4 s"
    assert run.wall_s < 1.5


# --- failures, classified ----------------------------------------------------------------


def test_a_refused_first_stream_raises_a_classified_stream_reset() -> None:
    with pytest.raises(Http2StreamReset, match="REFUSED_STREAM") as caught:
        run_scripted(ScriptedH2(refuse_first=True))
    assert caught.value.code == h2.errors.ErrorCodes.REFUSED_STREAM
    assert classify_failure(caught.value).kind is FailureKind.STREAM_RESET


def test_a_goaway_that_excludes_the_first_request_fails_it_as_safe_to_retry() -> None:
    with pytest.raises(ConnectionClosed, match="unprocessed: safe to retry") as caught:
        run_scripted(ScriptedH2(goaway_first=True, after_goaway=AfterGoaway.LINGER,
                                linger=WAIT_LIMIT))
    assert classify_failure(caught.value).kind is FailureKind.CLOSED


def test_an_http1_answer_on_an_h2_connection_is_a_protocol_violation(
    h2_tls: ssl.SSLContext, ca_pem: Path,
) -> None:
    async def http1(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await reader.read()

    with serving_callback(http1, tls=h2_tls) as url, \
            pytest.raises(ProtocolViolation, match=r"answered in HTTP/1\.x") as caught:
        probe(url, ca_pem)
    assert classify_failure(caught.value).kind is FailureKind.PROTOCOL


def test_a_refused_port_is_connection_refused(closed_port: int) -> None:
    with pytest.raises(ConnectionRefused):
        probe(f"https://{LOOPBACK}:{closed_port}")


def test_an_untrusted_certificate_is_classified(h2_tls: ssl.SSLContext) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    with serving_callback(silent, tls=h2_tls) as url, pytest.raises(CertificateUntrusted):
        probe(url)  # no CA bundle: the test CA is not trusted


def test_a_silent_h2_server_is_a_read_timeout(h2_tls: ssl.SSLContext, ca_pem: Path) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    options = ConnectOptions(timeouts=DEFAULT_TIMEOUTS.clipped(0.2), ca_bundle=ca_pem)
    with serving_callback(silent, tls=h2_tls) as url, pytest.raises(ReadTimeout):
        asyncio.run(http2_probe(url, MAX_WAIT, options=options))


@pytest.mark.parametrize(("error", "kind"), [
    (ConnectionReset("reset", when=ResetWhen.BEFORE_RESPONSE, reused=False),
     FailureKind.RESET),
    (ReadTimeout("slow", seconds=1.0), FailureKind.TIMEOUT),
    (ConnectionRefused("refused"), FailureKind.REFUSED),
])
def test_failures_are_classified_as_plain_data(error: SeatctlError, kind: FailureKind) -> None:
    failure = classify_failure(error)
    assert (failure.kind, failure.message) == (kind, error.message)


@pytest.mark.parametrize(("url", "h2c", "interval"), [
    ("https://127.0.0.1:1", True, None),  # h2c is for http:// only
    ("http://127.0.0.1:1", False, None),  # http:// only with h2c
    ("https://127.0.0.1:1", False, 0.1),  # more than 4 PINGs a second
])
def test_misuse_is_a_usage_error(url: str, h2c: bool, interval: float | None) -> None:
    with pytest.raises(UsageError):
        asyncio.run(http2_probe(url, MAX_WAIT, options=ConnectOptions(), h2c=h2c,
                                ping_interval=interval))


# --- the session, without I/O -------------------------------------------------------------


def server_bytes(*frames: bytes) -> bytes:
    config = h2.config.H2Configuration(client_side=False)
    server = h2.connection.H2Connection(config=config)
    server.initiate_connection()
    return server.data_to_send() + b"".join(frames)


def test_a_goaway_is_read_by_the_session_not_by_h2() -> None:
    session = H2Session("example.com", "https")
    session.preface()
    goaway = GoAwayFrame(0, last_stream_id=5, error_code=0xB,
                         additional_data=b"too many pings").serialize()
    data = server_bytes(goaway)
    for index in range(len(data)):  # byte by byte: frames split anywhere
        session.receive(data[index:index + 1], now=float(index))
    assert session.settings is not None
    assert session.goaway is not None
    assert (session.goaway.error_name, session.goaway.last_stream_id) == (
        "ENHANCE_YOUR_CALM", 5)
    assert session.goaway.debug_data == "too many pings"
    assert session.goaway.received_at == float(len(data) - 1)
    # h2 never saw it: a request can still be made, as one already on its way would be.
    stream_id, sent = session.request("GET", "/health", (), now=0.0)
    assert stream_id == 1 and sent


def test_unknown_error_codes_are_named_in_hex() -> None:
    assert error_name(0x7) == "REFUSED_STREAM"
    assert error_name(0x1F) == "0x1f"
