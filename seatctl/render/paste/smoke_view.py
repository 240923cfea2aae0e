"""The view of a smoke document (schema `seatctl.smoke/1`, `report_json`): the verdict,
every check with its message, the failures' warnings, hints and fixes, what was measured,
the checks skipped or not verified with their reasons, and the checks on a time axis with
the keep-alive check's idle close, advertised timeout and bound marked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from seatctl.render.paste.inline import (
    Block,
    Inline,
    Paragraph,
    code,
    fix_blocks,
    plain,
    prose,
)
from seatctl.render.paste.view import (
    Bar,
    Item,
    Mark,
    PasteView,
    Row,
    Timeline,
    Unverified,
    advertised_mark,
    advertised_value,
    close_mark,
    duration,
    extra_fields,
    flatten,
    idle_close_value,
    mapping,
    number,
    resolve_when,
    scalar,
    sequence,
    severity_label,
    text,
)

KEEP_ALIVE = "keep-alive"
JUDGED = ("pass", "fail")
NOT_VERIFIED = "not-verified"
KNOWN_KEYS = ("schema", "target", "passed", "elapsed_s", "max_time_s", "checks",
              "rate_limited", "rate_limit", "finished_at", "started_at", "generated_at",
              "not_verified", "strict")
CHECK_KEYS = ("name", "status", "message", "seconds", "details", "warnings", "fix",
              "started_s")
KNOWN_DETAILS = {
    "health": ("url", "status_code", "latency_ms", "attempts", "health", "server_headers",
               "rate_limit", "api_health", "failed_attempts", "hint", "error"),
    "latency": ("request", "budget_ms", "samples_ms", "median_ms", "failed_attempts", "hint",
                "error"),
    KEEP_ALIVE: ("bound_s", "min_idle_s", "front_door", "app_server", "basis", "status",
                 "keep_alive_header", "advertised_timeout_s", "idle_close_s",
                 "idle_close_lower_bound", "close_kind", "fix_keep_alive_s",
                 "proxy_idle_timeout", "failed_attempts", "hint", "error", "started_s",
                 "idle_started_s"),
}


def smoke_view(document: Mapping[str, Any], when: datetime | None = None) -> PasteView:
    checks = [mapping(entry) for entry in sequence(document.get("checks"))]
    listed = {str(name) for name in sequence(document.get("not_verified"))}
    flags = [_not_verified(entry, listed) for entry in checks]
    items = tuple(_check(entry, flag) for entry, flag in zip(checks, flags, strict=True))
    rate_limited = text(document.get("rate_limited"))
    if rate_limited is not None:
        verdict = "not-judged"
    else:
        verdict = "pass" if document.get("passed") is True else "fail"
    return PasteView(
        command="smoke", verdict=verdict, target=text(document.get("target")) or "",
        summary=_summary(items), when=resolve_when(document, when), items_heading="Checks",
        items=items, document=document, elapsed_s=number(document.get("elapsed_s")),
        note=f"not judged: {rate_limited}" if rate_limited else None,
        measurements=_measurements(document, checks),
        unverified_heading="Skipped or not verified",
        unverified=tuple(_unverified(entry, flag)
                         for entry, flag in zip(checks, flags, strict=True)
                         if flag or text(entry.get("status")) not in JUDGED),
        timeline=_timeline(checks, items),
    )


def _not_verified(entry: Mapping[str, Any], listed: set[str]) -> bool:
    """A check that could not see what it must within --max-time (a skip, or a failure
    under --strict): by its status, its basis, or the document's `not_verified` list."""
    return (entry.get("status") == NOT_VERIFIED
            or mapping(entry.get("details")).get("basis") == NOT_VERIFIED
            or text(entry.get("name")) in listed)


def _severity(entry: Mapping[str, Any], not_verified: bool) -> str:
    """A skip that is not verified shows as such; a failure (--strict) stays a failure."""
    status = text(entry.get("status")) or "?"
    return NOT_VERIFIED if not_verified and status != "fail" else status


def _check(entry: Mapping[str, Any], not_verified: bool) -> Item:
    details = mapping(entry.get("details"))
    blocks: list[Block] = [Paragraph(plain("warning: ") + prose(str(warning)))
                           for warning in sequence(entry.get("warnings"))]
    if not_verified:
        blocks.append(Paragraph(plain("not verified") + _lower_bound(details)
                                + plain(" (a failure under --strict)"
                                        if entry.get("status") == "fail" else "")))
    hint = text(details.get("hint"))
    if hint is not None:
        blocks.append(Paragraph(plain("hint: ") + prose(hint)))
    return Item(id=text(entry.get("name")) or "?", severity=_severity(entry, not_verified),
                title=prose(str(entry.get("message") or "")), detail=tuple(blocks),
                fix=fix_blocks(text(entry.get("fix"))), extras=extra_fields(entry, CHECK_KEYS))


def _summary(items: tuple[Item, ...]) -> str:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.severity] = counts.get(item.severity, 0) + 1
    words = {"pass": "passed", "fail": "failed", "skip": "skipped",
             NOT_VERIFIED: "not verified"}
    parts = [f"{count} {words.get(status, status)}" for status, count in counts.items()]
    return ", ".join(parts) if parts else "no checks"


def _unverified(entry: Mapping[str, Any], not_verified: bool) -> Unverified:
    """A check skipped or not verified: its reason, the lower bound it did see, and how
    to verify it."""
    details = mapping(entry.get("details"))
    reason = prose(str(entry.get("message") or "no reason given")) + _lower_bound(details)
    hint = text(details.get("hint"))
    if not_verified and hint is not None:
        reason += plain("; ") + prose(hint)
    label = severity_label(_severity(entry, not_verified))
    if not_verified and entry.get("status") == "fail":
        label = "not verified (a failure under --strict)"
    return Unverified(text(entry.get("name")) or "?", plain(label), reason)


