"""What a smoke run found: one result per check, the verdict, and the JSON document
(schema `seatctl.smoke/1`). Plain data; nothing here prints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from seatctl.errors import SeatctlError

if TYPE_CHECKING:
    from seatctl.http import RateLimitInfo

SCHEMA = "seatctl.smoke/1"

HEALTH = "health"
LATENCY = "latency"
AUTH = "auth"
BOOKING = "booking"
KEEP_ALIVE = "keep-alive"
CHECK_NAMES = (HEALTH, LATENCY, AUTH, BOOKING, KEEP_ALIVE)  # the order they run in


class CheckStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    """One check: its verdict, a one-line message, what was measured (`details`, plain JSON
    values), warnings that do not fail it, and the fix when one is known.

    `not_verified`: the check could not see what it must within --max-time. It is then a
    skip (never a pass), or a failure under --strict."""

    name: str
    status: CheckStatus
    message: str
    seconds: float = 0.0
    details: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    fix: str | None = None
    not_verified: bool = False

    @property
    def hint(self) -> str | None:
        hint = self.details.get("hint")
        return hint if isinstance(hint, str) else None


def passed(name: str, message: str, details: Mapping[str, Any] | None = None,
           warnings: tuple[str, ...] = ()) -> CheckResult:
    return CheckResult(name, CheckStatus.PASS, message, details=dict(details or {}),
                       warnings=warnings)


def failed(name: str, message: str, details: Mapping[str, Any] | None = None,
           fix: str | None = None) -> CheckResult:
    return CheckResult(name, CheckStatus.FAIL, message, details=dict(details or {}), fix=fix)


def skipped(name: str, message: str) -> CheckResult:
    return CheckResult(name, CheckStatus.SKIP, message)


def not_verified(name: str, message: str, details: Mapping[str, Any], *,
                 strict: bool) -> CheckResult:
    """What could not be verified within --max-time: a skip, a failure under --strict."""
    status = CheckStatus.FAIL if strict else CheckStatus.SKIP
    return CheckResult(name, status, message, details=dict(details), not_verified=True)


@dataclass(frozen=True)
class SmokeReport:
    target: str
    max_time_s: float
    elapsed_s: float
    checks: tuple[CheckResult, ...]
    # The first request could not reach the server at all (refused, DNS, TLS): exit 6.
    unreachable: SeatctlError | None = None
    # The rate limit left too few requests for the checks (or refused one): the checks it
    # stopped say nothing of the deploy, so the run cannot judge it: exit 7.
    rate_limited: str | None = None
    rate_limit: RateLimitInfo | None = None
    strict: bool = False  # --strict: a check not verified within --max-time failed

    @property
    def passed(self) -> bool:
        """Every check passed or was skipped, and the run could judge."""
        return self.unreachable is None and self.rate_limited is None and not self.failed

    @property
    def failed(self) -> bool:
        return any(check.status is CheckStatus.FAIL for check in self.checks)

    def count(self, status: CheckStatus) -> int:
        return sum(1 for check in self.checks if check.status is status)

    @property
    def not_verified(self) -> tuple[str, ...]:
        """The checks that could not verify what they must within --max-time."""
        return tuple(check.name for check in self.checks if check.not_verified)


def report_json(report: SmokeReport) -> dict[str, Any]:
    """The `--json` document; its keys are stable (README: "seatctl smoke")."""
    return {
        "schema": SCHEMA,
        "target": report.target,
        "passed": report.passed,
        "elapsed_s": round(report.elapsed_s, 3),
        "max_time_s": report.max_time_s,
        "checks": [check_json(check) for check in report.checks],
        "rate_limited": report.rate_limited,
        "rate_limit": report.rate_limit.as_dict() if report.rate_limit else None,
        "not_verified": list(report.not_verified),
        "strict": report.strict,
    }


def check_json(check: CheckResult) -> dict[str, Any]:
    return {
        "name": check.name,
        "status": check.status.value,
        "message": check.message,
        "seconds": round(check.seconds, 3),
        "details": dict(check.details),
        "warnings": list(check.warnings),
        "fix": check.fix,
    }
