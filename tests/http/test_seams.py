"""The HTTP core's seams with httpx and httpcore, checked so that an upgrade fails here, loudly.

seatctl/http/httpx_seam.py holds what the core needs of httpx's internals: one private name
(a streamed response's decoded body) and a mirror of HTTPTransport's private error mapping.
The rest is public: the core's transport hands its deadline backend to an httpcore pool
through `network_backend=`, and answers and fails as httpx.HTTPTransport does. Each failure
names the pin in pyproject.toml to revisit.
"""

from __future__ import annotations

import gzip
import json
import socket
import tomllib
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from packaging.requirements import Requirement

from seatctl.http import core_transport
from seatctl.http.httpx_seam import HTTPCORE_TO_HTTPX, HTTPX_PIN, set_decoded_body

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
SEAM = "seatctl/http/httpx_seam.py"
TRANSPORT = "seatctl/http/_transport.py"


def pinned(package: str) -> str:
    """`package`'s requirement as pyproject.toml states it."""
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    return str(next(spec for spec in dependencies if Requirement(spec).name == package))


def changed(package: str, version: str, what: str, see: str) -> str:
    return (f"{package} {version} changed: {what}; seatctl pins {pinned(package)} in "
            f"pyproject.toml; see {see}")


# --- the pins -----------------------------------------------------------------------------


def test_the_seams_pin_is_pyprojects_and_the_installed_httpx_meets_it() -> None:
    assert pinned("httpx") == HTTPX_PIN, f"{SEAM} names {HTTPX_PIN}, pyproject.toml another"
    assert Requirement(HTTPX_PIN).specifier.contains(httpx.__version__), (
        f"httpx {httpx.__version__} is installed; seatctl pins {HTTPX_PIN} in pyproject.toml "
        f"for {SEAM}: check it, then move the pin")


def test_the_installed_httpcore_meets_its_pin() -> None:
    assert Requirement(pinned("httpcore")).specifier.contains(httpcore.__version__), (
        f"httpcore {httpcore.__version__} is installed; seatctl pins {pinned('httpcore')} in "
        f"pyproject.toml for {TRANSPORT}: check it, then move the pin")


# --- what the seam holds ------------------------------------------------------------------


def streamed_gzip_response(document: dict[str, Any]) -> httpx.Response:
    body = gzip.compress(json.dumps(document).encode())
    return httpx.Response(200, headers={"Content-Encoding": "gzip"},
                          stream=httpx.ByteStream(body),
                          request=httpx.Request("GET", "http://seatctl.test/events"))


def test_a_decoded_body_handed_back_is_what_content_text_and_json_return() -> None:
    response = streamed_gzip_response({"status": "success"})
    raw = b"".join(response.iter_raw())  # as the core reads it: undecoded, within its cap
    response.close()
    decoded = gzip.decompress(raw)

    set_decoded_body(response, decoded)

    try:
        seen = (response.content, response.text, response.json())
    except httpx.ResponseNotRead:
        pytest.fail(changed("httpx", httpx.__version__,
                            "a response no longer reads its body from `_content`", SEAM))
    assert seen == (decoded, decoded.decode(), {"status": "success"}), changed(
        "httpx", httpx.__version__, "a decoded body set on a response reads differently", SEAM)


def test_the_error_mapping_is_httpx_own() -> None:
    """httpx's transports map with a private table: the seam's mirror must stay equal."""
    try:
        from httpx._transports.default import _load_httpcore_exceptions
    except ImportError:
        pytest.fail(changed("httpx", httpx.__version__, "its transports' error mapping moved",
                            SEAM))
    assert dict(HTTPCORE_TO_HTTPX) == _load_httpcore_exceptions(), changed(
        "httpx", httpx.__version__, "its transports map httpcore's errors differently", SEAM)


# --- the public mechanism -----------------------------------------------------------------


def outcome(transport: httpx.BaseTransport, url: str) -> tuple[object, ...]:
    """What a GET through `transport` gives: the response, or the error's class and text."""
    with httpx.Client(transport=transport, timeout=0.3) as client:
        try:
            response = client.get(url)
        except httpx.TransportError as exc:
            return type(exc), str(exc)
    return response.status_code, response.headers.multi_items(), response.content


def answer(conn: Any) -> None:
    conn.read_request()
    conn.respond(headers=[("Content-Type", "application/json"), ("X-Seen", "1")])


def close_unanswered(conn: Any) -> None:
    conn.read_request()
    conn.sock.close()


def reset(conn: Any) -> None:
    conn.read_request()
    conn.reset()


def hang(conn: Any) -> None:
    conn.read_request()
    conn.hang()


@pytest.mark.parametrize("handler", [answer, close_unanswered, reset, hang])
def test_the_core_transport_answers_and_fails_as_httpx_own_transport(
    raw_server: Any, handler: Any,
) -> None:
    server = raw_server(handler)

    ours = outcome(core_transport(), server.url + "/events")
    httpxs = outcome(httpx.HTTPTransport(), server.url + "/events")

    assert ours == httpxs, changed(
        "httpx", httpx.__version__, f"httpx.HTTPTransport now gives {httpxs}, seatctl's "
        f"transport {ours}: compare it with httpx's _transports/default.py", TRANSPORT)


def test_a_refused_connection_fails_as_with_httpx_own_transport() -> None:
    with socket.socket() as closed:  # bound, never listening: connecting is refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/"
        ours, httpxs = outcome(core_transport(), url), outcome(httpx.HTTPTransport(), url)

    assert ours == httpxs and ours[0] is httpx.ConnectError, changed(
        "httpx", httpx.__version__, f"a refused connection: {httpxs} from httpx, {ours} from "
        "seatctl's transport", TRANSPORT)
