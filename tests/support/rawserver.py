"""A raw TCP (optionally TLS) server on 127.0.0.1 whose handlers are blocking scripts.

Each accepted connection runs `handler(Connection)` on its own thread, so a test writes the
server's side as straight-line socket code: read a request, answer, reset, half-close, hang.
Every thread has a bounded lifetime: sockets time out after LIFETIME seconds and `hang`
waits on the server's `stopping` event; `stop()` joins them all and fails the test if one
outlived it. (The servers with asyncio callbacks are in tests/support/servers.py.)
"""

from __future__ import annotations

import selectors
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

LOOPBACK = "127.0.0.1"
LIFETIME = 5.0
"""Upper bound, in seconds, of any blocking wait in a server thread or a test."""


class Connection:
    """One accepted connection, as a scripted handler drives it."""

    def __init__(self, sock: socket.socket, server: RawServer) -> None:
        self.sock = sock
        self.server = server
        self._buffer = b""

    def read_request(self) -> bytes:
        """The next request (head and Content-Length body); b"" if the client closed first."""
        while b"\r\n\r\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return b""
            self._buffer += chunk
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        request, self._buffer = head + b"\r\n\r\n" + rest[:length], rest[length:]
        self.server.record(request)
        return request

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def respond(
        self, status: str = "200 OK", body: bytes = b'{"status": "success"}',
        headers: Iterable[tuple[str, str]] = (("Content-Type", "application/json"),),
    ) -> None:
        """A complete keep-alive HTTP/1.1 response."""
        lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        self.send("\r\n".join(lines).encode() + b"\r\n\r\n" + body)

    def reset(self) -> None:
        """Abort with a TCP RST: SO_LINGER on with a zero timeout, then close."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close_cleanly(self) -> None:
        """Send FIN, then wait (bounded) for the client's own close before closing."""
        self.sock.shutdown(socket.SHUT_WR)
        while self.sock.recv(65536):
            pass
        self.sock.close()

    def hang(self) -> None:
        """Keep the connection open, answering nothing, until the server stops."""
        self.server.stopping.wait(LIFETIME)


Handler = Callable[[Connection], None]


class RawServer:
    """A TCP (optionally TLS) server on 127.0.0.1 that runs `handler` per connection.

    `accepted` counts TCP connections, `handled` those whose handler has finished;
    `requests` holds what `read_request` read; `request_seen` is set on the first request.
    OSErrors in handlers (the client went away, a failed handshake) are collected in
    `socket_errors`; anything else fails the test at teardown.
    """

    def __init__(
        self, handler: Handler, *, tls: ssl.SSLContext | None = None,
        rcvbuf: int | None = None,
    ) -> None:
        self._handler = handler
        self._tls = tls
        self.accepted = 0
        self.requests: list[bytes] = []
        self.socket_errors: list[OSError] = []
        self.failures: list[BaseException] = []
        self.stopping = threading.Event()
        self.request_seen = threading.Event()
        self._lock = threading.Lock()
        self._handled = threading.Condition(self._lock)
        self.handled = 0
        self._threads: list[threading.Thread] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:  # inherited by accepted sockets: a small receive window
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"raw-{self.port}")
        self._acceptor.start()

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{LOOPBACK}:{self.port}"

    def record(self, request: bytes) -> None:
        with self._lock:
            self.requests.append(request)
        self.request_seen.set()

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self.stopping.is_set():
                for key, _ in selector.select(timeout=LIFETIME):
                    if key.fileobj is self._wake_r:
                        return
                    sock, _ = self._listener.accept()
                    with self._lock:
                        self.accepted += 1
                    thread = threading.Thread(target=self._serve, args=(sock,),
                                              name=f"raw-{self.port}-{self.accepted}")
                    self._threads.append(thread)
                    thread.start()

    def _serve(self, sock: socket.socket) -> None:
        current = sock
        try:
            sock.settimeout(LIFETIME)
            if self._tls is not None:
                current = self._tls.wrap_socket(sock, server_side=True)
            self._handler(Connection(current, self))
        except OSError as exc:  # includes ssl.SSLError and socket timeouts
            with self._lock:
                self.socket_errors.append(exc)
        except BaseException as exc:
            with self._lock:
                self.failures.append(exc)
        finally:
            current.close()
            sock.close()
            with self._handled:
                self.handled += 1
                self._handled.notify_all()

    def wait_handled(self, count: int = 1) -> bool:
        """Wait (bounded) until `count` connections have been handled and closed."""
        with self._handled:
            return self._handled.wait_for(lambda: self.handled >= count, LIFETIME)

    def stop(self) -> None:
        self.stopping.set()
        self._wake_w.send(b"x")
        self._acceptor.join(LIFETIME)
        for thread in self._threads:
            thread.join(LIFETIME)
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()
        alive = [t.name for t in [self._acceptor, *self._threads] if t.is_alive()]
        assert not alive, f"server threads outlived the test: {alive}"
        if self.failures:
            raise self.failures[0]


StartRawServer = Callable[..., RawServer]
"""`raw_server(handler, tls=None, rcvbuf=None)`: a started RawServer."""


@pytest.fixture
def raw_server() -> Iterator[StartRawServer]:
    """A factory: `raw_server(handler, tls=None, rcvbuf=None)` starts a RawServer; all are
    stopped at teardown. Registered by tests/http/conftest.py."""
    servers: list[RawServer] = []

    def start(handler: Handler, **kwargs: Any) -> RawServer:
        server = RawServer(handler, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
