"""The doctor keeps the start of an error response's body, so a proxy that names itself only
in its own error page (HAProxy's 502 has no Server header) is named in a real run."""

from __future__ import annotations

import asyncio
import contextlib

from seatctl.diagnostics.connection import ERROR_BODY_KEPT, connect
from seatctl.diagnostics.doctor import run_doctor
from seatctl.diagnostics.identify import Confidence
from seatctl.diagnostics.report import build_report
from seatctl.diagnostics.runs import DoctorPlan, DoctorRun
from seatctl.diagnostics.targets import ConnectOptions, parse_target
from tests.diagnostics.test_identify import HAPROXY_502
from tests.support.servers import serving_callback

IDLE_CLOSE = 0.3  # seconds: the scripted proxy closes idle connections after this


async def haproxy_502(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """HAProxy's built-in 502 page, no Server header, keep-alive until idle."""
    body = (HAPROXY_502 + "x" * 5000).encode()  # longer than what is kept
    with contextlib.suppress(TimeoutError):
        while True:
            async with asyncio.timeout(IDLE_CLOSE):
                await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\n"
                         b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
    writer.close()


def test_an_error_body_is_kept_up_to_its_bound_and_a_success_body_not() -> None:
    async def fetch(url: str) -> tuple[int, int, bytes]:
        async with connect(parse_target(url), ConnectOptions()) as connection:
            response = await connection.request()
        return response.status, response.body_bytes, response.error_body

    with serving_callback(haproxy_502) as url:
        status, size, kept = asyncio.run(fetch(url))
    assert status == 502 and size == len(HAPROXY_502) + 5000
    assert kept == (HAPROXY_502 + "x" * 5000).encode()[:ERROR_BODY_KEPT]


def test_a_proxy_named_only_by_its_error_page_is_named_in_the_report() -> None:
    with serving_callback(haproxy_502) as url:
        run = DoctorRun(DoctorPlan(url=url, quick=True, max_wait=2.0))
        asyncio.run(run_doctor(run))
    report = build_report(run)
    door = report.inference.front_door if report.inference else None
    assert door is not None, report.inference
    assert (door.component_key, door.confidence) == ("haproxy", Confidence.CERTAIN)
    assert any("HAProxy's built-in error page" in line for line in door.basis)
