"""Failing statuses and bad bodies from a real HTTP server on 127.0.0.1 (pytest-httpserver)."""

from __future__ import annotations

import email.utils
import json
import time

import pytest
from pydantic import BaseModel
from pytest_httpserver import HTTPServer

from seatctl.errors import (
    AuthError,
    ErrorEnvelope,
    NonJSONBody,
    NotFound,
    ProxyErrorPage,
    RateLimited,
    RequestRejected,
    ServerError,
    TruncatedJSON,
    UnexpectedShape,
)
from seatctl.exit_codes import ExitCode
from seatctl.http import decode_json, parse_envelope, parse_model
from tests.http.conftest import OneLine
from tests.support.clients import MakeClient

PROXY_PAGE = (
    "<html>\n<head><title>502 Bad Gateway</title></head>\n"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>\n"
    "</html>\n"
)


def envelope(message: str) -> str:
    return json.dumps({"status": "error", "message": message})


def serve(httpserver: HTTPServer, path: str, body: str, status: int = 200,
          content_type: str = "application/json", headers: dict[str, str] | None = None,
          method: str = "GET") -> None:
    httpserver.expect_request(path, method=method).respond_with_data(
        body, status=status, content_type=content_type, headers=headers,
    )


# --- failing statuses -------------------------------------------------------------------


