"""`seatctl demo`: the one-command tour on a reference server embedded in the process.

    from seatctl.demo import DemoTour

    summary = DemoTour(observer, SystemClock()).run()  # observer: a TourObserver

Modules: tour (the steps, reported to a TourObserver; no printing), summary (what the tour
did, and its `--json` document, schema `seatctl.demo/1`).
"""

from seatctl.demo.summary import (
    SCHEMA,
    STEPS,
    BookingSummary,
    DemoSummary,
    DoctorSummary,
    PostAttempt,
    RetriedBookingSummary,
    StepName,
    StepResult,
    summary_document,
)
from seatctl.demo.tour import DemoTour, TourObserver, check_one_booking, free_runs

__all__ = [
    "SCHEMA",
    "STEPS",
    "BookingSummary",
    "DemoSummary",
    "DemoTour",
    "DoctorSummary",
    "PostAttempt",
    "RetriedBookingSummary",
    "StepName",
    "StepResult",
    "TourObserver",
    "check_one_booking",
    "free_runs",
    "summary_document",
]
