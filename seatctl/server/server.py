"""ReferenceServer: the listening socket, its connections, the queue, and their lifecycle."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

from seatctl.errors import UsageError
from seatctl.server.api import BookingApi
from seatctl.server.app import BookingApp
from seatctl.server.auth import TokenSigner
from seatctl.server.config import Fault, FaultKind, ServerConfig
from seatctl.server.demo import seed_demo
from seatctl.server.faults import FaultPlan
from seatctl.server.protocol import HTTPConnection, RequestLog
from seatctl.server.queue import JobQueue
from seatctl.server.ratelimit import FixedWindowLimiter
from seatctl.server.routing import Router
from seatctl.server.store import Store

SHUTDOWN_GRACE = 1.5  # seconds for in-flight requests and running jobs together; exit < 2 s
BACKLOG = 1024


class ReferenceServer:
    """Start with `await start()`, stop with `await stop()`; or use `serving()`."""

    def __init__(self, config: ServerConfig, *, log: RequestLog | None = None) -> None:
        self.config = config
        self._log = log
        self._stopping = asyncio.Event()
        self._connections: set[HTTPConnection] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self.store: Store | None = None
        self.queue: JobQueue | None = None
        self.port: int = config.port
        self.demo_seeded = False
        self._faults = FaultPlan(config.faults, config.fault_path, config.seed)

    @property
    def url(self) -> str:
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    async def start(self) -> str:
        config = self.config
        self.store = store = _open_store(config.db)
        secret = store.meta("token_secret")
        if secret is None:
            secret = TokenSigner.new_secret()
            store.set_meta("token_secret", secret)
        self.demo_seeded = seed_demo(store, config.demo_email, config.demo_password)
        self.queue = JobQueue(store, workers=config.workers, process_delay=config.process_delay,
                              extra_delay=config.slow_job, seed=config.seed)
        self.queue.start()
        api = BookingApi(store, TokenSigner(secret), self.queue, config)
        loop = asyncio.get_running_loop()
        limiter = (FixedWindowLimiter(config.rate_limit, loop.time, dialect=config.dialect)
                   if config.rate_limit else None)
        self._app = BookingApp(Router(api.routes()), limiter)
        try:
            self._server = await asyncio.start_server(
                self._on_connection, config.host, config.port, backlog=BACKLOG,
                reuse_address=True)
        except OSError as exc:
            await self.stop(grace=0)
            raise UsageError(f"cannot listen on {config.host}:{config.port}: {exc.strerror}",
                             hint="choose another --port, or --port 0 for a free one") from None
        self.port = int(self._server.sockets[0].getsockname()[1])
        if config.ready_file is not None:
            try:
                _write_atomically(config.ready_file, self.url + "\n")
            except OSError as exc:
                await self.stop(grace=0)
                raise UsageError(f"cannot write --ready-file {config.ready_file}: "
                                 f"{exc.strerror}") from None
        return self.url

    def arm_fault(self, kind: FaultKind, path: str = "/", *, seconds: float = 0.0) -> None:
        """The next request under `path` meets the fault `kind` (`seconds`: a stall's
        length), once; callable from any thread while the server runs (`seatctl demo` arms
        a reset on its booking POST this way)."""
        self._faults.arm(Fault(kind, 1.0, seconds), path)

    async def stop(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Stop accepting and taking jobs; let in-flight requests and running jobs finish,
        all within one `grace` period; then close."""
        self._stopping.set()
        if self._server is not None:
            self._server.close()
        running: list[asyncio.Task[Any]] = list(self._tasks)
        if self.queue is not None:
            running += self.queue.stop_taking_jobs()
            self.queue.release_waiters()
        for connection in list(self._connections):
            connection.close_if_idle()
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.queue is not None:
            await self.queue.stop(grace=0)
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.config.ready_file is not None:
            self.config.ready_file.unlink(missing_ok=True)

    async def _on_connection(self, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connection = HTTPConnection(
            reader, writer, self._app, timeouts=self.config.timeouts, faults=self._faults,
            log=self._log, max_body=self.config.max_body_bytes, stopping=self._stopping,
            server_header=self.config.server_header)
        self._connections.add(connection)
        self._tasks.add(task)
        try:
            await connection.serve()
        except asyncio.CancelledError:
            pass  # cut off at the end of a shutdown's grace period: nothing to report
        finally:
            self._connections.discard(connection)
            self._tasks.discard(task)


async def run_until_signalled(server: ReferenceServer,
                              on_ready: Callable[[ReferenceServer], None]) -> None:
    """Serve until SIGINT or SIGTERM, then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    try:
        on_ready(server)
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await server.stop()


@asynccontextmanager
async def serving(config: ServerConfig | None = None, *, log: RequestLog | None = None,
                  **overrides: Any) -> AsyncIterator[ReferenceServer]:
    """A running server on a free loopback port (unless told otherwise), stopped on exit.

        async with serving(process_delay=0) as server:
            httpx.get(server.url + "/health")
    """
    config = replace(config or ServerConfig(port=0), **overrides)
    server = ReferenceServer(config, log=log)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextmanager
def serving_in_thread(config: ServerConfig | None = None, *, log: RequestLog | None = None,
                      **overrides: Any) -> Iterator[ReferenceServer]:
    """A running server on its own event loop in a background thread, for synchronous
    callers (tests, `seatctl demo`); stopped gracefully on exit."""
    config = replace(config or ServerConfig(port=0), **overrides)
    server = ReferenceServer(config, log=log)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="seatctl-server", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=30)
        yield server
    finally:
        with suppress(Exception):
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def _open_store(db: str) -> Store:
    if db != ":memory:":
        Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        return Store(os.path.expanduser(db))
    except sqlite3.Error as exc:
        raise UsageError(f"cannot open the database {db}: {exc}",
                         hint="pass a writable --db PATH, or --db :memory:") from None


def _write_atomically(path: os.PathLike[str], text: str) -> None:
    temporary = f"{os.fspath(path)}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
