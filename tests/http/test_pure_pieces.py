"""The HTTP core's pure pieces: Retry-After, timeouts, the retry policy, envelopes."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from pydantic import BaseModel

from seatctl.errors import UnexpectedShape
from seatctl.http import RetryPolicy, Timeouts, parse_envelope, parse_model, parse_retry_after


def test_retry_after_in_seconds() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0


def test_retry_after_as_an_http_date_counts_from_now() -> None:
    now = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC).timestamp()
    later = format_datetime(datetime(2026, 11, 29, 12, 0, 42, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(later, now=now) == 42.0
    earlier = format_datetime(datetime(2026, 11, 29, 11, 0, 0, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-3", "1.5", "Mon, 99 Foo 2026"])
def test_unusable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value) is None


def test_timeouts_are_clipped_to_the_remaining_deadline() -> None:
    timeouts = Timeouts(connect=5, read=30, write=30, pool=5)
    assert timeouts.clipped(None) is timeouts
    assert timeouts.clipped(3.0) == Timeouts(3, 3, 3, 3)
    assert timeouts.clipped(-1).read > 0  # never zero: httpx would read that as "no wait"
    assert timeouts.as_httpx() == httpx.Timeout(connect=5, read=30, write=30, pool=5)


def test_backoff_bound_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(backoff_base=0.25, backoff_cap=2.0)
    assert [policy.backoff_bound(n) for n in range(1, 6)] == [0.25, 0.5, 1.0, 2.0, 2.0]


@pytest.mark.parametrize(
    ("method", "key", "expected"),
    [("GET", False, True), ("head", False, True), ("OPTIONS", False, True),
     ("POST", False, False), ("POST", True, True), ("DELETE", False, False)],
)
def test_only_safe_or_keyed_requests_may_repeat(method: str, key: bool, expected: bool) -> None:
    assert RetryPolicy().may_repeat(method, key) is expected


def response(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=body,
                          request=httpx.Request("GET", "http://127.0.0.1/api/x"))


def test_envelope_parses_into_a_typed_result() -> None:
    class Pagination(BaseModel):
        currentPage: int
        totalPages: int

    envelope = parse_envelope(response(
        b'{"status": "success", "data": {"currentPage": 1, "totalPages": "3"}}'))
    assert parse_model(envelope.data, Pagination, "events") == Pagination(currentPage=1,
                                                                          totalPages=3)


def test_a_shape_mismatch_names_the_field() -> None:
    class Needs(BaseModel):
        jobId: str

    with pytest.raises(UnexpectedShape, match="'jobId'"):
        parse_model({"id": 1}, Needs, "POST /api/seats/book")


def test_a_json_list_is_not_an_envelope() -> None:
    with pytest.raises(UnexpectedShape, match="expected a JSON object"):
        parse_envelope(response(b"[1, 2]"))