def test_401_is_an_auth_error_that_says_to_log_in(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    serve(httpserver, "/me", envelope("token expired"), status=401)
    client = make_client(httpserver.url_for("/"), token="s3cret")

    with pytest.raises(AuthError) as caught:
        client.get("/me")

    error = caught.value
    assert error.status_code == 401
    assert error.exit_code == ExitCode.AUTH == 5  # type: ignore[comparison-overlap]
    assert error.server_message == "token expired"
    assert error.retryable is False
    assert error.request_id is not None and len(error.request_id) == 32
    one_line(error, "401", "token expired", "seatctl login")
    assert "s3cret" not in str(error)


def test_403_is_an_auth_error_saying_permission_denied(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    serve(httpserver, "/admin", envelope("organiser role required"), status=403)

    with pytest.raises(AuthError) as caught:
        make_client(httpserver.url_for("/")).get("/admin")

    assert caught.value.status_code == 403
    assert caught.value.exit_code == ExitCode.AUTH
    one_line(caught.value, "permission denied (403)", "organiser role required")


def test_404_is_not_found_and_names_the_path(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    serve(httpserver, "/bookings/42", envelope("no such booking"), status=404)

    with pytest.raises(NotFound) as caught:
        make_client(httpserver.url_for("/")).get("/bookings/42")

    assert caught.value.status_code == 404
    assert caught.value.exit_code == ExitCode.NOT_FOUND == 8  # type: ignore[comparison-overlap]
    one_line(caught.value, "not found (404)", "/bookings/42", "no such booking")


@pytest.mark.parametrize(("status", "said"), [
    (409, "seat 12A is already taken"),
    (422, "field 'seats' must be positive"),
])
def test_409_and_422_are_request_rejected_with_the_server_message(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine, status: int, said: str,
) -> None:
    serve(httpserver, "/bookings", envelope(said), status=status, method="POST")

    with pytest.raises(RequestRejected) as caught:
        make_client(httpserver.url_for("/")).post("/bookings", json={"seats": 0})

    error = caught.value
    assert error.status_code == status
    assert error.server_message == said
    assert error.exit_code == ExitCode.REJECTED == 3  # type: ignore[comparison-overlap]
    assert error.retryable is False
    one_line(error, f"request rejected ({status})", said)


def test_429_with_retry_after_seconds_is_rate_limited_with_retry_after(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    serve(httpserver, "/events", envelope("slow down"), status=429, headers={"Retry-After": "2"})

    with pytest.raises(RateLimited) as caught:
        make_client(httpserver.url_for("/")).get("/events")

    error = caught.value
    assert error.status_code == 429
    assert error.retry_after == 2.0
    assert error.retryable is True
    assert error.exit_code == ExitCode.SERVER
    assert error.attempts == 1  # retries=0: asked to wait, but not allowed to retry
    one_line(error, "rate limited (429)", "the window resets at", "(in 2 s)")


def test_429_with_an_http_date_retry_after_counts_seconds_from_now(
    httpserver: HTTPServer, make_client: MakeClient,
) -> None:
    in_30s = email.utils.formatdate(time.time() + 30, usegmt=True)
    serve(httpserver, "/events", "", status=429, headers={"Retry-After": in_30s})

    with pytest.raises(RateLimited) as caught:
        make_client(httpserver.url_for("/")).get("/events")

    assert caught.value.retry_after is not None
    assert 25.0 <= caught.value.retry_after <= 30.0


def test_500_with_a_json_envelope_is_a_server_error_carrying_its_message(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    serve(httpserver, "/events", envelope("database unavailable"), status=500)

    with pytest.raises(ServerError) as caught:
        make_client(httpserver.url_for("/")).get("/events")

    error = caught.value
    assert type(error) is ServerError  # JSON from the API itself: not a proxy page
    assert error.status_code == 500
    assert error.server_message == "database unavailable"
    assert error.retryable is False  # only 502/503/504 are worth repeating
    assert error.exit_code == ExitCode.SERVER == 7  # type: ignore[comparison-overlap]
    one_line(error, "500 Internal Server Error", "database unavailable")


def test_502_with_an_html_page_is_a_proxy_error_page_quoting_its_title(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    serve(httpserver, "/events", PROXY_PAGE, status=502, content_type="text/html")

    with pytest.raises(ProxyErrorPage) as caught:
        make_client(httpserver.url_for("/")).get("/events")

    error = caught.value
    assert error.status_code == 502
    assert error.server_message is None
    assert error.retryable is True
    assert error.exit_code == ExitCode.SERVER
    one_line(error, "502 Bad Gateway", "from a proxy, not the API", "'502 Bad Gateway'")
    assert "<" not in error.message  # the title, not the markup


# --- successful statuses with bodies that break the contract -----------------------------


def test_200_with_an_html_body_is_non_json(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    serve(httpserver, "/events", "<html><head><title>Sign in - Corp SSO</title></head></html>",
          content_type="text/html")
    response = make_client(httpserver.url_for("/")).get("/events")

    with pytest.raises(NonJSONBody) as caught:
        decode_json(response)

    assert caught.value.exit_code == ExitCode.SERVER
    one_line(caught.value, "GET /events answered 200 with text/html", "Sign in - Corp SSO",
             "proxy or platform")


def test_200_with_truncated_json_is_truncated_json(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    serve(httpserver, "/events", '{"status": "succ')
    response = make_client(httpserver.url_for("/")).get("/events")

    with pytest.raises(TruncatedJSON) as caught:
        decode_json(response)

    one_line(caught.value, "cut short or malformed", "16 bytes")


def test_200_with_an_error_envelope_is_an_error_envelope(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    serve(httpserver, "/events", '{"status": "error", "message": "x"}')
    response = make_client(httpserver.url_for("/")).get("/events")

    with pytest.raises(ErrorEnvelope) as caught:
        parse_envelope(response)

    assert caught.value.exit_code == ExitCode.SERVER
    one_line(caught.value, "the server reported an error: x")


def test_an_empty_200_body_is_non_json_and_says_empty(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    serve(httpserver, "/events", "")
    response = make_client(httpserver.url_for("/")).get("/events")

    with pytest.raises(NonJSONBody) as caught:
        decode_json(response)

    one_line(caught.value, "200 with an empty body")


def test_a_json_array_where_an_envelope_belongs_is_an_unexpected_shape(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    serve(httpserver, "/events", "[1, 2]")
    response = make_client(httpserver.url_for("/")).get("/events")

    with pytest.raises(UnexpectedShape) as caught:
        parse_envelope(response)

    one_line(caught.value, "expected a JSON object, got a list")


def test_data_with_a_wrong_field_is_an_unexpected_shape_naming_the_field(
    httpserver: HTTPServer, make_client: MakeClient, one_line: OneLine,
) -> None:
    class Event(BaseModel):
        id: int
        seats: int

    serve(httpserver, "/events/1", '{"status": "success", "data": {"id": 1, "seats": "many"}}')
    envelope_ = parse_envelope(make_client(httpserver.url_for("/")).get("/events/1"))

    with pytest.raises(UnexpectedShape) as caught:
        parse_model(envelope_.data, Event, "event")

    one_line(caught.value, "event: field 'seats'", "booking API contract")


def test_a_success_envelope_decodes(httpserver: HTTPServer, make_client: MakeClient) -> None:
    serve(httpserver, "/events", '{"status": "success", "data": [{"id": 1}]}')

    envelope_ = parse_envelope(make_client(httpserver.url_for("/")).get("/events"))

    assert envelope_.status == "success"
    assert envelope_.data == [{"id": 1}]
