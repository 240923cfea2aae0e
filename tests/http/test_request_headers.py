"""What every request carries: User-Agent, a fresh X-Request-ID per attempt, the token."""

from __future__ import annotations

import re

import httpx
import pytest
from pytest_httpserver import HTTPServer

from seatctl import __version__
from seatctl.clock import ManualClock
from seatctl.errors import Redirected, ServerError
from seatctl.http import POOL_KEEPALIVE_EXPIRY, USER_AGENT
from tests.support.clients import MakeClient, RecordingObserver, Scripted

HEX32 = re.compile(r"[0-9a-f]{32}")


def test_the_user_agent_on_the_wire_is_seatctl_and_its_version(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    httpserver.expect_request("/health").respond_with_json({"status": "success"})

    make_client(httpserver.url_for("/")).get("/health")

    (request, _), = httpserver.log
    assert request.headers["User-Agent"] == f"seatctl/{__version__}" == USER_AGENT
    assert request.headers["Accept"] == "application/json"
    assert HEX32.fullmatch(request.headers["X-Request-ID"])
    assert "Authorization" not in request.headers


def test_every_attempt_has_its_own_request_id(
    scripted: Scripted, make_client: MakeClient, clock: ManualClock,
) -> None:
    busy = httpx.Response(503, json={"status": "error", "message": "busy"})
    transport = scripted(busy, busy, busy)
    client = make_client(retries=2, clock=clock, transport=transport)

    with pytest.raises(ServerError) as caught:
        client.get("/events")

    ids = [r.headers["X-Request-ID"] for r in transport.requests]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(HEX32.fullmatch(i) for i in ids)
    assert caught.value.request_id == ids[-1]  # the error names the attempt that failed last
    assert {r.headers["User-Agent"] for r in transport.requests} == {USER_AGENT}


def test_the_bearer_token_is_sent_when_authenticated(
    scripted: Scripted, make_client: MakeClient,
) -> None:
    transport = scripted(httpx.Response(200, json={}))
    make_client(token="s3cret", transport=transport).get("/me")

    assert transport.requests[0].headers["Authorization"] == "Bearer s3cret"


def test_no_token_is_sent_on_unauthenticated_requests(
    scripted: Scripted, make_client: MakeClient,
) -> None:
    transport = scripted(httpx.Response(200, json={}))
    make_client(token="s3cret", transport=transport).get("/health", authenticated=False)

    assert "Authorization" not in transport.requests[0].headers


def test_no_authorization_header_without_a_configured_token(
    scripted: Scripted, make_client: MakeClient,
) -> None:
    transport = scripted(httpx.Response(200, json={}))
    make_client(token=None, transport=transport).get("/me")

    assert "Authorization" not in transport.requests[0].headers


def test_the_token_is_sent_over_the_wire_and_masked_for_the_observer(
    httpserver: HTTPServer, make_client: MakeClient, observer: RecordingObserver,
) -> None:
    httpserver.expect_request("/me").respond_with_json({"status": "success"})

    make_client(httpserver.url_for("/"), token="s3cret", observer=observer).get("/me")

    (request, _), = httpserver.log
    assert request.headers["Authorization"] == "Bearer s3cret"
    (exchange,) = observer.exchanges
    assert ("Authorization", "Bearer ****") in exchange.request_headers
    assert "s3cret" not in repr(exchange)


def test_pooled_connections_expire_before_nodes_keep_alive_timeout(make_client: MakeClient) -> None:
    """Reusing a connection the server has just closed is the client-side ECONNRESET; Node
    closes idle connections after 5 s, so the pool must let go sooner."""
    client = make_client("http://127.0.0.1:9")
    pool = client._http._transport._pool  # type: ignore[attr-defined]

    assert POOL_KEEPALIVE_EXPIRY < 5.0
    assert pool._keepalive_expiry == POOL_KEEPALIVE_EXPIRY
    assert pool._max_connections == 20


def test_redirects_are_never_followed(make_client: MakeClient) -> None:
    seen = []

    def redirect(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://elsewhere.test/steal"})

    client = make_client(transport=httpx.MockTransport(redirect), token="tok-123456789")

    with pytest.raises(Redirected, match=r"elsewhere\.test"):
        client.get("/api/auth/profile")
    assert seen == ["http://seatctl.test/api/auth/profile"]
