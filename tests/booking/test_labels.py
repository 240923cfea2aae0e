"""Seat labels to seat ids (seatctl.booking.labels): pure, against synthetic seat maps."""

from __future__ import annotations

from typing import Any

import pytest

from seatctl.api.models import SeatMap
from seatctl.booking.labels import (
    SeatIndex,
    SeatState,
    describe_unavailable,
    ensure_available,
    resolve_labels,
    split_labels,
    unavailable,
)
from seatctl.errors import BookingFailed, UsageError
from seatctl.exit_codes import ExitCode

Json = dict[str, Any]


def seat(section: str, row: str, number: int | str, **flags: bool) -> Json:
    return {"id": f"id-{section}-{row}-{number}", "row": row, "number": number,
            "isBooked": flags.get("booked", False), "isBlocked": flags.get("blocked", False),
            "price": None}


def section(name: str, rows: str | list[str], per_row: int, price: float, **extra: Any
            ) -> Json:
    row_names = list(rows)
    return {"id": f"s-{name}", "name": name, "sectionPrice": price,
            "seats": [seat(name, row, number) for row in row_names
                      for number in range(1, per_row + 1)], **extra}


def seat_map(*sections: Json) -> SeatMap:
    return SeatMap.model_validate({"event": {"id": "e1", "name": "Concert"},
                                   "venue": {"name": "Hall"}, "sections": list(sections)})


def hall() -> SeatMap:
    """Like the demo hall (rows restart in every section), plus a box with a unique row."""
    sections = [section("Orchestra", "ABC", 20, 120.0), section("Mezzanine", "ABC", 20, 100.0),
                section("Balcony", "ABC", 20, 80.0), section("Box", "X", 4, 200.0)]
    sections[0]["seats"][0]["isBlocked"] = True  # Orchestra:A1
    sections[0]["seats"][2]["isBooked"] = True  # Orchestra:A3
    sections[3]["seats"][1]["price"] = 250.0  # Box:X2 has its own price
    return seat_map(*sections)


def usage_error(labels: list[str], where: SeatMap | None = None) -> UsageError:
    with pytest.raises(UsageError) as caught:
        resolve_labels(where or hall(), labels)
    assert caught.value.exit_code == ExitCode.USAGE
    return caught.value


def test_a_bare_label_unique_across_sections_resolves() -> None:
    [resolved] = resolve_labels(hall(), ["X2"])
    assert resolved.id == "id-Box-X-2"
    assert (resolved.section, resolved.label, resolved.qualified) == ("Box", "X2", "Box:X2")
    assert resolved.display == "X2"
    assert resolved.state is SeatState.FREE and resolved.free
    assert resolved.price == 250.0


def test_labels_are_case_insensitive_and_stripped() -> None:
    assert [s.id for s in resolve_labels(hall(), [" x3 ", "box:x4"])] == [
        "id-Box-X-3", "id-Box-X-4"]


def test_a_bare_label_in_several_sections_lists_the_qualified_candidates() -> None:
    error = usage_error(["A12"])
    assert "ambiguous" in error.message
    assert "Orchestra:A12, Mezzanine:A12, Balcony:A12" in error.message
    assert error.hint is not None and "Orchestra:A12" in error.hint


@pytest.mark.parametrize("label", ["Mezzanine:A12", "mezzanine:a12", "MEZZ:A12", "m:A12",
                                   " Mezzanine : A12 "])
def test_a_section_by_name_or_unique_prefix_case_insensitive(label: str) -> None:
    [resolved] = resolve_labels(hall(), [label])
    assert resolved.id == "id-Mezzanine-A-12"
    assert resolved.display == "Mezzanine:A12"
    assert resolved.price == 100.0  # the section's price when the seat has none


def test_an_ambiguous_section_prefix_lists_the_sections() -> None:
    error = usage_error(["B:X1"])  # Balcony and Box
    assert "ambiguous" in error.message
    assert "Balcony" in error.message and "Box" in error.message


def test_an_exact_section_name_wins_over_a_longer_one_it_prefixes() -> None:
    where = seat_map(section("Box", "A", 2, 10.0), section("Box Left", "A", 2, 10.0))
    assert resolve_labels(where, ["box:A1"])[0].id == "id-Box-A-1"
    assert resolve_labels(where, ["box l:A1"])[0].id == "id-Box Left-A-1"


