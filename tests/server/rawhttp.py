"""A raw-socket HTTP client for measuring the server's connection timing (h11 parses). The
protocol layer alone around a handler is `tests.support.servers.serving_protocol`."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

WAIT_LIMIT = 10.0  # no test waits longer than this for anything


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    finished_at: float  # time.monotonic() when the response was complete


class RawConnection:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=WAIT_LIMIT)
        self.opened_at = time.monotonic()
        self._h11 = h11.Connection(h11.CLIENT)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def get(self, path: str = "/health", headers: list[tuple[str, str]] | None = None
            ) -> Answer:
        request = h11.Request(method="GET", target=path,
                              headers=[("Host", "127.0.0.1"), *(headers or [])])
        self.sock.sendall(self._h11.send(request) + self._h11.send(h11.EndOfMessage()))
        return self.read_answer()

    def read_answer(self) -> Answer:
        status, headers, body = 0, {}, b""
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA:
                self._h11.receive_data(self.sock.recv(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode().lower(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                answer = Answer(status, headers, body, time.monotonic())
                if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
                    self._h11.start_next_cycle()
                return answer
            else:
                raise AssertionError(f"unexpected {event!r}")

    def wait_for_close(self) -> tuple[str, float]:
        """Block until the server ends the connection: ("fin" | "reset", monotonic time)."""
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            return "reset", time.monotonic()
        assert data == b"", f"expected the server to close, got {data[:80]!r}"
        return "fin", time.monotonic()

    def read_until_close(self) -> tuple[bytes, str, float]:
        """Everything the server still sends, then how and when it closed."""
        received = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                return received, "reset", time.monotonic()
            if not data:
                return received, "fin", time.monotonic()
            received += data
