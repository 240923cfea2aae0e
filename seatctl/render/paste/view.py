"""What a pasted report shows, read from a doctor or smoke JSON document: the verdict, the
findings (or checks), the measurements, what was not evaluated, the timeline. The Markdown
and HTML renderers draw the same view.

Documents are read defensively: a section or key missing (an older document, a partial
run) is left out, a key added later is shown generically (`flatten`), a value of the
wrong type is ignored. Nothing here formats for one syntax.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from seatctl.render.paste.inline import Block, Inline, code, plain

RANK = {"fail": 4, "error": 4, "warn": 3, "not-verified": 2, "skip": 1, "info": 1, "ok": 0,
        "pass": 0}
UNKNOWN_RANK = 2
LOUD = {"fail", "error", "warn"}  # shown in capitals
FLATTEN_DEPTH = 3
FLATTEN_ROWS = 30  # per section: a generic section never floods the report
_CSS_NAME = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class Item:
    """A finding of the doctor or a check of smoke."""

    id: str
    severity: str
    title: Inline
    detail: tuple[Block, ...] = ()
    fix: tuple[Block, ...] = ()
    extras: tuple[Row, ...] = ()  # fields added later (confidence, basis, ...)


@dataclass(frozen=True)
class Row:
    name: str
    value: Inline


@dataclass(frozen=True)
class ProbeRow:
    name: str
    state: str
    seconds: float | None
    note: Inline


@dataclass(frozen=True)
class Unverified:
    id: str
    title: Inline
    reason: Inline


@dataclass(frozen=True)
class Bar:
    """A probe or check on the run's time axis; no start when it never ran."""

    label: str
    start_s: float | None
    end_s: float | None
    state: str
    note: str
    cut: bool = False


@dataclass(frozen=True)
class Mark:
    """A moment on the time axis: `kind` is close, lower-bound, advertised, assumed, bound."""

    seconds: float
    symbol: str
    label: str
    kind: str


@dataclass(frozen=True)
class Dot:
    seconds: float
    ok: bool
    label: str


@dataclass(frozen=True)
class Timeline:
    bars: tuple[Bar, ...]
    marks: tuple[Mark, ...] = ()
    dots: tuple[Dot, ...] = ()
    dots_label: str = ""


@dataclass(frozen=True)
class Guess:
    """What the server or the front door probably is, what that rests on, and its fix."""

    role: str  # "server" or "front door"
    name: str
    confidence: str
    basis: tuple[Inline, ...]
    fix: tuple[Block, ...] = ()
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class GridRow:
    name: str
    cells: tuple[Inline, ...]


@dataclass(frozen=True)
class Grid:
    """A table of one value per column (HTTP/1.1 and HTTP/2 side by side)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[GridRow, ...]


@dataclass(frozen=True)
class PasteView:
    command: str  # "doctor" or "smoke"
    verdict: str  # a severity, or "incomplete", "not-judged"
    target: str
    summary: str
    when: datetime
    items_heading: str
    items: tuple[Item, ...]
    document: Mapping[str, Any]
    elapsed_s: float | None = None
    note: str | None = None
    measurements: tuple[Row, ...] = ()
    probes: tuple[ProbeRow, ...] = ()
    unverified_heading: str = "Not evaluated"
    unverified: tuple[Unverified, ...] = ()
    timeline: Timeline | None = None
    guesses: tuple[Guess, ...] = ()  # the doctor's inference: server, front door
    guess_notes: tuple[Inline, ...] = ()  # what the evidence rules out, when it names nothing
    protocols: Grid | None = None

    @property
    def verdict_label(self) -> str:
        return self.verdict.upper().replace("-", " ")


# --- reading documents ------------------------------------------------------------------


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def sequence(value: object) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def rank(severity: str) -> int:
    return RANK.get(severity, UNKNOWN_RANK)


def severity_label(severity: str) -> str:
    return severity.upper() if severity in LOUD else severity.replace("-", " ")


def css_name(value: str) -> str:
    """`value` as a CSS class, or "other" (a document's strings never reach an attribute
    unchecked)."""
    return value if _CSS_NAME.fullmatch(value) else "other"


def resolve_when(document: Mapping[str, Any], when: datetime | None) -> datetime:
    """The moment the report speaks of: given, else the document's own, else now."""
    if when is not None:
        return when
    for key in ("finished_at", "started_at", "generated_at"):
        stamp = text(document.get(key))
        if stamp is None:
            continue
        try:
            return datetime.fromisoformat(stamp)
        except ValueError:
            continue
    return datetime.now(UTC)


def when_text(when: datetime) -> str:
    if when.tzinfo is None:
        return when.strftime("%Y-%m-%d %H:%M:%S")
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float) -> str:
    """12.3 ms below a second, 6.00 s above (as the terminal report)."""
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def sentence_count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- generic sections -------------------------------------------------------------------


