"""TLS on loopback with a throwaway CA (trustme): trusted, untrusted, and scheme mix-ups."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from seatctl.clock import ManualClock
from seatctl.errors import (
    CertificateUntrusted,
    ConfigError,
    ConnectionClosed,
    ConnectionReset,
    ConnectTimeout,
    Phase,
    ResetWhen,
    TLSError,
)
from seatctl.exit_codes import ExitCode
from seatctl.http import Timeouts
from tests.helpers import Cli
from tests.http.conftest import OneLine
from tests.support.clients import MakeClient, RecordingObserver
from tests.support.rawserver import Connection, StartRawServer


def answer_json(conn: Connection) -> None:
    conn.read_request()
    conn.respond(body=b'{"status": "success", "data": {"tls": true}}')


def answer_anything_with_400(conn: Connection) -> None:
    """A plain-HTTP server that answers whatever arrives (even a ClientHello) with a 400."""
    conn.sock.recv(65536)
    conn.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conn.close_cleanly()


def test_a_server_signed_by_the_ca_bundle_is_trusted(
    raw_server: StartRawServer, server_tls: ssl.SSLContext, ca_pem: Path, make_client: MakeClient,
) -> None:
    server = raw_server(answer_json, tls=server_tls)

    response = make_client(server.url, ca_bundle=ca_pem).get("/health")

    assert response.status_code == 200
    assert response.json()["data"] == {"tls": True}


def test_localhost_is_trusted_too_when_the_certificate_names_it(
    raw_server: StartRawServer, server_tls: ssl.SSLContext, ca_pem: Path, make_client: MakeClient,
) -> None:
    server = raw_server(answer_json, tls=server_tls)

    response = make_client(f"https://localhost:{server.port}", ca_bundle=ca_pem).get("/")

    assert response.status_code == 200


def test_without_the_ca_bundle_the_certificate_is_untrusted_and_not_retried(
    raw_server: StartRawServer, server_tls: ssl.SSLContext, make_client: MakeClient,
    clock: ManualClock, observer: RecordingObserver, one_line: OneLine,
) -> None:
    server = raw_server(answer_json, tls=server_tls)
    client = make_client(server.url, retries=3, clock=clock, observer=observer)

    with pytest.raises(CertificateUntrusted) as caught:
        client.get("/health")

    error = caught.value
    assert isinstance(error, TLSError)
    assert error.exit_code == ExitCode.NETWORK == 6  # type: ignore[comparison-overlap]
    assert error.retryable is False
    assert error.attempts == 1 and len(observer.exchanges) == 1 and clock.sleeps == []
    one_line(error, "TLS certificate of 127.0.0.1", "is not trusted", "ca_bundle")
    assert server.requests == []  # the handshake failed: no request was sent


def test_a_certificate_for_another_host_is_untrusted(
    raw_server: StartRawServer, server_tls_other_name: ssl.SSLContext, ca_pem: Path,
    make_client: MakeClient, one_line: OneLine,
) -> None:
    server = raw_server(answer_json, tls=server_tls_other_name)

    with pytest.raises(CertificateUntrusted) as caught:
        make_client(server.url, ca_bundle=ca_pem).get("/health")

    one_line(caught.value, "is not trusted", "mismatch")


def test_a_tls_client_at_a_plain_http_port_is_a_tls_error(
    raw_server: StartRawServer, ca_pem: Path, make_client: MakeClient, one_line: OneLine,
) -> None:
    server = raw_server(answer_anything_with_400)
    client = make_client(f"https://127.0.0.1:{server.port}", ca_bundle=ca_pem)

    with pytest.raises(TLSError) as caught:
        client.get("/health")

    error = caught.value
    assert type(error) is TLSError  # the handshake read "HTTP/1.1 400" as a TLS record
    assert error.retryable is False
    one_line(error, "TLS handshake with 127.0.0.1", "failed", "scheme and port speak TLS")


def test_a_plain_http_client_at_a_tls_port_is_reset_before_the_response(
    raw_server: StartRawServer, server_tls: ssl.SSLContext, make_client: MakeClient,
    one_line: OneLine,
) -> None:
    # The TLS server reads "GET / HTTP/1.1..." as a handshake, gives up (HTTP_REQUEST) and
    # closes with the rest of the request unread, which the kernel turns into a RST. From
    # the client's side that is indistinguishable from any other reset.
    server = raw_server(answer_json, tls=server_tls)
    client = make_client(f"http://127.0.0.1:{server.port}")

    with pytest.raises(ConnectionReset) as caught:
        client.get("/health")

    assert caught.value.when is ResetWhen.BEFORE_RESPONSE
    one_line(caught.value, "before any response (ECONNRESET)")
    assert server.wait_handled(1)
    assert any("HTTP_REQUEST" in str(exc) for exc in server.socket_errors)


def test_a_reset_over_tls_is_a_retryable_drop_not_a_tls_error(
    raw_server: StartRawServer, server_tls: ssl.SSLContext, ca_pem: Path, make_client: MakeClient,
    one_line: OneLine,
) -> None:
    # CPython 3.10+ reads TLS with SSL_read_ex, whose failure return is 0 rather than -1,
    # so the ECONNRESET under an established TLS session surfaces as SSLEOFError; httpcore's
    # sockets suppress ragged EOFs, and h11 then sees a clean EOF. The reset therefore
    # arrives as ConnectionClosed (ConnectionReset where the errno survives). Either way it
    # must be the retryable "dropped before a response", never a TLS handshake error.
    def reset_on_request(conn: Connection) -> None:
        conn.read_request()
        conn.reset()

    server = raw_server(reset_on_request, tls=server_tls)

    with pytest.raises((ConnectionReset, ConnectionClosed)) as caught:
        make_client(server.url, ca_bundle=ca_pem).get("/health")

    error = caught.value
    assert not isinstance(error, TLSError)
    assert error.when is ResetWhen.BEFORE_RESPONSE
    assert error.retryable is True
    one_line(error, "without sending a response" if isinstance(error, ConnectionClosed)
             else "before any response")


def test_a_server_that_never_finishes_the_handshake_is_a_connect_timeout(
    raw_server: StartRawServer, ca_pem: Path, make_client: MakeClient, one_line: OneLine,
) -> None:
    # The TLS handshake is part of connecting: its wait is bounded by the connect timeout.
    server = raw_server(lambda conn: conn.hang())
    client = make_client(f"https://127.0.0.1:{server.port}", ca_bundle=ca_pem,
                         timeouts=Timeouts(connect=0.2, read=1.0, write=1.0, pool=1.0))

    with pytest.raises(ConnectTimeout) as caught:
        client.get("/health")

    assert caught.value.phase is Phase.CONNECT and caught.value.seconds == 0.2
    one_line(caught.value, "within the connect timeout (0.2s)")


def test_a_ca_bundle_that_is_not_pem_is_a_config_error(
    tmp_path: Path, make_client: MakeClient, one_line: OneLine,
) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")

    with pytest.raises(ConfigError) as caught:
        make_client("https://127.0.0.1:1", ca_bundle=bogus)

    assert caught.value.key == "ca_bundle"
    assert caught.value.exit_code == ExitCode.USAGE
    one_line(caught.value, "invalid ca_bundle", "PEM file")


def test_verify_tls_off_accepts_an_untrusted_certificate(
    raw_server: StartRawServer, server_tls: ssl.SSLContext, make_client: MakeClient,
) -> None:
    server = raw_server(answer_json, tls=server_tls)

    response = make_client(server.url, verify_tls=False).get("/health")

    assert response.status_code == 200


def test_the_cli_trusts_a_ca_bundle_from_the_settings(
    raw_server: StartRawServer, server_tls: ssl.SSLContext, ca_pem: Path, cli: Cli,
) -> None:
    server = raw_server(answer_json, tls=server_tls)

    untrusted = cli("--base-url", server.url, "ping", env={"SEATCTL_RETRIES": "0"})
    trusted = cli("--base-url", server.url, "ping", env={"SEATCTL_CA_BUNDLE": str(ca_pem)})

    assert untrusted.exit_code == ExitCode.NETWORK
    assert "not trusted" in untrusted.stderr
    assert trusted.exit_code == 0, str(trusted)
    assert "answered 200" in trusted.stdout
