"""The ticket endpoints in the seed's shapes (contract.md, "Bookings, cancellation, tickets
and check-in"): details, the QR code, the PDF, verification and check-in, in both dialects
where they differ. The QR codes are read back as a phone would (zxing-cpp), the PDF taken
apart by its cross-reference table."""

from __future__ import annotations

import base64
import json
import re
import time
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import png
import pytest
import zxingcpp

from seatctl.server import Dialect, ReferenceServer
from seatctl.server.tickets import clock_time, long_date
from tests.conftest import StartServer
from tests.server.helpers import assert_error, client, general_admission_event, login
from tests.server.test_bookings_api import (
    OTHER_EMAIL,
    OTHER_PASSWORD,
    book_quantity,
    book_seats,
    listed,
)
from tests.timed_events import add_event, add_user

Json = dict[str, Any]

TOO_EARLY = "Check-in not yet available. Please arrive closer to event time."
ENDED = "Event has already ended"
SOON = timedelta(hours=1)  # check-in is open from two hours before the start


def ticket_for_event(server: ReferenceServer, starts_in: timedelta,
                     lasts: timedelta = timedelta(hours=3)) -> str:
    """The demo user's seat booking of a new event starting `starts_in` from now (seat
    bookings are not refused for events in the past); returns the booking id."""
    event_id = add_event(server, "Timed Show", starts_in=starts_in, lasts=lasts,
                         seat_map=True, price=25.0)
    with client(server, login(server)) as http:
        booking_id, _ = book_seats(http, event_id)
    return booking_id


def soon_booking(server: ReferenceServer, quantity: int = 1) -> str:
    """A general-admission booking (both dialects) of an event starting within the hour."""
    event_id = add_event(server, "Soon Show", starts_in=SOON, price=25.0)
    with client(server, login(server)) as http:
        return book_quantity(http, event_id, quantity)


def other_client(server: ReferenceServer) -> httpx.Client:
    add_user(server, OTHER_EMAIL, OTHER_PASSWORD)
    return client(server, login(server, OTHER_EMAIL, OTHER_PASSWORD))


def cancelled_booking(http: httpx.Client) -> str:
    booking_id = book_quantity(http, general_admission_event(http)["id"])
    assert http.delete(f"/api/bookings/{booking_id}").status_code == 200
    return booking_id


# --- formats --------------------------------------------------------------------------


@pytest.mark.parametrize(("moment", "date", "clock"), [
    (datetime(2026, 10, 30, 19, 30, tzinfo=UTC), "Friday, October 30, 2026", "07:30 PM"),
    (datetime(2027, 1, 3, 0, 5, tzinfo=UTC), "Sunday, January 3, 2027", "12:05 AM"),
    (datetime(2026, 6, 1, 12, 0, tzinfo=UTC), "Monday, June 1, 2026", "12:00 PM"),
    (datetime.fromisoformat("2026-10-31T01:30:00+02:00"), "Friday, October 30, 2026",
     "11:30 PM"),
])
def test_dates_and_times_read_as_the_seed_writes_them_in_utc(
    moment: datetime, date: str, clock: str,
) -> None:
    assert (long_date(moment), clock_time(moment)) == (date, clock)


# --- details --------------------------------------------------------------------------


def test_details_name_the_event_the_holder_and_the_qr_payload(
    server: ReferenceServer,
) -> None:
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        booking_id = book_quantity(http, event["id"], 2)
        before = int(time.time() * 1000)
        response = http.get(f"/api/tickets/{booking_id}/details")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    start = datetime.fromisoformat(event["startTime"])
    payload = json.loads(data.pop("qrCodeData"))
    assert data == {
        "bookingId": booking_id, "eventName": event["name"], "userName": "Demo User",
        "venue": event["venue"], "eventDate": long_date(start), "eventTime": clock_time(start),
        "ticketQuantity": 2, "totalPrice": pytest.approx(2 * event["price"]),
    }
    assert_payload(payload, server, booking_id, not_before=before)


def assert_payload(payload: Json, server: ReferenceServer, booking_id: str, *,
                   not_before: int) -> None:
    assert set(payload) == {"bookingId", "timestamp", "checkInUrl"}
    assert payload["bookingId"] == booking_id
    assert not_before <= payload["timestamp"] <= time.time() * 1000
    assert payload["checkInUrl"] == f"{server.url}/api/tickets/verify/{booking_id}"


