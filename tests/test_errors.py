"""The errors' JSON document."""

from __future__ import annotations

from seatctl.errors import DeadlineExceeded


def test_error_document_carries_type_code_and_attempts() -> None:
    error = DeadlineExceeded("out of time", hint="raise --timeout")
    error.attempts = 3
    assert error.as_dict() == {"type": "DeadlineExceeded", "message": "out of time",
                               "hint": "raise --timeout", "exit_code": 6, "attempts": 3}
