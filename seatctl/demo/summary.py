"""What the tour did, step by step, and its `--json` document (schema `seatctl.demo/1`).

Plain data: filled in by the tour as it goes, so a failed or interrupted tour still has
every step it finished (and the one that failed, with `ok: false`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SCHEMA = "seatctl.demo/1"


class StepName(StrEnum):
    SERVER = "server"
    LOGIN = "login"
    EVENTS = "events"
    SEAT_MAP = "seat-map"
    BOOKING = "booking"
    RETRIED_BOOKING = "retried-booking"
    TICKET = "ticket"
    CANCEL = "cancel"
    DOCTOR = "doctor"


STEPS: tuple[StepName, ...] = tuple(StepName)  # in the order the tour runs them


@dataclass
class StepResult:
    name: StepName
    ok: bool
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # why it did not finish: an error's message, or "interrupted"


@dataclass(frozen=True)
class BookingSummary:
    job_id: str | None
    seats: tuple[str, ...]  # labels, e.g. "Orchestra:A3"
    state: str
    booking_id: str | None
    key: str


@dataclass(frozen=True)
class PostAttempt:
    """One attempt of the booking POST, as the HTTP core reported it."""

    number: int  # 1 for the first
    status: int | None  # None: no answer (the error says why)
    error: str | None
    seconds: float


@dataclass(frozen=True)
class RetriedBookingSummary:
    booking: BookingSummary
    attempts: tuple[PostAttempt, ...]
    bookings_on_server: int  # confirmed bookings holding any of the seats, per the server
    bookings_with_key: int  # the server's bookings carrying the booking key
    account_bookings: int  # all the demo account's bookings (the first booking, and this)


@dataclass(frozen=True)
class DoctorSummary:
    verdict: str
    findings: tuple[tuple[str, str], ...]  # (id, severity), worst first
    finding: str  # the rule that found the short keep-alive
    fix: str  # its prescription


@dataclass
class DemoSummary:
    server_url: str | None = None
    steps: list[StepResult] = field(default_factory=list)
    booking: BookingSummary | None = None
    retried_booking: RetriedBookingSummary | None = None
    doctor: DoctorSummary | None = None
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return len(self.steps) == len(STEPS) and all(step.ok for step in self.steps)


def summary_document(summary: DemoSummary) -> dict[str, Any]:
    """The `--json` document; `error` is added by the command when a step failed."""
    return {
        "schema": SCHEMA,
        "ok": summary.ok,
        "server_url": summary.server_url,
        "steps": [{"name": step.name.value, "ok": step.ok, "seconds": round(step.seconds, 3),
                   "details": step.details, "error": step.error} for step in summary.steps],
        "booking": _booking(summary.booking),
        "retried_booking": _retried(summary.retried_booking),
        "doctor": _doctor(summary.doctor),
        "elapsed_s": round(summary.elapsed_s, 3),
    }


def _booking(booking: BookingSummary | None) -> dict[str, Any] | None:
    if booking is None:
        return None
    return {"job_id": booking.job_id, "seats": list(booking.seats), "state": booking.state,
            "booking_id": booking.booking_id, "key": booking.key}


def _retried(retried: RetriedBookingSummary | None) -> dict[str, Any] | None:
    if retried is None:
        return None
    return {
        **(_booking(retried.booking) or {}),
        "attempts": len(retried.attempts),
        "attempt_outcomes": [attempt_document(attempt) for attempt in retried.attempts],
        "bookings_on_server": retried.bookings_on_server,
        "bookings_with_key": retried.bookings_with_key,
        "account_bookings": retried.account_bookings,
    }


def attempt_document(attempt: PostAttempt) -> dict[str, Any]:
    return {"attempt": attempt.number, "status": attempt.status, "error": attempt.error,
            "seconds": round(attempt.seconds, 3)}


def _doctor(doctor: DoctorSummary | None) -> dict[str, Any] | None:
    if doctor is None:
        return None
    return {"verdict": doctor.verdict,
            "findings": [{"id": id_, "severity": severity} for id_, severity in doctor.findings],
            "finding": doctor.finding, "fix": doctor.fix}