def test_the_check_in_url_names_the_host_the_client_reached(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        booking_id = book_quantity(http, general_admission_event(http)["id"])
        named = http.get(f"/api/tickets/{booking_id}/details",
                         headers={"Host": "tickets.example:8443"})
        odd = http.get(f"/api/tickets/{booking_id}/details",
                       headers={"Host": "evil.example/phish?x="})
    url = json.loads(named.json()["data"]["qrCodeData"])["checkInUrl"]
    assert url == f"http://tickets.example:8443/api/tickets/verify/{booking_id}"
    fallback = json.loads(odd.json()["data"]["qrCodeData"])["checkInUrl"]
    assert fallback.startswith("http://127.0.0.1:")
    assert fallback.endswith(f"/api/tickets/verify/{booking_id}")


@pytest.mark.parametrize("path", ["details", "qr", "download"])
def test_a_ticket_of_an_unknown_booking_is_404(server: ReferenceServer, path: str) -> None:
    with client(server, login(server)) as http:
        assert_error(http.get(f"/api/tickets/cnosuchbooking/{path}"), 404, "Booking not found")


@pytest.mark.parametrize("path", ["details", "qr", "download"])
def test_another_users_ticket_is_403(server: ReferenceServer, path: str) -> None:
    with client(server, login(server)) as demo, other_client(server) as other:
        booking_id = book_quantity(demo, general_admission_event(demo)["id"])
        assert_error(other.get(f"/api/tickets/{booking_id}/{path}"), 403, "Access denied")


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/tickets/x/details"), ("GET", "/api/tickets/x/qr"),
    ("GET", "/api/tickets/x/download"), ("GET", "/api/tickets/verify/x"),
    ("POST", "/api/tickets/checkin/x"),
])
def test_every_ticket_endpoint_needs_a_token(server: ReferenceServer, method: str,
                                              path: str) -> None:
    assert_error(httpx.request(method, server.url + path), 401,
                 "Access denied. No token provided.")
    assert_error(httpx.request(method, server.url + path,
                               headers={"Authorization": "Bearer nonsense"}), 401,
                 "Access denied. Invalid token.")


# --- the QR code ----------------------------------------------------------------------


def test_the_qr_code_is_a_png_data_url_that_reads_back_as_the_payload(
    server: ReferenceServer,
) -> None:
    with client(server, login(server)) as http:
        booking_id = book_quantity(http, general_admission_event(http)["id"])
        before = int(time.time() * 1000)
        response = http.get(f"/api/tickets/{booking_id}/qr")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == {"bookingId", "qrCode"}
    assert data["bookingId"] == booking_id
    prefix = "data:image/png;base64,"
    assert data["qrCode"].startswith(prefix)
    width, height, pixels = decode_png(base64.b64decode(data["qrCode"][len(prefix):]))
    assert width == height and 180 <= width <= 230
    assert_payload(json.loads(read_qr(width, height, pixels)), server, booking_id,
                   not_before=before)


