"""What a booking will send and cost (seatctl.booking.plan), and how the plan reads
(seatctl.render.plan): prices from the seat, the section or the event, totals, the start."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from seatctl.api.models import Event, Seat, SeatMap, Section
from seatctl.booking.labels import resolve_labels
from seatctl.booking.plan import BookingPlan, PlannedSeat, quantity_plan, seat_plan, seat_price
from seatctl.render.plan import (
    ago,
    plan_lines,
    print_plan,
    question,
    start_text,
    started_message,
)
from seatctl.render.streams import IOStreams

NOW = datetime(2026, 12, 12, 12, 0, tzinfo=UTC)
EVENT_ID = "cevt0123456789abcdef0123"


def event(price: float | None = 40.0, start: str | None = "2026-12-12T19:30:00.000Z",
          seat_map: bool = True) -> Event:
    return Event.model_validate({"id": EVENT_ID, "name": "Symphony", "price": price,
                                 "startTime": start, "seatLevelBooking": seat_map})


def seat(seat_id: str, row: str, number: str, price: float | None = None) -> dict[str, Any]:
    return {"id": seat_id, "row": row, "number": number, "price": price}


def section(name: str, seats: list[dict[str, Any]], *, multiplier: float | None = None,
            section_price: float | None = None) -> dict[str, Any]:
    return {"id": f"sec-{name}", "name": name, "priceMultiplier": multiplier,
            "sectionPrice": section_price, "seats": seats}


def seat_map(*sections: dict[str, Any]) -> SeatMap:
    return SeatMap.model_validate({"event": {"id": EVENT_ID, "name": "Symphony"},
                                   "sections": list(sections)})


def test_a_seat_costs_its_own_price_first() -> None:
    assert seat_price(Seat.model_validate(seat("s1", "A", "1", 55.5)),
                      Section.model_validate(section("Orchestra", [], section_price=99.0,
                                                     multiplier=3.0)), 40.0) == 55.5


def test_then_its_sections_price_then_the_events_times_the_multiplier() -> None:
    plain = Seat.model_validate(seat("s1", "A", "1"))
    priced = Section.model_validate(section("Orchestra", [], section_price=99.0,
                                            multiplier=3.0))
    assert seat_price(plain, priced, 40.0) == 99.0
    multiplied = Section.model_validate(section("Balcony", [], multiplier=1.5))
    assert seat_price(plain, multiplied, 40.0) == 60.0
    bare = Section.model_validate(section("Box", []))
    assert seat_price(plain, bare, 40.0) == 40.0  # no multiplier: the event's price
    assert seat_price(plain, bare, None) is None


def test_a_price_that_is_not_a_number_is_unknown() -> None:
    nan = Seat.model_validate(seat("s1", "A", "1", math.nan))
    assert seat_price(nan, Section.model_validate(section("Box", [])), math.inf) is None


def test_a_seat_plan_lists_each_seat_with_its_section_and_price_and_the_total() -> None:
    layout = seat_map(section("Orchestra", [seat("s1", "A", "1"), seat("s2", "A", "2")],
                              multiplier=3.0),
                      section("Balcony", [seat("s3", "A", "1", 42.25)], multiplier=2.0))
    resolved = resolve_labels(layout, ["Orchestra:A2", "Balcony:A1"])
    plan = seat_plan(event(), layout, resolved)
    assert plan.seats == (PlannedSeat("s2", "A2", "Orchestra", 120.0),  # A2 names one seat
                          PlannedSeat("s3", "Balcony:A1", "Balcony", 42.25))
    assert plan.count == 2 and plan.total == 162.25
    assert question(plan) == "Book 2 seats for 162.25?"


def test_one_unknown_price_makes_the_total_unknown() -> None:
    layout = seat_map(section("Box", [seat("s1", "A", "1"), seat("s2", "A", "2", 10.0)]))
    plan = seat_plan(event(price=None), layout, resolve_labels(layout, ["A1", "A2"]))
    assert plan.total is None
    assert question(plan) == "Book 2 seats (total unknown)?"
    assert plan_lines(plan, NOW)[-1] == "total: 2 seats, ?"


def test_general_admission_is_quantity_times_the_event_price() -> None:
    plan = quantity_plan(event(price=35.0, seat_map=False), 3)
    assert (plan.count, plan.unit_price, plan.total) == (3, 35.0, 105.0)
    assert question(plan) == "Book 3 tickets for 105.00?"
    assert plan_lines(plan, NOW)[-1] == "tickets: 3 x 35.00 = 105.00"
    assert question(quantity_plan(event(price=35.0), 1)) == "Book 1 ticket for 35.00?"


def test_the_json_document_has_every_field_and_says_nothing_was_sent() -> None:
    layout = seat_map(section("Orchestra", [seat("s1", "A", "1", 120.0)]))
    plan = seat_plan(event(), layout, resolve_labels(layout, ["A1"]))
    assert plan.as_dict(sent=False) == {
        "event": {"id": EVENT_ID, "name": "Symphony"}, "start": "2026-12-12T19:30:00.000Z",
        "seats": [{"id": "s1", "label": "A1", "section": "Orchestra", "price": 120.0}],
        "quantity": 1, "unitPrice": None, "total": 120.0, "sent": False, "refused": None}
    assert plan.as_dict(sent=False, refused="it started")["refused"] == "it started"


def test_started_compares_the_start_with_now() -> None:
    plan = quantity_plan(event(start="2026-12-12T11:00:00Z"), 1)
    assert plan.started(NOW) and not plan.started(NOW - timedelta(hours=2))
    assert not quantity_plan(event(start=None), 1).started(NOW)
    assert not quantity_plan(event(start="soon"), 1).started(NOW)


@pytest.mark.parametrize(("elapsed", "text"), [
    (timedelta(seconds=20), "less than a minute ago"), (timedelta(minutes=90), "90 min ago"),
    (timedelta(hours=5), "5 h ago"), (timedelta(days=3, hours=2), "3 days ago")])
def test_ago_reads_as_people_say_it(elapsed: timedelta, text: str) -> None:
    assert ago(elapsed) == text


def test_the_start_is_local_time_with_the_zone_and_says_when_it_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    try:
        assert start_text(quantity_plan(event(), 1), NOW) == "Sun 13 Dec 04:30 JST"
        started = quantity_plan(event(start="2026-12-12T10:00:00Z"), 1)
        assert start_text(started, NOW) == "Sat 12 Dec 19:00 JST (started 2 h ago)"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert start_text(quantity_plan(event(start=None), 1), NOW) == "unknown"


def test_the_started_message_nests_no_parentheses(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    try:
        started = quantity_plan(event(start="2026-12-12T11:00:00Z"), 1)
        assert started_message(started, NOW) == (
            "Symphony started 60 min ago (Sat 12 Dec 20:00 JST): nothing sent")
        assert started_message(started, NOW, dry_run=True) == (
            "Symphony started 60 min ago (Sat 12 Dec 20:00 JST): booking it would be "
            "refused; nothing sent")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_on_a_terminal_the_plan_is_a_table_that_breaks_no_id(width: int) -> None:
    long_id = "ct" + "0123456789abcdef" * 2
    plan = BookingPlan(EVENT_ID, "Symphony Under the Stars", "2026-12-12T19:30:00Z",
                       seats=(PlannedSeat(long_id, "Orchestra:A12", "Orchestra", 120.0),
                              PlannedSeat("ct2", "Orchestra:A13", "Orchestra", 120.0)))
    streams = IOStreams.test(tty=True, width=width)
    print_plan(streams.out, plan, NOW)
    text = streams.out_text()
    words = {word.strip("()") for line in text.splitlines() for word in line.split()}
    assert {EVENT_ID, "Orchestra:A12", "Orchestra:A13", "120.00", "240.00"} <= words
    if width >= 80:
        assert long_id in words


def test_server_text_in_the_plan_is_escaped() -> None:
    plan = BookingPlan("e\x1b[2J", "Gala\x1b]0;x\x07", None,
                       seats=(PlannedSeat("s\r\n1", "A\x1b1", "Box\x07", 1.0),))
    text = "\n".join(plan_lines(plan, NOW))
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text
    assert len(plan_lines(plan, NOW)) == 4  # no forged lines