def test_an_unknown_section_suggests_the_nearest_or_lists_them_all() -> None:
    error = usage_error(["Orkestra:A1"])
    assert "no section 'Orkestra'" in error.message
    assert error.hint == "did you mean Orchestra?"
    error = usage_error(["Stalls:A1"])
    assert error.hint == "the sections are Orchestra, Mezzanine, Balcony, Box"


def test_raw_seat_ids_are_accepted_as_they_are() -> None:
    resolved = resolve_labels(hall(), ["id-Balcony-C-7", "Orchestra:A2"])
    assert [s.id for s in resolved] == ["id-Balcony-C-7", "id-Orchestra-A-2"]
    assert resolved[0].display == "Balcony:C7"


def test_a_seat_named_twice_is_kept_once_in_order() -> None:
    resolved = resolve_labels(hall(), ["X1", "Box:X2", "id-Box-X-1", "box:x1"])
    assert [s.label for s in resolved] == ["X1", "X2"]


def test_an_unknown_bare_label_suggests_the_nearest_ones() -> None:
    error = usage_error(["X9"])
    assert error.message == "no seat 'X9'"
    assert error.hint == "did you mean X4, X3 or X2?"


def test_suggestions_for_labels_in_several_sections_say_how_to_qualify() -> None:
    error = usage_error(["A21"])
    assert error.hint is not None
    assert error.hint.startswith("did you mean A2, A1 or A20?")
    assert "name it, like Orchestra:A2" in error.hint


def test_an_unknown_seat_in_a_section_suggests_qualified_labels() -> None:
    error = usage_error(["Orchestra:D1"])
    assert error.message == "no seat 'Orchestra:D1' in Orchestra"
    assert error.hint is not None and "Orchestra:C1" in error.hint


def test_nothing_near_points_at_the_seat_map() -> None:
    error = usage_error(["ZZZ999"])
    assert error.hint is not None and "seatctl seats" in error.hint


@pytest.mark.parametrize("labels", [[""], ["  "], ["Orchestra:"]])
def test_empty_labels_are_usage_errors(labels: list[str]) -> None:
    usage_error(labels)


def test_a_row_number_separator_resolves_concatenations_that_collide() -> None:
    """The seed's rows past Z are R27, R28, ...: R27 seat 3 and row R2 seat 73 are both R273."""
    where = seat_map({"id": "s1", "name": "Floor", "seats": [
        seat("Floor", "R27", 3), seat("Floor", "R2", 73), seat("Floor", "A", 1)]})
    error = usage_error(["R273"], where)
    assert "Floor:R27-3" in error.message and "Floor:R2-73" in error.message
    assert resolve_labels(where, ["R27-3"])[0].id == "id-Floor-R27-3"
    assert resolve_labels(where, ["floor:r2 73"])[0].id == "id-Floor-R2-73"
    assert resolve_labels(where, ["A 1"])[0].id == "id-Floor-A-1"
    assert {s.display for s in SeatIndex(where).seats} == {"Floor:R27-3", "Floor:R2-73", "A1"}


def test_seats_that_no_label_tells_apart_are_displayed_by_id() -> None:
    where = seat_map(section("Box", "A", 1, 10.0), {**section("box", "A", 1, 10.0), "id": "s2"})
    assert [s.display for s in SeatIndex(where).seats] == ["id-Box-A-1", "id-box-A-1"]


def test_integer_seat_numbers_work_like_strings() -> None:
    where = seat_map({"id": "s1", "name": "Floor", "seats": [seat("Floor", "A", 12)]})
    assert resolve_labels(where, ["A12"])[0].number == "12"


def test_booked_and_blocked_seats_are_reported_by_name() -> None:
    resolved = resolve_labels(hall(), ["Orchestra:A1", "Orchestra:A2", "Orchestra:A3"])
    assert [s.state for s in resolved] == [SeatState.BLOCKED, SeatState.FREE, SeatState.BOOKED]
    taken = unavailable(resolved)
    assert [s.display for s in taken] == ["Orchestra:A1", "Orchestra:A3"]
    assert describe_unavailable(taken) == "Orchestra:A1 (blocked), Orchestra:A3 (booked)"
    with pytest.raises(BookingFailed) as caught:
        ensure_available(resolved)
    assert caught.value.exit_code == ExitCode.REJECTED
    assert "Orchestra:A1 (blocked), Orchestra:A3 (booked)" in caught.value.message
    assert caught.value.hint is not None and "--force" in caught.value.hint


