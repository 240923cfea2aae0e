"""Decoding responses: the contract's envelope, typed data, and errors for failing statuses."""

from __future__ import annotations

import json
import re
import time
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from seatctl.errors import (
    AuthError,
    ErrorEnvelope,
    HTTPStatusError,
    NonJSONBody,
    NotFound,
    ProxyErrorPage,
    RateLimited,
    Redirected,
    RequestRejected,
    ServerError,
    TruncatedJSON,
    UnexpectedShape,
)
from seatctl.http._translate import DOCTOR_HINT, LOGIN_HINT

ModelT = TypeVar("ModelT", bound=BaseModel)
SNIPPET_CHARS = 80
CONTRACT_HINT = "the server does not answer as the booking API contract says"
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class Envelope(BaseModel):
    """`{"status": "success" | "error", "message"?: str, "data"?: ...}`."""

    model_config = ConfigDict(extra="allow")

    status: str | None = None
    message: str | None = None
    data: Any = None


def decode_json(response: httpx.Response) -> Any:
    """The body as JSON, or NonJSONBody / TruncatedJSON saying what came instead."""
    body = response.content
    where = f"{response.request.method} {response.request.url.path}"
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        pass
    except RecursionError:
        raise UnexpectedShape(f"{where} answered {response.status_code} with JSON nested too "
                              "deeply to read", hint=CONTRACT_HINT) from None
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    if not body.strip():
        raise NonJSONBody(f"{where} answered {response.status_code} with an empty body",
                          hint=DOCTOR_HINT)
    if body.lstrip()[:1] in (b"{", b"["):
        raise TruncatedJSON(
            f"{where} answered {response.status_code} with JSON cut short or malformed "
            f"({len(body)} bytes)", hint="the connection may have been cut mid-response",
        )
    raise NonJSONBody(
        f"{where} answered {response.status_code} with {kind}, not JSON: {_snippet(body)}",
        hint="a proxy or platform answered instead of the API",
    )


def parse_envelope(response: httpx.Response) -> Envelope:
    """The envelope of a successful response; `status: "error"` raises ErrorEnvelope."""
    document = decode_json(response)
    if not isinstance(document, dict):
        raise UnexpectedShape(
            f"expected a JSON object, got {_json_kind(document)}", hint=CONTRACT_HINT)
    try:
        envelope = Envelope.model_validate(document)
    except ValidationError as exc:  # `status` or `message` of another type than a string
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise UnexpectedShape(f"the envelope's field {field!r} {error['msg'].lower()}",
                              hint=CONTRACT_HINT) from None
    if envelope.status == "error":
        raise ErrorEnvelope(
            f"the server reported an error: {envelope.message or 'no message'}",
            hint="the request was answered but not carried out; see the server's message",
        )
    return envelope


def parse_model(document: Any, model: type[ModelT], what: str) -> ModelT:
    """Validate `document` as `model`; a mismatch names the first bad field."""
    if not isinstance(document, dict):
        raise UnexpectedShape(f"{what}: expected a JSON object, got {_json_kind(document)}",
                              hint=CONTRACT_HINT)
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise UnexpectedShape(f"{what}: field {field!r} {error['msg'].lower()}",
                              hint=CONTRACT_HINT) from None


def error_for_status(response: httpx.Response, request_id: str | None
                     ) -> HTTPStatusError | Redirected | None:
    """The classified error for a redirect or a failing status; None for 1xx and 2xx."""
    status = response.status_code
    if status < 300:
        return None
    if status < 400:
        location = response.headers.get("location", "nowhere")
        return Redirected(
            f"{response.request.method} {response.request.url.path} was redirected "
            f"({status}) to {location}",
            hint="seatctl does not follow redirects; put the final URL in --base-url",
        )
    document = _json_document(response)
    server_message = _server_message(document)
    said = f": {server_message}" if server_message else ""
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    common: dict[str, Any] = {"status_code": status, "server_message": server_message,
                              "request_id": request_id, "retry_after": retry_after,
                              "server_data": _server_data(document)}
    path = response.request.url.path
    if status == 401:
        return AuthError(f"not authenticated (401){said}",
                         hint=LOGIN_HINT,
                         **common)
    if status == 403:
        return AuthError(f"permission denied (403){said}",
                         hint="the token is valid but not allowed to do this", **common)
    if status == 404:
        return NotFound(f"not found (404): {path}{said}",
                        hint="check the id, and that --base-url is the API's root", **common)
    if status == 429:
        return RateLimited(f"rate limited (429){said}{window_resets(retry_after)}",
                           hint="the limit is shared by every request from this address; "
                                "wait for the window to reset, then run the command again",
                           **common)
    if status < 500:
        return RequestRejected(f"request rejected ({status}){said}",
                               hint="the server refused the request as sent", **common)
    reason = _reason(status)
    if server_message is None and status in (502, 503, 504):
        return ProxyErrorPage(
            f"{status} {reason} from a proxy, not the API: {_snippet(response.content)}",
            hint="the application behind the proxy did not answer (crashed, restarting, or "
                 "it closed a kept-alive connection the proxy reused); " + DOCTOR_HINT,
            **common,
        )
    return ServerError(f"server error {status} {reason}{said}",
                       hint="the server failed; retry later, or check its logs", **common)


def window_resets(retry_after: float | None) -> str:
    """"; the window resets at 18:28:05 (in 840 s)", local time, as people read it."""
    if retry_after is None:
        return ""
    from seatctl.http._ratelimit import local_time

    now, wait = time.time(), min(retry_after, 86_400.0)  # a longer one: at least a day
    return f"; the window resets at {local_time(now + wait, now)} (in {retry_after:g} s)"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: either delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


NOT_JSON = object()


def _json_document(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return NOT_JSON


def _server_data(document: Any) -> Any:
    if isinstance(document, dict):
        return document.get("data", document)
    return None


def _server_message(document: Any) -> str | None:
    if isinstance(document, dict):
        message = document.get("message") or document.get("error")
        return str(message) if message else ""
    return None


def _json_kind(document: Any) -> str:
    if document is None:
        return "null"
    return {list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(document), type(document).__name__)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _snippet(body: bytes) -> str:
    title = _TITLE.search(body)
    raw = title.group(1) if title else body
    text = " ".join(raw.decode("utf-8", "replace").split())
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    if not text:
        return "(empty)"
    return repr(text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…")
