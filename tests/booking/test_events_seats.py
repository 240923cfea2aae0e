"""`seatctl events` and `seatctl seats` end to end against the reference server (in-process
CLI), and their renderers against synthetic data."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from seatctl.api.models import EventPage, SeatMap
from seatctl.exit_codes import ExitCode
from seatctl.render.events import render_events
from seatctl.render.seatmap import render_seat_map
from seatctl.render.streams import IOStreams
from seatctl.render.tables import local_time
from seatctl.server import ReferenceServer
from tests.helpers import Cli, Outcome
from tests.server.helpers import book, client, login, seat_map

Json = dict[str, Any]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FREE, BOOKED, BLOCKED = "○", "●", "\u00d7"


def run(cli: Cli, server: ReferenceServer, *args: str) -> Outcome:
    return cli("--base-url", server.url, *args)


def ok(cli: Cli, server: ReferenceServer, *args: str) -> Outcome:
    outcome = run(cli, server, *args)
    assert outcome.exit_code == 0, str(outcome)
    return outcome


def assert_fits(text: str, width: int = 80) -> None:
    too_wide = [line for line in text.splitlines() if len(line) > width]
    assert too_wide == [], "\n".join(too_wide)


def demo_events(server: ReferenceServer) -> dict[str, Json]:
    with client(server) as http:
        found = http.get("/api/events", params={"limit": 100}).json()["data"]["events"]
    return {event["name"]: event for event in found}


def book_seats(server: ReferenceServer, event_id: str, labels: list[tuple[str, str]]
               ) -> None:
    """Book (section, label) seats through the API and wait for the job (long polling)."""
    with client(server, login(server)) as http:
        sections = seat_map(http, event_id)["sections"]
        ids = [seat["id"] for section in sections for seat in section["seats"]
               if (section["name"], f"{seat['row']}{seat['number']}") in labels]
        assert len(ids) == len(labels)
        assert book(http, event_id, ids)["success"] is True


# --- seatctl events -----------------------------------------------------------------------


def test_events_table_lists_every_demo_event_with_its_whole_id(
    cli: Cli, server: ReferenceServer,
) -> None:
    outcome = ok(cli, server, "events", "--format", "table")
    for name, event in demo_events(server).items():
        assert name in outcome.stdout
        assert event["id"] in outcome.stdout  # never truncated
    assert "seat map" in outcome.stdout and "general" in outcome.stdout
    assert "admission" in outcome.stdout
    assert "595/600" in outcome.stdout and "80.00" in outcome.stdout  # 5 seats blocked
    assert outcome.stdout.rstrip().endswith("page 1 of 1 (4 events)")
    assert outcome.stderr == ""
    assert_fits(outcome.stdout)


def test_events_footer_says_how_to_get_the_next_page(cli: Cli, server: ReferenceServer) -> None:
    first = ok(cli, server, "events", "--limit", "3", "--format", "table")
    assert "page 1 of 2 (4 events); next: seatctl events --page 2 --limit 3" in first.stdout
    second = ok(cli, server, "events", "--limit", "3", "--page", "2", "--format", "table")
    assert "page 2 of 2 (4 events)" in second.stdout and "next:" not in second.stdout
    assert "Open Source Summit 2027" in second.stdout
    assert "Open Source Summit 2027" not in first.stdout


def test_events_search(cli: Cli, server: ReferenceServer) -> None:
    outcome = ok(cli, server, "events", "--search", "grand hall", "--format", "table")
    assert "Symphony Under the Stars" in outcome.stdout  # the venue matches
    assert "Jazz at the Grand Hall" in outcome.stdout
    assert "Indie Night Live" not in outcome.stdout
    assert "(2 events matching 'grand hall')" in outcome.stdout


def test_events_with_no_match_says_so_on_stderr(cli: Cli, server: ReferenceServer) -> None:
    outcome = ok(cli, server, "events", "--search", "opera")
    assert outcome.stdout == ""
    assert "no events matching 'opera'" in outcome.stderr


def test_events_past_the_last_page(cli: Cli, server: ReferenceServer) -> None:
    outcome = ok(cli, server, "events", "--page", "9")
    assert "page 9 is past the last page (1)" in outcome.stderr


@pytest.mark.parametrize("args", [["--limit", "0"], ["--limit", "101"], ["--page", "0"]])
def test_events_bad_paging_is_a_usage_error(cli: Cli, server: ReferenceServer,
                                            args: list[str]) -> None:
    assert run(cli, server, "events", *args).exit_code == ExitCode.USAGE


@pytest.mark.parametrize("placement", ["root", "command"])
def test_events_json_is_the_events_and_the_pagination(
    cli: Cli, server: ReferenceServer, placement: str,
) -> None:
    flags = ["--json", "events"] if placement == "root" else ["events", "--json"]
    outcome = ok(cli, server, *flags, "--limit", "2")
    document = json.loads(outcome.stdout)
    assert set(document) == {"events", "pagination"}
    assert document["pagination"] == {"currentPage": 1, "totalPages": 2, "totalCount": 4,
                                      "limit": 2, "hasNextPage": True, "hasPrevPage": False}
    first = document["events"][0]
    assert {"id", "name", "venue", "startTime", "capacity", "availableCapacity", "price",
            "seatLevelBooking", "tags"} <= set(first)
    assert first["name"] == "Indie Night Live"


@pytest.fixture
def new_york() -> Iterator[None]:
    import os

    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


def test_start_times_are_shown_in_local_time_with_the_zone(new_york: None) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert local_time("2026-12-13T19:30:00.000Z", now) == ("Sun 13 Dec", "14:30 EST")
    assert local_time("2026-07-01T12:00:00+02:00", now) == ("Wed 1 Jul", "06:00 EDT")
    assert local_time("2026-12-13T19:30:00", now) == ("Sun 13 Dec", "14:30 EST")  # UTC
    assert local_time("2027-01-02T12:00:00Z", now) == ("Sat 2 Jan 2027", "07:00 EST")
    assert local_time("next Tuesday", now) == ("next Tuesday", "")
    assert local_time(None, now) == ("-", "")


def page_of(*events: Json) -> EventPage:
    return EventPage.model_validate({"events": list(events), "pagination": {
        "currentPage": 1, "totalPages": 1, "totalCount": len(events), "limit": 10}})


def long_event(seat_map: bool = True) -> Json:
    return {"id": "clx7kq2b90000abcdefghijkl", "venue": "The Royal Albert Hall, London",
            "name": "A Very Long Evening of Chamber Music, Songs and Other Pleasures",
            "startTime": "2026-12-13T19:30:00Z", "capacity": 5000, "availableCapacity": 4999,
            "price": 1234.5, "seatLevelBooking": seat_map}


def test_long_names_wrap_and_ids_stay_whole_at_80_columns() -> None:
    streams = IOStreams.test(width=80)
    render_events(streams, page_of(long_event(), long_event(False)), search=None, limit=10,
                  as_json=False)
    out = streams.out_text()
    assert out.count("clx7kq2b90000abcdefghijkl") == 2
    assert "1234.50" in out and "4999/5000" in out
    assert "\u2026" not in out  # nothing cut with an ellipsis: long words are folded
    assert_fits(out)


def test_a_narrow_terminal_drops_columns_and_keeps_ids_whole() -> None:
    streams = IOStreams.test(width=50)
    render_events(streams, page_of(long_event()), search=None, limit=10, as_json=False)
    out = streams.out_text()
    lines = out.splitlines()
    assert lines[0].split() == ["event", "/", "id", "starts", "free/cap"]
    assert lines[2].split()[:3] == ["A", "Very", "Long"]
    assert "clx7kq2b90000abcdefghijkl" in out.split()
    assert "seat map" not in out and "Royal" not in out
    assert_fits(out, 50)


def test_server_text_in_the_events_table_is_made_harmless() -> None:
    hostile = {**long_event(), "name": "Gala\x1b[2J\x1b]0;owned\x07", "venue": "Hall\nFAKE"}
    streams = IOStreams.test(width=120)
    render_events(streams, page_of(hostile), search=None, limit=10, as_json=False)
    out = streams.out_text()
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in out and "Hall\\nFAKE" in out


# --- seatctl seats ------------------------------------------------------------------------


def test_seats_draws_the_map_with_a_legend_prices_and_counts(
    cli: Cli, server: ReferenceServer,
) -> None:
    event = demo_events(server)["Symphony Under the Stars"]
    book_seats(server, event["id"], [("Orchestra", "C5"), ("Balcony", "A1")])
    outcome = ok(cli, server, "seats", "symphony")
    out = outcome.stdout
    assert ANSI.search(out) is None  # NO_COLOR: glyphs alone tell the states apart
    lines = out.splitlines()
    assert lines[0] == "Symphony Under the Stars · Grand Hall"
    assert lines[1] == f"{FREE} free   {BOOKED} booked   {BLOCKED} blocked"
    assert "Orchestra  120.00 a seat  197 free, 1 booked, 2 blocked of 200" in lines
    assert "Mezzanine  100.00 a seat  198 free, 0 booked, 2 blocked of 200" in lines
    assert "Balcony  80.00 a seat  198 free, 1 booked, 1 blocked of 200" in lines
    orchestra = lines.index("Orchestra  120.00 a seat  197 free, 1 booked, 2 blocked of 200")
    assert lines[orchestra + 1].split() == ["1", "5", "10", "15", "20"]
    row_a = lines[orchestra + 2]
    assert row_a == "  A  " + " ".join([BLOCKED] * 2 + [FREE] * 18)
    row_c = lines[orchestra + 4]
    assert row_c == "  C  " + " ".join([FREE] * 4 + [BOOKED] + [FREE] * 15)
    rows = [line.split()[0] for line in lines[orchestra + 2:orchestra + 12]]
    assert rows == list("ABCDEFGHIJ")
    assert lines[-1] == "total: 593 free, 2 booked, 5 blocked of 600 seats"
    assert sum(line.count(FREE) for line in lines) == 593 + 1  # and the legend's
    assert_fits(out)


def test_seats_in_colour_has_distinct_colours(
    cli: Cli, server: ReferenceServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = demo_events(server)["Jazz at the Grand Hall"]
    book_seats(server, event["id"], [("Mezzanine", "B2")])
    monkeypatch.delenv("NO_COLOR")
    outcome = cli("--base-url", server.url, "seats", "jazz", env={"FORCE_COLOR": "1"})
    assert outcome.exit_code == 0, str(outcome)
    colour_of = {glyph: set(re.findall(r"\x1b\[([0-9;]+)m" + glyph, outcome.stdout))
                 for glyph in (FREE, BOOKED, BLOCKED)}
    assert colour_of[FREE] == {"32"} and colour_of[BOOKED] == {"31"}
    assert colour_of[BLOCKED] == {"2"}
    assert_fits(ANSI.sub("", outcome.stdout))


def test_seats_available_lists_free_labels_one_section_per_line(
    cli: Cli, server: ReferenceServer,
) -> None:
    event = demo_events(server)["Symphony Under the Stars"]
    book_seats(server, event["id"], [("Orchestra", "A4")])
    outcome = ok(cli, server, "seats", event["id"], "--available")
    rows = [line.split("\t") for line in outcome.stdout.splitlines()]
    assert len(rows) == 594 and {len(row) for row in rows} == {5}
    assert rows[:2] == [["Orchestra:A3", "Orchestra", "A", "3", "120.00"],  # A1, A2 blocked
                        ["Orchestra:A5", "Orchestra", "A", "5", "120.00"]]
    assert rows[196][0] == "Orchestra:J20" and rows[-1][0] == "Balcony:J19"
    labels = [row[0] for row in rows]
    assert "Mezzanine:E10" not in labels and "Mezzanine:E12" in labels
    quiet = ok(cli, server, "seats", event["id"], "--available", "-q")
    assert quiet.stdout.splitlines() == labels


def test_seats_json_shape(cli: Cli, server: ReferenceServer) -> None:
    document = json.loads(ok(cli, server, "seats", "symphony", "--json").stdout)
    assert set(document) == {"event", "venue", "sections", "totals"}
    assert document["event"]["name"] == "Symphony Under the Stars"
    assert document["venue"]["name"] == "Grand Hall"
    assert document["totals"] == {"free": 595, "booked": 0, "blocked": 5, "total": 600}
    orchestra = document["sections"][0]
    assert orchestra["name"] == "Orchestra" and orchestra["price"] == 120.0
    assert orchestra["counts"] == {"free": 198, "booked": 0, "blocked": 2, "total": 200}
    first = orchestra["seats"][0]
    assert set(first) == {"id", "label", "qualified", "display", "row", "number", "state",
                          "price"}
    assert (first["label"], first["qualified"], first["state"]) == ("A1", "Orchestra:A1",
                                                                   "blocked")


def test_seats_available_json_has_only_the_free_seats(cli: Cli, server: ReferenceServer
                                                      ) -> None:
    document = json.loads(ok(cli, server, "--json", "seats", "symphony", "-a").stdout)
    seats = [seat for section in document["sections"] for seat in section["seats"]]
    assert len(seats) == 595 and {seat["state"] for seat in seats} == {"free"}
    assert document["totals"]["total"] == 600


def test_seats_of_a_general_admission_event_says_to_book_by_quantity(
    cli: Cli, server: ReferenceServer,
) -> None:
    event = demo_events(server)["Indie Night Live"]
    outcome = run(cli, server, "seats", "indie")
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    assert outcome.stdout == ""
    assert "Indie Night Live is general admission: it has no seat map" in outcome.stderr
    assert f"seatctl book {event['id']} --quantity N" in outcome.stderr


def test_seats_of_a_general_admission_event_in_json(cli: Cli, server: ReferenceServer) -> None:
    outcome = run(cli, server, "seats", "indie", "--json")
    assert outcome.exit_code == ExitCode.USAGE
    error = json.loads(outcome.stdout)["error"]
    assert error["exit_code"] == 2 and "--quantity N" in error["hint"]


def test_seats_of_an_unknown_event_exits_8(cli: Cli, server: ReferenceServer) -> None:
    outcome = run(cli, server, "seats", "opera")
    assert outcome.exit_code == ExitCode.NOT_FOUND, str(outcome)
    assert "no event matches 'opera'" in outcome.stderr
    assert "seatctl events --search opera" in outcome.stderr


def test_seats_of_an_ambiguous_event_lists_the_candidates_exit_2(
    cli: Cli, server: ReferenceServer,
) -> None:
    ids = {name: event["id"] for name, event in demo_events(server).items()}
    outcome = run(cli, server, "seats", "grand")  # Jazz at the Grand Hall; Symphony's venue
    assert outcome.exit_code == 0, str(outcome)  # the venue is not part of the name
    outcome = run(cli, server, "--json", "seats", "the")
    assert outcome.exit_code == ExitCode.USAGE, str(outcome)
    error = json.loads(outcome.stdout)["error"]
    assert f"Symphony Under the Stars ({ids['Symphony Under the Stars']})" in error["message"]
    assert f"Jazz at the Grand Hall ({ids['Jazz at the Grand Hall']})" in error["message"]


# --- the picture of synthetic seat maps -----------------------------------------------------


def synthetic(per_row: int, rows: str = "ABC", *, number_from: int = 1) -> SeatMap:
    seats = [{"id": f"{row}{number}", "row": row, "number": number,
              "isBooked": number % 7 == 0, "isBlocked": number % 11 == 0, "price": 10}
             for row in rows for number in range(number_from, number_from + per_row)]
    return SeatMap.model_validate({
        "event": {"id": "e1", "name": "Arena"}, "venue": {"name": "Dome"},
        "sections": [{"id": "s1", "name": "Floor", "sectionPrice": 10, "seats": seats}]})


def picture(seats: SeatMap, width: int = 80) -> list[str]:
    streams = IOStreams.test(width=width)
    render_seat_map(streams, seats, available_only=False, as_json=False)
    return streams.out_text().splitlines()


def row_lines(lines: list[str], row: str) -> list[str]:
    return [line for line in lines if line.startswith(f"  {row}  ")]


@pytest.mark.parametrize("console_width", [80, 200])
def test_sixty_seats_a_row_fit_80_columns(console_width: int) -> None:
    lines = picture(synthetic(60), console_width)
    assert_fits("\n".join(lines))
    [row_a] = row_lines(lines, "A")  # one line per row: one-column cells
    cells = row_a[5:]
    assert len(cells) == 60
    assert cells.count(BOOKED) == 8 and cells.count(BLOCKED) == 5
    assert cells[6] == BOOKED and cells[10] == BLOCKED and cells[59] == FREE
    ruler = lines[lines.index(next(line for line in lines if line.startswith("Floor"))) + 1]
    assert ruler.split() == ["1", "10", "20", "30", "40", "50", "60"]
    assert ruler.index("60") == 5 + 59  # over seat 60's column


def test_rows_wider_than_the_screen_are_drawn_in_blocks() -> None:
    lines = picture(synthetic(150))
    assert_fits("\n".join(lines))
    blocks = row_lines(lines, "B")
    assert len(blocks) == 2  # seats 1-75, then 76-150
    assert sum(len(line[5:]) for line in blocks) == 150
    assert "".join(line[5:] for line in blocks).count(BOOKED) == 150 // 7 - 1  # 77 blocked


def test_seats_sit_at_their_number_so_gaps_show() -> None:
    seats = synthetic(10, "A")
    seats.sections[0].seats = [s for s in seats.sections[0].seats if s.number not in ("4", "5")]
    [row_a] = row_lines(picture(seats), "A")
    assert row_a == "  A  " + " ".join([FREE] * 3 + [" ", " "] + [FREE, BOOKED] + [FREE] * 3)


def test_rows_past_z_come_after_z() -> None:
    seats = SeatMap.model_validate({"event": {"id": "e", "name": "E"}, "sections": [
        {"id": "s", "name": "S", "seats": [{"id": row, "row": row, "number": "1"}
                                           for row in ("R28", "B", "R27", "Z", "A")]}]})
    rows = [line.split()[0] for line in picture(seats) if line.endswith(FREE)]
    assert rows == ["A", "B", "Z", "R27", "R28"]


def test_server_text_in_the_picture_is_made_harmless() -> None:
    seats = synthetic(3, "A")
    seats.sections[0].name = "Floor\x1b[31m"
    seats.event.name = "Arena\r\nforged line"
    out = "\n".join(picture(seats))
    assert "\x1b" not in out and "\r" not in out
    assert "Floor\\x1b[31m" in out and "Arena\\r\\nforged line" in out


def test_available_labels_are_bare_where_unique_and_qualified_where_not() -> None:
    seats = SeatMap.model_validate({"event": {"id": "e", "name": "E"}, "sections": [
        {"id": "s1", "name": "Stalls", "seats": [
            {"id": "1", "row": "A", "number": "1"}, {"id": "2", "row": "A", "number": "2"},
            {"id": "3", "row": "A", "number": "3", "isBooked": True}]},
        {"id": "s2", "name": "Box", "seats": [
            {"id": "4", "row": "A", "number": "1", "isBlocked": True},
            {"id": "5", "row": "X", "number": "1"}, {"id": "6", "row": "X", "number": "2"}]},
        {"id": "s3", "name": "Gallery", "seats": [
            {"id": "7", "row": "G", "number": "1", "isBooked": True}]},
    ]})
    streams = IOStreams.test()
    render_seat_map(streams, seats, available_only=True, as_json=False, quiet=True)
    assert streams.out_text() == "Stalls:A1\nA2\nX1\nX2\n"  # A1 is in Stalls and Box


def test_no_free_seats_at_all_is_said_on_stderr() -> None:
    seats = synthetic(1, "A")
    seats.sections[0].seats[0].is_booked = True
    streams = IOStreams.test()
    render_seat_map(streams, seats, available_only=True, as_json=False)
    assert streams.out_text() == "" and streams.err_text() == "no free seats\n"


@pytest.mark.parametrize("numbers", [["1A", "1B", "2"], ["\u00b2", "3", "4"], ["7", "7", "8"]])
def test_seats_that_are_not_plainly_numbered_are_drawn_in_order(numbers: list[str]) -> None:
    seats = SeatMap.model_validate({"event": {"id": "e", "name": "E"}, "sections": [
        {"id": "s", "name": "S", "seats": [{"id": str(i), "row": "A", "number": number}
                                           for i, number in enumerate(numbers)]}]})
    lines = picture(seats)
    assert row_lines(lines, "A") == ["  A  " + " ".join([FREE] * 3)]


def test_a_very_long_row_name_is_shortened_in_the_picture() -> None:
    seats = synthetic(20, "A")
    for seat in seats.sections[0].seats:
        seat.row = "Row" * 30
    lines = picture(seats)
    assert_fits("\n".join(lines))
    assert any(line.startswith("  RowRowR\u2026  " + FREE) for line in lines)