def _lower_bound(details: Mapping[str, Any]) -> Inline:
    seen = number(details.get("idle_close_s"))
    if seen is None or details.get("idle_close_lower_bound") is not True:
        return ()
    return plain(f" (an idle connection was still open after {seen:.1f} s)")


# --- measurements -----------------------------------------------------------------------


def _measurements(document: Mapping[str, Any], checks: list[Mapping[str, Any]]
                  ) -> tuple[Row, ...]:
    rows: list[Row] = []
    elapsed, most = number(document.get("elapsed_s")), number(document.get("max_time_s"))
    if elapsed is not None:
        rows.append(Row("run", plain(f"{elapsed:.2f} s" + (f" of --max-time {most:g} s"
                                                           if most is not None else ""))))
    for entry in checks:
        name = text(entry.get("name")) or "?"
        details = mapping(entry.get("details"))
        rows.extend(_known_rows(name, details))
        known = KNOWN_DETAILS.get(name, ("failed_attempts", "hint", "error"))
        for key, value in details.items():
            if key not in known:
                rows.extend(flatten(value, f"{name}.{key}", depth=2))
    rows.extend(flatten(document.get("rate_limit"), "rate limit", depth=2))
    for key, value in document.items():
        if key not in KNOWN_KEYS:
            rows.extend(flatten(value, str(key)))
    return tuple(rows)


def _known_rows(name: str, details: Mapping[str, Any]) -> list[Row]:
    if name == "health":
        return _health_rows(details)
    if name == "latency":
        return _latency_rows(details)
    if name == KEEP_ALIVE:
        return _keep_alive_rows(details)
    return []


def _health_rows(details: Mapping[str, Any]) -> list[Row]:
    rows = []
    status, latency = number(details.get("status_code")), number(details.get("latency_ms"))
    if status is not None:
        rows.append(Row("health", plain(f"GET /health: {status:g}" + (
            f" in {latency:g} ms" if latency is not None else ""))))
    server = text(mapping(details.get("server_headers")).get("server"))
    if server is not None:
        rows.append(Row("Server header", code(server)))
    return rows


def _latency_rows(details: Mapping[str, Any]) -> list[Row]:
    median = number(details.get("median_ms"))
    if median is None:
        return []
    samples = ", ".join(scalar(sample) for sample in sequence(details.get("samples_ms")))
    budget = number(details.get("budget_ms"))
    return [Row("latency median", plain(
        f"{median:g} ms" + (f" of {samples} ms" if samples else "")
        + (f" (budget {budget:g} ms)" if budget is not None else "")))]


def _keep_alive_rows(details: Mapping[str, Any]) -> list[Row]:
    rows = []
    closed = idle_close_value(details)
    if closed is not None:
        rows.append(Row("idle close", closed))
    if "keep_alive_header" in details:
        rows.append(Row("advertised keep-alive", advertised_value(details)))
    for key, name in (("bound_s", "keep-alive bound"), ("min_idle_s", "minimum idle")):
        seconds = number(details.get(key))
        if seconds is not None:
            rows.append(Row(name, plain(f"{seconds:g} s")))
    basis = text(details.get("basis"))
    if basis is not None:
        rows.append(Row("keep-alive basis", plain(basis)))
    for key, name in (("front_door", "front door"), ("app_server", "app server")):
        if text(details.get(key)):
            rows.append(Row(name, code(details[key])))
    proxy = mapping(details.get("proxy_idle_timeout"))
    seconds = number(proxy.get("seconds"))
    if seconds is not None:
        rows.append(Row("proxy idle timeout", plain(
            f"{seconds:g} s, {proxy.get('basis') or 'stated'}: {proxy.get('source') or ''}"
            .rstrip(": "))))
    return rows


# --- timeline ---------------------------------------------------------------------------


def _timeline(checks: list[Mapping[str, Any]], items: tuple[Item, ...]) -> Timeline | None:
    if not checks:
        return None
    bars: list[Bar] = []
    marks: list[Mark] = []
    clock = 0.0  # checks run one after another unless the document says when each started
    for entry, item in zip(checks, items, strict=True):
        name = text(entry.get("name")) or "?"
        status = item.severity
        details = mapping(entry.get("details"))
        seconds = number(entry.get("seconds")) or 0.0
        if status not in JUDGED and seconds == 0:
            bars.append(Bar(name, None, None, status, status))
            continue
        start = number(entry.get("started_s"))
        start = number(details.get("started_s")) if start is None else start
        start = clock if start is None else start
        bars.append(Bar(name, start, start + seconds, status,
                        f"{severity_label(status)} in {duration(seconds)}" if status != "pass"
                        else duration(seconds)))
        clock = max(clock, start + seconds)
        if name == KEEP_ALIVE:
            marks.extend(_keep_alive_marks(details, start))
    return Timeline(tuple(bars), tuple(sorted(marks, key=lambda mark: mark.seconds)))


def _keep_alive_marks(details: Mapping[str, Any], start: float) -> list[Mark]:
    idle_start = start + (number(details.get("idle_started_s")) or 0.0)
    marks = [mark for mark in (close_mark(details, idle_start),
                               advertised_mark(details, idle_start)) if mark is not None]
    for key, symbol, name in (("bound_s", "B", "bound"), ("min_idle_s", "M", "minimum idle")):
        seconds = number(details.get(key))
        if seconds is not None:
            marks.append(Mark(idle_start + seconds, symbol, f"{name} {seconds:g} s", "bound"))
    return marks

