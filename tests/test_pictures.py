"""The README's pictures (docs/images/*.svg) are current: drawn again by docs/pictures.py,
each has the same text structure as the committed one once what legitimately varies is
normalised: measured numbers and durations, ids, dates, and the outcomes of the doctor's
reuse race (a reuse at the very moment of the idle close is a reset one time, a refused
request the next).

The structure of an SVG exported by Rich is its lines of text, each a sequence of spans with
their style (the CSS of the span's class, not the class name, which is only a counter). A
paragraph wrapped over several lines counts as one line: where it wraps depends on the
length of the numbers and outcomes in it.
"""

from __future__ import annotations

import difflib
import fcntl
import importlib.util
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from rich.cells import cell_len

from seatctl.diagnostics.results import RaceOutcome
from seatctl.server.demo import BLOCKED

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "pictures.py"
IMAGES = ROOT / "docs" / "images"
PICTURES = ("seatmap", "watch", "doctor")
BLOCKED_GLYPH = "\u00d7"  # the multiplication sign
STALE = "run `python docs/pictures.py` to draw the README's pictures again"

SVG = "{http://www.w3.org/2000/svg}"
_STYLE_RULE = re.compile(r"\.(?P<name>[\w-]+)\s*\{(?P<css>[^}]*)\}")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
# A job id's random part may be all digits ("booking-1796...-12345678"): named as a whole.
_JOB_ID = re.compile(r"\bbooking-\d+-[0-9a-f]{8}\b")
_HEX_ID = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{6,}\b")
_DURATION = re.compile(r"\b\d+(?:\.\d+)? ?(?:ms|s)\b")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_OUTCOME = "(?:{})".format("|".join(
    re.escape(outcome.value)
    for outcome in sorted(RaceOutcome, key=lambda outcome: -len(outcome.value))))
# The probe table's "6.00 s reset x2" or "6.00 s reset, 6.01 s closed-before-response", and
# the reuse-race finding's "(reset, closed-before-response)".
_RACE_ROW = re.compile(rf"<time> {_OUTCOME}(?: x\d+)?(?:, <time> {_OUTCOME}(?: x\d+)?)*")
_RACE_KINDS = re.compile(rf"\({_OUTCOME}(?:, {_OUTCOME})*\)")
_SPACES = re.compile(r"\s+")
_LINE = re.compile(r"-line-(\d+)\b")