def test_free_seats_pass() -> None:
    ensure_available(resolve_labels(hall(), ["Orchestra:A2", "X1"]))


@pytest.mark.parametrize(("values", "expected"), [
    (["A12,A13"], ["A12", "A13"]),
    (["A12", "A13"], ["A12", "A13"]),
    ([" A12 , ,A13,", "Box:X1"], ["A12", "A13", "Box:X1"]),
    (["", " , "], []),
])
def test_split_labels(values: list[str], expected: list[str]) -> None:
    assert split_labels(values) == expected


# --- forms people type, and suggestions (issue 14) ---------------------------------------------


@pytest.mark.parametrize("label", ["Orchestra A17", "orchestra a17", "orch a 17",
                                   "Orchestra A-17", "Orchestra  A 17", "Orchestra:A 17",
                                   "Orchestra:A-17", "Orchestra A017", "o:a17"])
def test_a_space_stands_for_the_colon_and_a_row_and_number_may_be_apart(label: str) -> None:
    [resolved] = resolve_labels(hall(), [label])
    assert resolved.qualified == "Orchestra:A17"


@pytest.mark.parametrize(("label", "qualified"), [
    ("X 2", "Box:X2"), ("X-2", "Box:X2"), ("x02", "Box:X2"), ("Box X2", "Box:X2"),
    ("box x 2", "Box:X2"), ("Mezzanine C 20", "Mezzanine:C20"), ("Bal A7", "Balcony:A7"),
])
def test_spaced_and_separated_forms_read_as_the_label(label: str, qualified: str) -> None:
    assert resolve_labels(hall(), [label])[0].qualified == qualified


def test_a_spaced_form_keeps_the_bare_label_rules() -> None:
    error = usage_error(["A 12"])  # in all three sections, as A12 is
    assert "ambiguous" in error.message and "Orchestra:A12" in error.message
    error = usage_error(["B X1"])  # B is Balcony or Box: no section is named
    assert error.message == "no seat 'B X1'"


def test_a_label_with_spaces_of_its_own_wins_over_a_section() -> None:
    where = seat_map({"id": "s1", "name": "Stalls", "seats": [
        {"id": "t1", "row": "Stalls A", "number": "1", "price": None},
        {"id": "t2", "row": "A", "number": "1", "price": None}]})
    assert resolve_labels(where, ["Stalls A1"])[0].id == "t1"  # the label, whole
    assert resolve_labels(where, ["Stalls:A1"])[0].id == "t2"


def test_a_mistyped_section_before_a_space_suggests_the_qualified_seat() -> None:
    error = usage_error(["Orchstra A17"])
    assert error.message == "no seat 'Orchstra A17'"
    assert error.hint is not None and error.hint.startswith("did you mean Orchestra:A17,")


def test_swapped_digits_suggest_the_seat() -> None:
    error = usage_error(["Orchestra A71"])
    assert error.hint == "did you mean Orchestra:A7, Orchestra:A17 or Orchestra:A11?"
    assert usage_error(["X 9"]).hint == "did you mean X4, X3 or X2?"


def test_free_seats_are_suggested_before_booked_and_blocked_ones() -> None:
    # Orchestra:A1 is blocked; in the Mezzanine every seat is free
    assert usage_error(["Mezzanine:A21"]).hint == (
        "did you mean Mezzanine:A2, Mezzanine:A1 or Mezzanine:A20?")
    assert usage_error(["Orchestra:A21"]).hint == (
        "did you mean Orchestra:A2, Orchestra:A20 or Orchestra:A12?")


def test_a_booked_seat_is_still_suggested_when_nothing_free_is_near() -> None:
    where = seat_map({"id": "s1", "name": "Floor", "seats": [
        seat("Floor", "A", 1, booked=True), seat("Floor", "B", 9)]})
    assert usage_error(["A2"], where).hint == "did you mean A1?"


def test_unknown_labels_stay_usage_errors_exit_2() -> None:
    for label in ("Orchestra A99", "Nowhere A1", "Orchestra:Z1", "A 1 2 3"):
        assert usage_error([label]).exit_code == ExitCode.USAGE
