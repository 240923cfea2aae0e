"""The HTML report in a real headless browser: the page parses into the DOM with its verdict,
findings and timeline; hostile server text stays text; it is readable light and dark (a
screenshot's background) and prints to PDF. Skipped, with the reason, where no Chromium or
Chrome is installed. The browser gets a profile in tmp_path, no network (every host name
fails to resolve) and a bounded time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import png
import pytest

from seatctl.render.paste import doctor_html, smoke_html
from seatctl.server import ConnectionTimeouts
from tests.conftest import StartServer
from tests.helpers import Cli
from tests.render.test_paste_reports import (
    HOSTILE,
    HOSTILE_LINE,
    WHEN,
    Page,
    doctor_document,
    run_json,
    smoke_document,
)

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BROWSER_TIMEOUT = 60.0  # seconds for one run of the browser, start to exit
WINDOW = (1000, 1400)
LIGHT_BACKGROUND = (255, 255, 255)  # the page's --bg, light
DARK_BACKGROUND = (13, 17, 23)  # and dark (#0d1117)


def find_browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found is not None:
            return found
    pytest.skip(f"no headless browser installed (looked for {', '.join(BROWSERS)} on PATH)")


@pytest.fixture
def browser(tmp_path: Path) -> Browser:
    return Browser(find_browser(), tmp_path / "browser")


class Browser:
    """One headless run per call, in its own process group (killed whole on a timeout)."""

    def __init__(self, binary: str, home: Path) -> None:
        self.binary = binary
        self.home = home
        home.mkdir()

    def run(self, page: Path, *args: str) -> str:
        command = [
            self.binary, "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", f"--user-data-dir={self.home / 'profile'}",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars",
            f"--window-size={WINDOW[0]},{WINDOW[1]}", *args, page.as_uri(),
        ]
        env = {**os.environ, "HOME": str(self.home)}
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, env=env, start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=BROWSER_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"{self.binary} took more than {BROWSER_TIMEOUT:g} s")
        assert process.returncode == 0, stderr[-2000:]
        return stdout

    def dom(self, page: Path) -> str:
        return self.run(page, "--dump-dom")


def write(tmp_path: Path, name: str, html: str) -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def keep_alive(seconds: float, advertised: float) -> ConnectionTimeouts:
    return ConnectionTimeouts(keep_alive_timeout=seconds, advertised_keep_alive=advertised)


def test_a_real_doctor_report_in_the_browser(browser: Browser, cli: Cli,
                                             start_server: StartServer, tmp_path: Path
                                             ) -> None:
    server = start_server(timeouts=keep_alive(0.3, advertised=2.0))
    document = run_json(cli, "doctor", server.url, "--quick", "--max-wait", "1")
    dom = Page(browser.dom(write(tmp_path, "doctor.html", doctor_html(document, when=WHEN))))

    text = " ".join(dom.text)
    assert "seatctl doctor:" in text and "FAIL" in text and server.url in text
    for finding in document["findings"]:
        assert finding["id"] in text
    assert "svg" in dom.structure and "rect" in dom.structure
    assert "server close 0.3" in text and "Keep-Alive: timeout=2" in text
    assert dom.embedded_document() == document


def test_hostile_text_stays_text_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    document = doctor_document(HOSTILE, HOSTILE_LINE)
    dom = Page(browser.dom(write(tmp_path, "hostile.html", doctor_html(document, when=WHEN))))
    benign = Page(doctor_html(doctor_document("x", "x"), when=WHEN))
    assert (_without_parser_additions(dom.structure)
            == _without_parser_additions(benign.structure))
    assert any("<script>alert(1)</script>" in text for text in dom.text)
    assert dom.embedded_document() == document


def _without_parser_additions(tags: Sequence[str]) -> list[str]:
    """The elements but `code` (a report's own `code` elements vary with quoted text)."""
    return [tag for tag in tags if tag != "code"]


def test_a_smoke_report_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    document = smoke_document()
    dom = Page(browser.dom(write(tmp_path, "smoke.html", smoke_html(document, when=WHEN))))
    text = " ".join(dom.text)
    assert "seatctl smoke:" in text and "FAIL" in text
    for check in document["checks"]:
        assert check["name"] in text
    assert "svg" in dom.structure
    assert dom.embedded_document() == document


@pytest.mark.parametrize(("flags", "background"), [
    ((), LIGHT_BACKGROUND),
    (("--force-dark-mode",), DARK_BACKGROUND),
], ids=["light", "dark"])
def test_the_page_follows_the_colour_scheme(browser: Browser, tmp_path: Path,
                                            flags: tuple[str, ...],
                                            background: tuple[int, int, int]) -> None:
    page = write(tmp_path, "doctor.html", doctor_html(doctor_document(), when=WHEN))
    shot = tmp_path / "shot.png"
    browser.run(page, f"--screenshot={shot}", *flags)
    width, height, pixel = png_reader(shot.read_bytes())
    assert (width, height) == WINDOW
    assert pixel(2, 2) == background  # the page's own background, not the browser's
    assert pixel(2, height - 3) == background


def test_the_page_prints(browser: Browser, tmp_path: Path) -> None:
    page = write(tmp_path, "doctor.html", doctor_html(doctor_document(), when=WHEN))
    pdf = tmp_path / "report.pdf"
    browser.run(page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000


# --- a PNG reader, enough for a browser's screenshot ------------------------------------


def png_reader(data: bytes) -> tuple[int, int, Any]:
    """(width, height, pixel(x, y) -> (r, g, b)) of an 8-bit RGB or RGBA PNG."""
    width, height, rows, info = png.Reader(bytes=data).asRGB8()
    channels = 4 if info["alpha"] else 3
    decoded = [bytes(row) for row in rows]

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        red, green, blue = decoded[y][x * channels:x * channels + 3]
        return red, green, blue

    return width, height, pixel