def test_no_qr_code_for_a_cancelled_booking(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        response = http.get(f"/api/tickets/{cancelled_booking(http)}/qr")
    assert_error(response, 400, "Cannot generate QR code for unconfirmed booking")


def decode_png(document: bytes) -> tuple[int, int, bytes]:
    """Width, height and 8-bit grey pixels of a greyscale PNG (what segno writes)."""
    width, height, rows, info = png.Reader(bytes=document).asDirect()
    scale = 255 // (2 ** info["bitdepth"] - 1)  # 1-bit grey comes as 0/1
    pixels = bytearray()
    for row in rows:
        pixels += bytes(value * scale for value in row)
    return width, height, bytes(pixels)


def read_qr(width: int, height: int, pixels: bytes) -> str:
    image = memoryview(pixels).cast("B", (height, width))
    (barcode,) = zxingcpp.read_barcodes(image)
    return barcode.text


# --- the PDF --------------------------------------------------------------------------


def test_the_ticket_downloads_as_a_pdf_attachment(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        event = general_admission_event(http)
        booking_id = book_quantity(http, event["id"], 2)
        before = int(time.time() * 1000)
        response = http.get(f"/api/tickets/{booking_id}/download")
    assert response.status_code == 200
    number = "EVT-" + booking_id[:8].upper()
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] \
        == f'attachment; filename="ticket-{number}.pdf"'
    assert int(response.headers["content-length"]) == len(response.content)
    document = response.content
    assert document.startswith(b"%PDF-") and document.rstrip().endswith(b"%%EOF")
    objects = pdf_objects(document)
    page = one_page(objects)
    assert b"/MediaBox [0 0 595 842]" in page
    fonts = [body for body in objects.values() if b"/Type /Font" in body]
    assert {base_font(font) for font in fonts} == {b"Helvetica", b"Helvetica-Bold"}
    assert all(b"/Subtype /Type1" in font for font in fonts)
    content = page_content(objects, page)
    start = datetime.fromisoformat(event["startTime"])
    for text in (event["name"], long_date(start), clock_time(start), event["venue"],
                 "Demo User", "2 tickets", f"${2 * event['price']:.2f}", number, booking_id):
        assert b"(" + text.encode("cp1252") + b") Tj" in content, text
    payload = json.loads(read_qr(*qr_image(content)))
    assert_payload(payload, server, booking_id, not_before=before)


def test_the_pdf_writes_names_in_the_standard_fonts_encoding(server: ReferenceServer) -> None:
    name = "Dvo\u0159\u00e1k \u2013 N\u00ba 9 (live)"  # Dvořák, an en dash, Nº
    event_id = add_event(server, name, starts_in=timedelta(days=2))
    with client(server, login(server)) as http:
        booking_id = book_quantity(http, event_id)
        response = http.get(f"/api/tickets/{booking_id}/download")
    objects = pdf_objects(response.content)
    content = page_content(objects, one_page(objects))
    # cp1252 (WinAnsiEncoding) has the a acute, the dash and the º, not the r caron (it
    # loses its accent); parentheses are escaped.
    assert b"(Dvor\xe1k \x96 N\xba 9 \\(live\\)) Tj" in content


def test_no_pdf_for_a_cancelled_booking(server: ReferenceServer) -> None:
    with client(server, login(server)) as http:
        response = http.get(f"/api/tickets/{cancelled_booking(http)}/download")
    assert_error(response, 400, "Cannot generate ticket for unconfirmed booking")


def test_a_failed_drawing_is_a_json_500(server: ReferenceServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> bytes:
        raise ValueError("drawing failed")

    monkeypatch.setattr("seatctl.server.tickets.ticket_pdf", broken)
    with client(server, login(server)) as http:
        booking_id = book_quantity(http, general_admission_event(http)["id"])
        response = http.get(f"/api/tickets/{booking_id}/download")
    assert_error(response, 500, "Failed to generate ticket")


def pdf_objects(document: bytes) -> dict[int, bytes]:
    """Each object's body, found through the cross-reference table the trailer points to
    (so the offsets are checked, as a reader uses them)."""
    found = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", document)
    assert found is not None
    table = document[int(found[1]):]
    assert table.startswith(b"xref")
    first, count = map(int, table.split(b"\n")[1].split())
    entries = table.split(b"\n")[2:2 + count]
    assert b"/Root " in table and re.search(rb"/Size %d\b" % count, table)
    objects = {}
    for number, entry in enumerate(entries, start=first):
        assert len(entry) == 19  # 20 bytes with the newline
        offset, _, kind = entry.split()
        if kind == b"n":
            body = document[int(offset):]
            assert body.startswith(b"%d 0 obj" % number), number
            objects[number] = body[:body.index(b"endobj")]
    return objects


def base_font(font: bytes) -> bytes:
    found = re.search(rb"/BaseFont /([\w-]+)", font)
    assert found is not None
    return found[1]


def one_page(objects: dict[int, bytes]) -> bytes:
    pages = [body for body in objects.values() if re.search(rb"/Type /Page\b", body)]
    assert len(pages) == 1
    (tree,) = [body for body in objects.values() if b"/Type /Pages" in body]
    assert b"/Count 1" in tree
    return pages[0]


def page_content(objects: dict[int, bytes], page: bytes) -> bytes:
    reference = re.search(rb"/Contents (\d+) 0 R", page)
    assert reference is not None
    body = objects[int(reference[1])]
    length = re.search(rb"/Length (\d+)", body)
    assert length is not None and b"/FlateDecode" in body
    stream = body[body.index(b"stream") + len(b"stream"):].lstrip(b"\r\n")
    return zlib.decompress(stream[:int(length[1])])


def qr_image(content: bytes, module: float = 4.0, scale: int = 4) -> tuple[int, int, bytes]:
    """The filled rectangles of the content stream, drawn `scale` pixels per module with a
    4-module quiet zone: (width, height, grey pixels), upside up."""
    rectangles = [tuple(map(float, match.groups())) for match in re.finditer(
        rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re", content)]
    assert rectangles
    left = min(x for x, _, _, _ in rectangles)
    top = max(y + h for _, y, _, h in rectangles)
    size = round((max(x + w for x, _, w, _ in rectangles) - left) / module)
    modules = [[False] * (size + 8) for _ in range(size + 8)]
    for x, y, w, h in rectangles:
        row = round((top - y - h) / module) + 4
        for column in range(round((x - left) / module), round((x + w - left) / module)):
            modules[row][column + 4] = True
    side = (size + 8) * scale
    pixels = b"".join(bytes(0 if dark else 255 for dark in row for _ in range(scale)) * scale
                      for row in modules)
    return side, side, pixels


# --- verification and check-in --------------------------------------------------------


def test_verifying_a_ticket_within_two_hours_of_the_start_names_it(
    start_server: StartServer,
) -> None:
    server = start_server(dialect=Dialect.SEED)
    booking_id = soon_booking(server, quantity=2)
    with client(server, login(server)) as http:
        event = listed(http, booking_id)["event"]
        response = http.get(f"/api/tickets/verify/{booking_id}")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "success", "message": "Ticket verified successfully",
        "data": {"booking": {
            "id": booking_id, "quantity": 2,
            "event": {"name": "Soon Show", "venue": event["venue"],
                      "startTime": event["startTime"], "endTime": event["endTime"]},
            "user": {"name": "Demo User", "email": "demo@example.com"},
        }},
    }


def test_anyone_signed_in_may_verify_and_check_in_a_ticket(server: ReferenceServer) -> None:
    booking_id = soon_booking(server)
    with other_client(server) as staff:
        verified = staff.get(f"/api/tickets/verify/{booking_id}")
        checked = staff.post(f"/api/tickets/checkin/{booking_id}")
    assert verified.status_code == 200, verified.text
    assert verified.json()["data"]["booking"]["user"]["name"] == "Demo User"
    assert checked.status_code == 200, checked.text


@pytest.mark.parametrize(("starts_in", "lasts"), [
    (timedelta(hours=1, minutes=59), timedelta(hours=3)),  # the doors open at -2 h
    (-timedelta(hours=1), timedelta(hours=3)),  # under way
])
def test_a_ticket_is_admissible_from_two_hours_before_the_start_to_the_end(
    server: ReferenceServer, starts_in: timedelta, lasts: timedelta,
) -> None:
    booking_id = ticket_for_event(server, starts_in, lasts)
    with client(server, login(server)) as http:
        assert http.get(f"/api/tickets/verify/{booking_id}").status_code == 200
        assert http.post(f"/api/tickets/checkin/{booking_id}").status_code == 200


@pytest.mark.parametrize(("starts_in", "message"), [
    (timedelta(hours=2, minutes=1), TOO_EARLY),
    (timedelta(days=3), TOO_EARLY),
    (-timedelta(hours=3, minutes=1), ENDED),
])
@pytest.mark.parametrize(("method", "path"), [("GET", "verify"), ("POST", "checkin")])
def test_a_ticket_is_refused_too_early_or_after_the_end(
    server: ReferenceServer, starts_in: timedelta, message: str, method: str, path: str,
) -> None:
    booking_id = ticket_for_event(server, starts_in, lasts=timedelta(hours=3))
    with client(server, login(server)) as http:
        response = http.request(method, f"/api/tickets/{path}/{booking_id}")
    assert_error(response, 400, message)


@pytest.mark.parametrize(("method", "path"), [("GET", "verify"), ("POST", "checkin")])
def test_an_unknown_or_cancelled_ticket_is_a_400(server: ReferenceServer, method: str,
                                                 path: str) -> None:
    booking_id = soon_booking(server)
    with client(server, login(server)) as http:
        assert http.delete(f"/api/bookings/{booking_id}").status_code == 200
        cancelled = http.request(method, f"/api/tickets/{path}/{booking_id}")
        unknown = http.request(method, f"/api/tickets/{path}/cnosuchbooking")
    assert_error(cancelled, 400, "Booking is not confirmed")
    assert_error(unknown, 400, "Booking not found")


def test_the_reference_dialect_records_the_check_in_and_refuses_a_second(
    server: ReferenceServer,
) -> None:
    booking_id = soon_booking(server)
    with client(server, login(server)) as http:
        first = http.post(f"/api/tickets/checkin/{booking_id}")
        second = http.post(f"/api/tickets/checkin/{booking_id}")
        booking = listed(http, booking_id)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["message"] == "Check-in successful"
    checked_in_at = body["data"]["checkedInAt"]
    assert datetime.fromisoformat(checked_in_at).tzinfo is not None
    assert body["data"]["booking"]["id"] == booking_id
    assert body["data"]["booking"]["checkedInAt"] == checked_in_at
    assert_error(second, 400, f"Ticket already checked in at {checked_in_at}")
    assert booking["checkedInAt"] == checked_in_at


def test_the_seed_dialect_checks_in_twice_and_records_nothing(
    start_server: StartServer,
) -> None:
    server = start_server(dialect=Dialect.SEED)
    booking_id = soon_booking(server)
    with client(server, login(server)) as http:
        answers = [http.post(f"/api/tickets/checkin/{booking_id}") for _ in range(2)]
        booking = listed(http, booking_id)
    for answer in answers:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["message"] == "Check-in successful"
        assert set(body["data"]) == {"booking", "checkedInAt"}
        assert set(body["data"]["booking"]) == {"id", "quantity", "event", "user"}
    assert "checkedInAt" not in booking
