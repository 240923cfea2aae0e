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
from seatctl.server.api import BookingApi, not_ready
from seatctl.server.app import BookingApp
from seatctl.server.auth import TokenSigner
from seatctl.server.config import Fault, FaultKind, ServerConfig, ShutdownMode
from seatctl.server.demo import seed_demo
from seatctl.server.faults import FaultPlan
from seatctl.server.messages import Handler, Request, Response
from seatctl.server.protocol import HTTPConnection, RequestLog
from seatctl.server.queue import JobQueue
from seatctl.server.ratelimit import FixedWindowLimiter
from seatctl.server.routing import Router
from seatctl.server.store import Store

# Seconds for in-flight requests and running jobs together; exit < 2 s unless the drain
# (ServerConfig.drain) is longer, when it is the limit instead.
SHUTDOWN_GRACE = 1.5
BACKLOG = 1024


class ReferenceServer:
    """Start with `await start()`, stop with `await stop()`; or use `serving()`."""

    def __init__(self, config: ServerConfig, *, log: RequestLog | None = None) -> None:
        self.config = config
        self._log = log
        self._stopping = asyncio.Event()
        # Each open connection and the task serving it.
        self._connections: dict[HTTPConnection, asyncio.Task[Any]] = {}
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
        app = BookingApp(Router(api.routes()), limiter)
        self._app: Handler = (_ReadinessGate(app, loop.time() + config.ready_delay, loop.time)
                              if config.ready_delay else app)
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
        """Stop accepting and taking jobs, then end the connections as `config.shutdown`
        says (graceful: drain; abrupt: reset); running jobs and in-flight requests get
        `grace` seconds (or the drain, if longer) in all; then close."""
        deadline = asyncio.get_running_loop().time() + max(grace, self._drain_seconds(grace))
        self._stopping.set()
        if self._server is not None:
            self._server.close()
        jobs: list[asyncio.Task[Any]] = []
        if self.queue is not None:
            jobs = self.queue.stop_taking_jobs()
            self.queue.release_waiters()
        if self.config.shutdown is ShutdownMode.ABRUPT:
            self._reset_all_connections()
        else:
            await self._drain(self._drain_seconds(grace), deadline)
        await _finish_within([*self._connections.values(), *jobs], deadline)
        if self.queue is not None:
            await self.queue.stop(grace=0)
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.config.ready_file is not None:
            self.config.ready_file.unlink(missing_ok=True)

    def _drain_seconds(self, grace: float) -> float:
        """No drain when the caller allows no grace (a failed start)."""
        return self.config.drain if grace > 0 else 0.0

    async def _drain(self, drain: float, deadline: float) -> None:
        """Idle keep-alive connections stay open for `drain` seconds (a request arriving on
        one is answered with `Connection: close`) and until the requests in flight are
        answered, then get a FIN; the drain ends early once no connection is left."""
        loop = asyncio.get_running_loop()
        if self._connections:
            await asyncio.wait(list(self._connections.values()), timeout=drain)
        busy = [task for connection, task in self._connections.items() if not connection.idle]
        if busy:
            await asyncio.wait(busy, timeout=max(0.0, deadline - loop.time()))
        for connection in list(self._connections):
            connection.close_if_idle()

    def _reset_all_connections(self) -> None:
        for connection, task in list(self._connections.items()):
            connection.reset()
            task.cancel()

    async def _on_connection(self, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connection = HTTPConnection(
            reader, writer, self._app, timeouts=self.config.timeouts, faults=self._faults,
            log=self._log, max_body=self.config.max_body_bytes, stopping=self._stopping,
            server_header=self.config.server_header)
        self._connections[connection] = task
        try:
            await connection.serve()
        except asyncio.CancelledError:
            pass  # cut off at the end of a shutdown's grace period: nothing to report
        finally:
            self._connections.pop(connection, None)


class _ReadinessGate:
    """`--ready-delay`: listening, but every request is answered 503 until `ready_at`, as an
    instance that takes traffic before it is ready."""

    def __init__(self, app: Handler, ready_at: float, clock: Callable[[], float]) -> None:
        self._app = app
        self._ready_at = ready_at
        self._clock = clock

    async def __call__(self, request: Request) -> Response:
        seconds_left = self._ready_at - self._clock()
        if seconds_left > 0:
            return not_ready(seconds_left)
        return await self._app(request)


async def _finish_within(tasks: list[asyncio.Task[Any]], deadline: float) -> None:
    """Wait for `tasks` until `deadline` (the loop's clock), then cancel what still runs."""
    if not tasks:
        return
    timeout = max(0.0, deadline - asyncio.get_running_loop().time())
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def run_until_signalled(server: ReferenceServer,
                              on_ready: Callable[[ReferenceServer], None]) -> None:
    """Serve until SIGINT or SIGTERM, then shut down as `config.shutdown` says."""
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


def serve_until_stopped(server: ReferenceServer,
                        on_ready: Callable[[ReferenceServer], None]) -> None:
    """`run_until_signalled` on an event loop of its own: the `seatctl serve` entry point."""
    asyncio.run(run_until_signalled(server, on_ready))


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
