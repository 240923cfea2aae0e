"""HTTP/2 servers for the HTTP/2 probe's tests, on loopback.

Servers no one here wrote: hypercorn (in this process, on its own event loop in a thread)
and nginx (a subprocess, skipped with a reason where the binary is absent). Each listens on
a socket bound here, so its port is known before it starts and no request comes too early.

And a scripted server (`ScriptedH2`, on `h2`'s server side) for what real servers do not
show on loopback: PINGs that keep a connection alive, GOAWAY then RST_STREAM
REFUSED_STREAM, a reset, a late answer."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import h2.config
import h2.connection
import h2.errors
import h2.events
import pytest
import trustme
from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    HTTPResponseStartEvent,
    Scope,
)
from hyperframe.frame import GoAwayFrame

from tests.support.servers import loop_in_thread

LOOPBACK = "127.0.0.1"
WAIT_LIMIT = 10.0  # no start or stop waits longer
HEALTH_BODY = b'{"status":"success"}'
NGINX_HTTP2_ON = (1, 25, 1)  # `http2 on;` replaced `listen ... http2` in this version



async def health_app(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
                     ) -> None:
    """A small ASGI app: 200 and a JSON body at /health, 404 elsewhere."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    found = scope["path"] == "/health"
    start: HTTPResponseStartEvent = {"type": "http.response.start",
                                     "status": 200 if found else 404,
                                     "headers": [(b"content-type", b"application/json")]}
    await send(start)
    await send({"type": "http.response.body", "body": HEALTH_BODY if found else b"",
                "more_body": False})


def listening_socket() -> socket.socket:
    return socket.create_server((LOOPBACK, 0))


def write_certificate(ca: trustme.CA, directory: Path) -> Path:
    """A certificate for 127.0.0.1 and its key, in one PEM file."""
    path = directory / "server.pem"
    ca.issue_cert(LOOPBACK).private_key_and_cert_chain_pem.write_to_path(str(path))
    return path


@dataclass(frozen=True)
class HypercornSettings:
    keep_alive_timeout: float
    max_concurrent_streams: int = 100
    max_header_list_size: int = 65536
    alpn: Sequence[str] = ("h2", "http/1.1")


@contextmanager
def hypercorn_server(settings: HypercornSettings, certificate: Path | None) -> Iterator[str]:
    """hypercorn serving `health_app`: over TLS with `certificate`, else plain TCP (where it
    takes HTTP/2 with prior knowledge, h2c). Yields the base URL."""
    config = Config()
    config.keep_alive_timeout = settings.keep_alive_timeout
    config.h2_max_concurrent_streams = settings.max_concurrent_streams
    config.h2_max_header_list_size = settings.max_header_list_size
    config.alpn_protocols = list(settings.alpn)
    config.graceful_timeout = 1.0
    config.accesslog = None
    if certificate is not None:
        config.certfile = config.keyfile = str(certificate)
    listener = listening_socket()
    port = listener.getsockname()[1]
    config.bind = [f"fd://{os.dup(listener.fileno())}"]  # hypercorn owns the duplicate
    listener.close()
    stop = asyncio.Event()
    scheme = "https" if certificate is not None else "http"
    with loop_in_thread("hypercorn") as loop:
        serving = asyncio.run_coroutine_threadsafe(
            serve(health_app, config, shutdown_trigger=stop.wait), loop)
        try:
            yield f"{scheme}://{LOOPBACK}:{port}"
        finally:
            loop.call_soon_threadsafe(stop.set)
            serving.result(WAIT_LIMIT)


def nginx_binary() -> str:
    binary = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx): its HTTP/2 is not tested")
    return binary


def nginx_version(binary: str) -> tuple[int, ...]:
    output = subprocess.run([binary, "-v"], capture_output=True, text=True, check=True,
                            timeout=WAIT_LIMIT).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", output)
    assert found, output
    return tuple(int(part) for part in found.groups())