Span = tuple[str, str]  # (the span's CSS, its normalised text)
Line = list[Span]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("seatctl_docs_pictures", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def normalise(text: str) -> str:
    """What may differ between two runs made the same: ids, durations (1.2 ms or 1.05 s),
    race outcomes ("6.00 s reset x2" or "6.00 s reset, 6.01 s closed-before-response"),
    numbers, and the spacing that aligns numbers of different lengths."""
    text = _SPACES.sub(" ", text).strip()
    text = _UUID.sub("<uuid>", text)
    text = _JOB_ID.sub("<job>", text)
    text = _HEX_ID.sub("<hex>", text)
    text = _DURATION.sub("<time>", text)
    text = _RACE_ROW.sub("<race>", text)
    text = _RACE_KINDS.sub("(<failures>)", text)
    return _NUMBER.sub("<n>", text)


def structure(svg: str) -> list[Line]:
    """The SVG's terminal lines, top to bottom, as styled spans of normalised text; an
    indented line of one style that continues the line above (a wrapped paragraph) is
    joined to it."""
    lines: list[Line] = []
    for cells in _rows(svg):
        line = _spans(cells)
        indented = bool(cells) and (cells[0][0] > 0 or cells[0][2].startswith(" "))
        if lines and lines[-1] and len(line) == 1 and indented and lines[-1][-1][0] == line[0][0]:
            css, text = lines[-1][-1]
            lines[-1][-1] = (css, f"{text} {line[0][1]}")
        else:
            lines.append(line)
    return [[(css, normalise(text)) for css, text in line] for line in lines]


def plain_text(svg: str) -> str:
    """The SVG's terminal text as it reads, each span at its column (not normalised)."""
    rows = []
    for cells in _rows(svg):
        row = ""
        for column, _, text in cells:
            row = row.ljust(column) + text
        rows.append(row.rstrip())
    return "\n".join(rows)


Cell = tuple[int, str, str]  # a <text> element: (its column, the CSS of its class, its text)


def _rows(svg: str) -> list[list[Cell]]:
    """Per terminal line (blank ones too), its <text> elements left to right. Rich leaves
    out the blanks between them: the columns say where each one starts."""
    root = ET.fromstring(svg)
    css = "".join(style.text or "" for style in root.iter(f"{SVG}style"))
    styles = {match["name"]: _SPACES.sub(" ", match["css"]).strip()
              for match in _STYLE_RULE.finditer(css)}
    rows: dict[int, list[tuple[float, str, str]]] = {}
    cell_width = 0.0
    for element in root.iter(f"{SVG}text"):
        line = _LINE.search(element.get("clip-path", ""))
        if line is None:  # the window's title
            continue
        spans = rows.setdefault(int(line[1]), [])
        text = (element.text or "").replace("\u00a0", " ").rstrip("\n")
        if text.strip():  # not the end of the line, nor blanks that only align
            cell_width = cell_width or float(element.get("textLength", "0")) / cell_len(text)
            spans.append((float(element.get("x", "0")),
                          styles.get(element.get("class", ""), ""), text))
    return [[(round(x / cell_width), css, text) for x, css, text in sorted(rows.get(index, []))]
            for index in range(max(rows, default=-1) + 1)]


def _spans(cells: list[Cell]) -> Line:
    """Neighbouring elements of one style joined (with a blank where Rich left one out)."""
    spans: Line = []
    end = 0
    for column, css, text in cells:
        if spans and spans[-1][0] == css:
            spans[-1] = (css, spans[-1][1] + (" " if column > end else "") + text)
        else:
            spans.append((css, text))
        end = column + cell_len(text)
    return spans


def _difference(committed: list[Line], fresh: list[Line], limit: int = 24) -> str:
    diff = difflib.unified_diff([repr(line) for line in committed],
                                [repr(line) for line in fresh],
                                "committed", "drawn now", lineterm="", n=1)
    return "\n".join(list(diff)[:limit])


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return _load_script()


@pytest.fixture(scope="module")
def drawn(script: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pictures drawn again, by the script's own main function, into a tmp folder: once
    per run, whichever worker of `pytest -n` asks first (drawing takes seconds)."""
    run_folder = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_folder = run_folder.parent  # the one folder of this run's workers
    out, done = run_folder / "pictures-drawn", run_folder / "pictures-drawn.done"
    with (run_folder / "pictures-drawn.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            assert script.main(["--out", str(out)]) == 0
            done.touch()
    return out


def _svg(folder: Path, name: str) -> str:
    return (folder / f"{name}.svg").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", PICTURES)
def test_the_committed_picture_is_current(drawn: Path, name: str) -> None:
    assert (IMAGES / f"{name}.svg").is_file(), f"docs/images/{name}.svg is missing: {STALE}"
    committed, fresh = structure(_svg(IMAGES, name)), structure(_svg(drawn, name))
    assert committed == fresh, (f"docs/images/{name}.svg is stale: {STALE}\n"
                                f"{_difference(committed, fresh)}")


@pytest.mark.parametrize("name", PICTURES)
def test_each_picture_is_well_formed_svg_with_fixed_ids_and_title(drawn: Path, name: str
                                                                    ) -> None:
    titles = []
    for folder in (IMAGES, drawn):
        root = ET.fromstring(_svg(folder, name))
        assert root.tag == f"{SVG}svg"
        assert {clip.get("id") for clip in root.iter(f"{SVG}clipPath")} >= {
            f"seatctl-{name}-clip-terminal", f"seatctl-{name}-line-0"}
        titles += [element.text for element in root.iter(f"{SVG}text")
                   if element.get("class") == f"seatctl-{name}-title"]
    assert len(titles) == 2 and titles[0] == titles[1] and titles[0], titles


def test_the_seat_map_shows_free_booked_and_blocked_seats(drawn: Path, script: ModuleType
                                                         ) -> None:
    text = plain_text(_svg(drawn, "seatmap"))
    booked = len(script.WATCHED_SEATS) + sum(len(seats) for seats in script.OTHER_BOOKINGS)
    assert text.startswith("Symphony Under the Stars · Grand Hall\n"
                           f"○ free   ● booked   {BLOCKED_GLYPH} blocked\n\n")
    for section in ("Orchestra", "Mezzanine", "Balcony"):
        assert re.search(rf"^{section}  [\d.]+ a seat  \d+ free", text, re.MULTILINE), section
    assert re.search(rf"^total: \d+ free, {booked} booked, {len(BLOCKED)} blocked of \d+ seats$",
                     text, re.MULTILINE), text
    rows = [line for line in text.splitlines() if re.match(r"  [A-J]  ", line)]
    assert len(rows) == 30 and all(set(row[5:]) <= {" ", "○", "●", BLOCKED_GLYPH} for row in rows)
    assert sum(row.count("●") for row in rows) == booked


def test_the_watch_shows_the_confirmed_booking(drawn: Path) -> None:
    lines = plain_text(_svg(drawn, "watch")).splitlines()
    assert re.fullmatch(r"submitted job (booking-\S+)  \(booking key [0-9a-f-]{36}\)", lines[0])
    assert lines[1].endswith(f"watching job {lines[0].split()[2]}")
    assert re.fullmatch(r"state +confirmed", lines[2]), lines
    assert re.fullmatch(r"elapsed +\d+\.\ds", lines[3]), lines
    assert re.fullmatch(r"polls +\d+", lines[4]), lines
    assert re.fullmatch(r"server +Successfully booked 2 seat\(s\)", lines[5]), lines


def test_the_doctor_report_has_its_verdict_timeline_and_fix(drawn: Path) -> None:
    text = plain_text(_svg(drawn, "doctor"))
    assert re.match(r"! WARN  http://127\.0\.0\.1:\d+  1 warning; 3 not evaluated  in [\d.]+ s\n",
                    text), text
    assert "\nIdle connection after a response (to scale)\n0 ─" in text
    assert re.search(r"└ S server close 6\.\d\d s \(FIN\)$", text, re.MULTILINE), text
    assert "[idle-close-vs-proxy]" in text
    assert "seatctl serve --keep-alive-timeout 65 --headers-timeout 66" in text


# --- the comparison itself ---------------------------------------------------------------


def test_normalising_keeps_what_a_renderer_decides() -> None:
    assert normalise("reused after 6.00 s reset x2") == normalise(
        "reused after 6.00 s closed-before-response, 6.01 s reset")
    assert normalise("idle (reset, closed-before-response), at") == normalise(
        "idle (closed-before-response), at")
    assert normalise("dns 1.5 ms / 1.05 s") == normalise("dns 12.0 ms / 3.1 ms")
    assert normalise("job booking-1795-83ec50cf (key 0f2c6be0-1375-4d5f-a2f5-e1603e0a14b3)") \
        == normalise("job booking-2-0a1b2c3d (key 00000000-0000-4000-8000-000000000000)")
    assert normalise("200 ok") != normalise("199 ok, 1 reset")  # a burst failure is news
    assert normalise("state confirmed") != normalise("state failed")


def test_a_changed_text_or_style_makes_a_picture_stale() -> None:
    svg = _svg(IMAGES, "seatmap")
    assert structure(svg.replace("blocked", "reserved")) != structure(svg)
    assert structure(svg.replace("fill: #cc555a", "fill: #ff0000")) != structure(svg)


@pytest.mark.parametrize("bad", ["file", "under-a-file"])
def test_a_bad_out_folder_is_refused_before_anything_starts(
        script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    file = tmp_path / "file"
    file.write_text("not a folder")
    out = file if bad == "file" else file / "images"
    with pytest.raises(SystemExit) as exited:
        script.main(["--out", str(out)])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert f"--out {out}" in error and "Traceback" not in error