def flatten(value: object, prefix: str, depth: int = FLATTEN_DEPTH) -> list[Row]:
    """A section this module does not know, as rows "prefix.key: value" (values as code:
    they may come from the server), bounded in depth and rows."""
    rows: list[Row] = []
    _flatten_into(rows, value, prefix, depth)
    if len(rows) > FLATTEN_ROWS:
        hidden = len(rows) - FLATTEN_ROWS
        rows = [*rows[:FLATTEN_ROWS],
                Row(prefix, plain(f"{hidden} more values: see the JSON document"))]
    return rows


def _flatten_into(rows: list[Row], value: object, prefix: str, depth: int) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        if depth == 0:
            rows.append(Row(prefix, plain("(nested: see the JSON document)")))
            return
        for key, inner in value.items():
            _flatten_into(rows, inner, f"{prefix}.{key}" if prefix else str(key), depth - 1)
        return
    if isinstance(value, list | tuple):
        if all(not isinstance(inner, Mapping | list | tuple) for inner in value):
            if value:
                rows.append(Row(prefix, code(", ".join(scalar(inner) for inner in value))))
            return
        for index, inner in enumerate(value):
            _flatten_into(rows, inner, f"{prefix}[{index}]", depth - 1)
        return
    rows.append(Row(prefix, code(scalar(value))))


def reuse_race_summary(race: Mapping[str, Any]) -> str:
    """The HTTP/1.1 reuse race of a doctor document in one line: skipped, until when reused
    connections worked, from when they failed and how, or no failure in N attempts."""
    skipped = text(race.get("skipped"))
    if skipped is not None:
        return f"skipped: {skipped}"
    ok_until, failing_from = number(race.get("ok_until_s")), number(race.get("failing_from_s"))
    parts = []
    if ok_until is not None:
        parts.append(f"still worked after {ok_until:.2f} s idle")
    if failing_from is not None:
        failures = ", ".join(scalar(failure) for failure in sequence(race.get("failures")))
        parts.append(f"failed from {failing_from:.2f} s idle ({failures})")
    attempts = len(sequence(race.get("attempts")))
    return "; ".join(parts) or f"no failure in {sentence_count(attempts, 'attempt')}"


def scalar(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def extra_fields(entry: Mapping[str, Any], known: Sequence[str]) -> tuple[Row, ...]:
    """The fields of `entry` beyond `known` (confidence, basis, ...), generically."""
    rows: list[Row] = []
    for key, value in entry.items():
        if key not in known:
            rows.extend(flatten(value, str(key), depth=2))
    return tuple(rows)


# --- shared measurements ----------------------------------------------------------------


def idle_close_value(section: Mapping[str, Any]) -> Inline | None:
    """The measured idle close of a keep-alive section (the doctor's probe, smoke's check):
    "6.00 s (FIN)", "still open after 75.0 s", "not kept alive"; None when not measured."""
    if section.get("persistent") is False:
        header = text(section.get("connection_header"))
        if header is not None:
            return plain("not kept alive: ") + code(f"Connection: {header}")
        return plain("not kept alive")
    seconds = number(section.get("idle_close_s"))
    if seconds is None:
        return None
    if section.get("idle_close_lower_bound") is True:
        return plain(f"still open after {seconds:.1f} s (a lower bound)")
    kind = text(section.get("close_kind"))
    return plain(f"{seconds:.2f} s" + (f" ({kind.upper()})" if kind else ""))


def advertised_value(section: Mapping[str, Any]) -> Inline:
    header = text(section.get("keep_alive_header"))
    if header is None:
        return plain("no Keep-Alive header")
    value = code(f"Keep-Alive: {header}")
    if section.get("advertised_exceeds_idle_close") is True:
        value += plain(" (more than the server keeps)")
    return value


def close_mark(section: Mapping[str, Any], idle_start: float, name: str = "server"
               ) -> Mark | None:
    seconds = number(section.get("idle_close_s"))
    if seconds is None or section.get("persistent") is False:
        return None
    if section.get("idle_close_lower_bound") is True:
        return Mark(idle_start + seconds, "≥", f"{name} still open at {seconds:.1f} s",
                    "lower-bound")
    kind = text(section.get("close_kind"))
    how = f" ({kind.upper()})" if kind else ""
    return Mark(idle_start + seconds, name[:1].upper(), f"{name} close {seconds:.2f} s{how}",
                "close")


def advertised_mark(section: Mapping[str, Any], idle_start: float) -> Mark | None:
    seconds = number(section.get("advertised_timeout_s"))
    if seconds is None:
        return None
    return Mark(idle_start + seconds, "A", f"Keep-Alive: timeout={seconds:g}", "advertised")