def nginx_config(directory: Path, port: int, certificate: Path, keepalive_timeout: str,
                 version: tuple[int, ...], extra: str = "") -> str:
    http2 = "http2 on;" if version >= NGINX_HTTP2_ON else ""
    listen = "ssl" if version >= NGINX_HTTP2_ON else "ssl http2"
    temp = " ".join(f"{name}_temp_path {directory / name};"
                    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""
worker_processes 1;
error_log {directory / "error.log"} notice;
pid {directory / "nginx.pid"};
events {{ worker_connections 64; }}
http {{
    access_log off;
    {temp}
    keepalive_timeout {keepalive_timeout};
    server {{
        listen {LOOPBACK}:{port} {listen};
        {http2}
        {extra}
        ssl_certificate {certificate};
        ssl_certificate_key {certificate};
        location = /health {{
            default_type application/json;
            return 200 '{HEALTH_BODY.decode()}';
        }}
    }}
}}
"""


@contextmanager
def nginx_server(directory: Path, ca: trustme.CA, keepalive_timeout: str, *,
                 extra: str = "") -> Iterator[str]:
    """nginx with HTTP/2 over TLS on a socket bound here and handed over (the NGINX
    environment variable, as in its binary upgrade); `extra`: directives for its server
    block. Yields the base URL once a TLS handshake has succeeded (nginx is serving)."""
    binary = nginx_binary()
    certificate = write_certificate(ca, directory)
    listener = listening_socket()
    port = listener.getsockname()[1]
    config = nginx_config(directory, port, certificate, keepalive_timeout,
                          nginx_version(binary), extra)
    (directory / "nginx.conf").write_text(config)
    process = subprocess.Popen(
        [binary, "-p", str(directory), "-c", "nginx.conf", "-g", "daemon off;"],
        env={**os.environ, "NGINX": f"{listener.fileno()};"}, pass_fds=(listener.fileno(),),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    listener.close()
    try:
        _handshake_once(port, ca, directory)
        yield f"https://{LOOPBACK}:{port}"
    finally:
        process.terminate()
        process.wait(timeout=WAIT_LIMIT)


def _handshake_once(port: int, ca: trustme.CA, directory: Path) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    try:
        with socket.create_connection((LOOPBACK, port), timeout=WAIT_LIMIT) as raw, \
                context.wrap_socket(raw, server_hostname=LOOPBACK):
            pass
    except OSError as exc:
        log = directory / "error.log"
        raise AssertionError(f"nginx did not start: {exc}\n"
                             f"{log.read_text() if log.exists() else ''}") from exc


class AfterGoaway(StrEnum):
    CLOSE = "close"  # FIN at once
    RESET = "reset"  # a TCP reset at once
    LINGER = "linger"  # open for `ScriptedH2.linger` seconds, then FIN


class LateStream(StrEnum):
    """What the scripted server does with a stream opened after its GOAWAY."""

    ANSWER = "answer"
    REFUSE = "refuse"  # RST_STREAM REFUSED_STREAM
    CANCEL = "cancel"  # RST_STREAM CANCEL
    IGNORE = "ignore"


@dataclass(frozen=True)
class ScriptedH2:
    """An HTTP/2 server that answers /health, then, idle for `idle_timeout` seconds after
    its last answer, sends a GOAWAY and does `after_goaway`."""

    idle_timeout: float = 0.3
    pings_reset_idle: bool = False
    refuse_first: bool = False  # RST_STREAM REFUSED_STREAM for every request before the GOAWAY
    goaway_first: bool = False  # the first request gets a GOAWAY (last stream 0), nothing else
    goaway_code: int = 0
    goaway_debug: bytes = b""
    # The GOAWAY's last stream id; None: the last one answered. 2**31 - 1 is a graceful
    # shutdown's first GOAWAY (RFC 9113 §6.8): streams still to come will be processed.
    goaway_last_stream: int | None = None
    after_goaway: AfterGoaway = AfterGoaway.CLOSE
    linger: float = 0.3
    late_stream: LateStream = LateStream.IGNORE

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        connection = h2.connection.H2Connection(config=config)
        connection.initiate_connection()
        writer.write(connection.data_to_send())
        state = _ScriptState(self, connection, asyncio.get_running_loop())
        while not state.done:
            try:
                async with asyncio.timeout(state.wait()):
                    data = await reader.read(65536)
            except TimeoutError:
                state.on_timer(writer)
                continue
            if not data:
                return
            state.on_events(connection.receive_data(data))
            writer.write(connection.data_to_send() + state.take_frames())
            await writer.drain()


class _ScriptState:
    def __init__(self, script: ScriptedH2, connection: h2.connection.H2Connection,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.script = script
        self.connection = connection
        self.loop = loop
        self.idle_until: float | None = None
        self.goaway_sent = False
        self.last_answered = 0
        self.done = False
        self.frames = bytearray()  # written by hand, after h2's

    @property
    def pings_count(self) -> bool:
        """A PING restarts the idle timer (once it runs, until the GOAWAY)."""
        return (self.script.pings_reset_idle and not self.goaway_sent
                and self.idle_until is not None)

    def wait(self) -> float:
        if self.idle_until is None:
            return WAIT_LIMIT
        return max(0.0, self.idle_until - self.loop.time())

    def on_events(self, events: Sequence[h2.events.Event]) -> None:
        for event in events:
            if isinstance(event, h2.events.RequestReceived) and event.stream_id is not None:
                self.on_request(event.stream_id)
            elif isinstance(event, h2.events.PingReceived) and self.pings_count:
                self.idle_until = self.loop.time() + self.script.idle_timeout

    def on_request(self, stream_id: int) -> None:
        script = self.script
        if self.goaway_sent:
            late = script.late_stream
            if late is LateStream.ANSWER:
                self.answer(stream_id)
            elif late is not LateStream.IGNORE:
                code = (h2.errors.ErrorCodes.REFUSED_STREAM if late is LateStream.REFUSE
                        else h2.errors.ErrorCodes.CANCEL)
                self.connection.reset_stream(stream_id, code)
            return
        if script.goaway_first:
            self.send_goaway(0)
            self.idle_until = self.loop.time() + script.linger
            return
        if script.refuse_first:
            self.connection.reset_stream(stream_id, h2.errors.ErrorCodes.REFUSED_STREAM)
        else:
            self.answer(stream_id)
        self.idle_until = self.loop.time() + script.idle_timeout

    def answer(self, stream_id: int) -> None:
        self.connection.send_headers(stream_id, [(":status", "200"),
                                                 ("content-type", "application/json")])
        self.connection.send_data(stream_id, HEALTH_BODY, end_stream=True)
        self.last_answered = stream_id

    def send_goaway(self, last_stream_id: int) -> None:
        # Written by hand: once h2 has sent a GOAWAY it refuses every frame that follows,
        # and the script must still answer (or refuse) the streams that come after it.
        frame = GoAwayFrame(0, last_stream_id=last_stream_id, error_code=self.script.goaway_code,
                            additional_data=self.script.goaway_debug)
        self.frames += frame.serialize()
        self.goaway_sent = True

    def take_frames(self) -> bytes:
        frames = bytes(self.frames)
        self.frames.clear()
        return frames

    def on_timer(self, writer: asyncio.StreamWriter) -> None:
        script = self.script
        if self.goaway_sent:  # the linger is over
            writer.close()
            self.done = True
            return
        last = script.goaway_last_stream
        self.send_goaway(self.last_answered if last is None else last)
        writer.write(self.take_frames())
        if script.after_goaway is AfterGoaway.CLOSE:
            writer.close()
            self.done = True
        elif script.after_goaway is AfterGoaway.RESET:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            self.done = True
        else:
            self.idle_until = self.loop.time() + script.linger
