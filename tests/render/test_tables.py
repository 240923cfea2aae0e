"""The pieces every list is made of: column widths, cells laid out between tokens,
tab-separated records, and times for tables and for pipes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from seatctl.errors import UsageError
from seatctl.render.streams import IOStreams
from seatctl.render.tables import (
    Column,
    OutputFormat,
    fit,
    iso_time,
    laid_out,
    local_time,
    output_format,
    packed,
    print_table,
    tsv_line,
)

ID = "clx7kq2b90000abcdefghijkl"


@pytest.fixture
def paris() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")  # POSIX: no tz database needed
        time.tzset()
        yield
    time.tzset()


# --- the output format --------------------------------------------------------------------


@pytest.mark.parametrize(("tty", "expected"), [(True, "table"), (False, "tsv")])
def test_a_table_on_a_terminal_tab_separated_rows_elsewhere(tty: bool, expected: str) -> None:
    assert output_format(None, as_json=False, quiet=False, stdout_is_tty=tty) == expected


@pytest.mark.parametrize("tty", [True, False])
def test_format_and_json_force_their_output(tty: bool) -> None:
    for forced in OutputFormat:
        assert output_format(forced, as_json=False, quiet=False, stdout_is_tty=tty) == forced
    assert output_format(None, as_json=True, quiet=False, stdout_is_tty=tty) == "json"
    assert output_format(OutputFormat.JSON, as_json=True, quiet=False,
                         stdout_is_tty=tty) == "json"


def test_contradicting_outputs_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="--json and --format tsv"):
        output_format(OutputFormat.TSV, as_json=True, quiet=False, stdout_is_tty=False)
    with pytest.raises(UsageError, match="--quiet"):
        output_format(None, as_json=True, quiet=True, stdout_is_tty=False)


# --- tab-separated records ----------------------------------------------------------------


def test_a_record_is_one_line_whatever_its_fields_hold() -> None:
    assert tsv_line(["ev1", "Jazz\tNight", None, 3, "a\nb\x1b[2J"]) == (
        "ev1\tJazz\\tNight\t\t3\ta\\nb\\x1b[2J")


# --- widths -------------------------------------------------------------------------------


def test_columns_get_their_natural_width_when_it_fits() -> None:
    columns = [Column(ID, 25, 25), Column("name", 40, 8, drop=1)]
    assert fit(columns, 80) == [25, 40]


def test_prose_is_squeezed_before_anything_is_dropped() -> None:
    columns = [Column(ID, 25, 25), Column("name", 40, 8, drop=1)]
    assert fit(columns, 60) == [25, 33]
    assert fit(columns, 35) == [25, 8]


def test_columns_are_dropped_lowest_first_and_ids_never_shrink() -> None:
    columns = [Column("id", 25, 25), Column("venue", 20, 8, drop=2),
               Column("price", 7, 7, drop=1), Column("starts", 10, 10, drop=3)]
    assert fit(columns, 60) == [25, 12, 7, 10]
    assert fit(columns, 50) == [25, 11, None, 10]
    assert fit(columns, 40) == [25, None, None, 10]
    assert fit(columns, 30) == [25, None, None, None]
    assert fit(columns, 10) == [25, None, None, None]  # wider than asked: the id stays whole


def test_a_prose_column_is_as_wide_as_its_widest_token() -> None:
    column = Column.prose("message", ["see https://example.com/a/long/path for more"])
    assert column.least == len("https://example.com/a/long/path")
    assert Column.prose("message", ["booked 2 seat(s) of 12"]).least == 9  # "2 seat(s)"
    assert Column.prose("venue", ["The Royal Albert Hall"]).least == 8


def test_a_table_narrower_than_its_ids_overflows_instead_of_cutting_them() -> None:
    from rich.text import Text

    streams = IOStreams.test(tty=True, width=40)
    columns = [Column.fixed("id", ["x" * 50])]
    print_table(streams.out, columns, fit(columns, 40), [[Text("x" * 50)]])
    assert "x" * 50 in streams.out_text().splitlines()


# --- cells --------------------------------------------------------------------------------


def test_prose_breaks_between_tokens_only() -> None:
    assert laid_out("Successfully booked 2 seat(s) in 1.5 s", 12).split("\n") == [
        "Successfully", "booked", "2 seat(s) in", "1.5 s"]
    assert laid_out("run `seatctl watch job-1` now", 10).split("\n") == [
        "run", "`seatctl watch job-1`", "now"]


def test_a_list_breaks_after_its_separators_never_inside_an_item() -> None:
    labels = ["Orchestra:A1", "Orchestra:A2", "Upper Circle:B10"]
    assert packed(labels, 30) == ["Orchestra:A1, Orchestra:A2,", "Upper Circle:B10"]
    assert packed(labels, 5) == ["Orchestra:A1,", "Orchestra:A2,", "Upper Circle:B10"]
    assert packed([], 10) == [""]


# --- times --------------------------------------------------------------------------------


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.usefixtures("paris")
def test_tables_show_local_time_with_the_zone() -> None:
    assert local_time("2026-12-12T18:30:00.000Z", NOW) == ("Sat 12 Dec", "19:30 CET")
    assert local_time("2026-07-01T12:00:00+02:00", NOW) == ("Wed 1 Jul", "12:00 CEST")
    assert local_time("2027-01-02T12:00:00Z", NOW) == ("Sat 2 Jan 2027", "13:00 CET")


def test_pipes_and_json_get_iso_8601_with_an_offset() -> None:
    assert iso_time("2026-12-12T18:30:00.000Z") == "2026-12-12T18:30:00.000Z"  # as sent
    assert iso_time("2026-12-12T19:30:00+01:00") == "2026-12-12T19:30:00+01:00"
    assert iso_time("2026-12-12T18:30:00") == "2026-12-12T18:30:00+00:00"  # the API's UTC
    assert iso_time(None) == ""
    assert iso_time("soon") == "soon"
