"""Terminal-escape injection from the server (issue #7): hostile names written into the
reference server's own database come back through `events`, `seats`, `jobs` and `ping`
without a single escape sequence, line break or bidi override of their own, with colour
forced on and off."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seatctl.sanitize import printable
from seatctl.server import ReferenceServer
from tests.conftest import StartServer
from tests.helpers import Cli, Outcome

HOSTILE = ("\x1b[2J\x1b[H", "\x1b]0;title\x07", "\r", "\n", "\x9b31m", "\u202e", "\u200b",
           "\x00", "\x7f", "\ue000", "\U000e0001")  # SQLite cannot hold a lone surrogate
NAME = "Gala" + "".join(HOSTILE) + "X" * 300
SGR = re.compile(r"\x1b\[[0-9;]*m")
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\r", "\u202e", "\x00", "\ud800", "\ue000")
COLOURS = {"no colour": {"NO_COLOR": "1"}, "forced colour": {"NO_COLOR": "", "FORCE_COLOR": "1"}}


def assert_harmless(outcome: Outcome, *, colour: bool) -> None:
    for text in (outcome.stdout, outcome.stderr):
        if not colour:
            assert "\x1b" not in text, str(outcome)
        stripped = SGR.sub("", text)
        leftovers = [ch for ch in FORBIDDEN if ch in stripped]
        assert leftovers == [], f"{leftovers!r} in\n{outcome!r}"


def poison(db: Path) -> None:
    """Every name a server hands out, made hostile (the server reads them on each request)."""
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE events SET name = ? || name, venue_name = ?, description = ?",
                     (NAME, NAME, NAME))
        conn.execute("UPDATE venues SET name = ?", (NAME,))
        conn.execute("UPDATE sections SET name = ? || name", (NAME,))


@pytest.fixture
def hostile_server(start_server: StartServer, tmp_path: Path) -> ReferenceServer:
    db = tmp_path / "hostile.db"
    server = start_server(db=str(db))
    poison(db)
    return server


@pytest.mark.parametrize("colour", list(COLOURS))
@pytest.mark.parametrize("args", [["events"], ["events", "--limit", "2"],
                                  ["seats", "symphony"], ["seats", "symphony", "--available"],
                                  ["seats", "indie"], ["seats", "gala"]])
def test_server_names_are_shown_escaped(cli: Cli, hostile_server: ReferenceServer,
                                        colour: str, args: list[str]) -> None:
    outcome = cli("--base-url", hostile_server.url, *args, env=COLOURS[colour])
    assert outcome.exit_code in (0, 2), str(outcome)  # 2: "gala" names every event
    assert "Traceback" not in outcome.stdout + outcome.stderr
    assert_harmless(outcome, colour=colour == "forced colour")
    if args == ["events"]:
        assert "\\x1b[2J" in outcome.stdout  # the poison was served, and shown escaped


@pytest.mark.parametrize("colour", list(COLOURS))
def test_a_booking_and_the_journal_show_hostile_names_escaped(
    cli: Cli, hostile_server: ReferenceServer, colour: str,
) -> None:
    from tests.server.helpers import login

    token = login(hostile_server)
    env = COLOURS[colour]
    booked = cli("--base-url", hostile_server.url, "--token", token, "book", "symphony",
                 "--seat", "C5", env=env)
    assert booked.exit_code in (0, 2), str(booked)  # 2: a bare label may be ambiguous
    assert_harmless(booked, colour=colour == "forced colour")
    jobs = cli("--base-url", hostile_server.url, "jobs", env=env)
    assert jobs.exit_code == 0, str(jobs)
    assert_harmless(jobs, colour=colour == "forced colour")


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(st.characters(), max_size=40))
def test_printable_never_lets_a_control_surrogate_or_unassigned_point_through(
    text: str,
) -> None:
    shown = printable(text)
    shown.encode("utf-8")  # no lone surrogate survives: output cannot crash on it
    for ch in (*FORBIDDEN, "\n", "\u2028", "\u200b"):
        assert ch not in shown


def test_printable_escapes_surrogates_private_use_and_unassigned() -> None:
    assert printable("a\ud800b") == "a\\ud800b"
    assert printable("\ue000") == "\\ue000"
    assert printable("\U000e0001") == "\\U000e0001"
    assert printable("\u0378") == "\\u0378"  # unassigned
    assert printable("Dvořák 日本 😀") == "Dvořák 日本 😀"
