"""Reports people paste: a doctor, smoke or monitor JSON document as GitHub-flavoured
Markdown (a ticket, a GitHub Actions job summary) or as one self-contained HTML page (the
timeline as an inline SVG; no script, font, image or link that loads anything).

    doctor_markdown(report_json(report))           # -> str
    smoke_html(report_json(smoke_report), when=started)
    paste_report(document, "markdown")            # by the document's schema
    paste_format(Path("report.html"))             # "html"; None for another suffix

All are built from the document alone, so a field added to it later is shown
generically, and a partial document (Ctrl-C, a deadline) still renders. Nothing here
prints or touches the network; text from the server is escaped for each syntax.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from seatctl.render.paste.doctor_view import doctor_view
from seatctl.render.paste.markdown import render_markdown
from seatctl.render.paste.monitor_view import (
    MONITOR_SCHEMA,
    monitor_html,
    monitor_markdown,
)
from seatctl.render.paste.page import render_html
from seatctl.render.paste.smoke_view import smoke_view
from seatctl.render.paste.view import PasteView

PasteFormat = Literal["markdown", "html"]
SUFFIXES: dict[str, PasteFormat] = {".md": "markdown", ".markdown": "markdown",
                                    ".html": "html", ".htm": "html"}
DOCTOR_SCHEMA = "seatctl.doctor/"
SMOKE_SCHEMA = "seatctl.smoke/"


def doctor_markdown(document: Mapping[str, Any], *, when: datetime | None = None) -> str:
    return render_markdown(doctor_view(document, when))


def doctor_html(document: Mapping[str, Any], *, when: datetime | None = None) -> str:
    return render_html(doctor_view(document, when))


def smoke_markdown(document: Mapping[str, Any], *, when: datetime | None = None) -> str:
    return render_markdown(smoke_view(document, when))


def smoke_html(document: Mapping[str, Any], *, when: datetime | None = None) -> str:
    return render_html(smoke_view(document, when))


def paste_format(path: Path) -> PasteFormat | None:
    """The format a report file's suffix asks for: .md/.markdown, .html/.htm; else None."""
    return SUFFIXES.get(path.suffix.lower())


def paste_report(document: Mapping[str, Any], fmt: PasteFormat, *,
                 when: datetime | None = None) -> str:
    """`document` in `fmt`, by its schema (doctor, smoke or monitor); ValueError for
    another."""
    if str(document.get("schema") or "").startswith(MONITOR_SCHEMA):
        return (monitor_markdown(document, when=when) if fmt == "markdown"
                else monitor_html(document, when=when))
    view = _view(document, when)
    return render_markdown(view) if fmt == "markdown" else render_html(view)


def _view(document: Mapping[str, Any], when: datetime | None) -> PasteView:
    schema = str(document.get("schema") or "")
    if schema.startswith(DOCTOR_SCHEMA):
        return doctor_view(document, when)
    if schema.startswith(SMOKE_SCHEMA):
        return smoke_view(document, when)
    raise ValueError("not a seatctl doctor or smoke document, nor a monitor one: "
                     f"schema {schema!r}")


__all__ = ["PasteFormat", "doctor_html", "doctor_markdown", "monitor_html", "monitor_markdown",
           "paste_format", "paste_report", "smoke_html", "smoke_markdown"]
