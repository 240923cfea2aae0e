"""Reference-server benchmark: keep-alive status GETs against a bare h11 server, and bookings.

In one run, each server in its own subprocess on 127.0.0.1 (so client and server do not
share a GIL), the script measures:

1. requests/s and p50/p99 latency of keep-alive `GET /api/seats/booking-status/:jobId`
   (bearer token, a confirmed job) over `--connections` connections, against
   `seatctl serve --process-delay 0 --workers 1`;
2. the same load against a bare asyncio + h11 server (this script, `--bare-server`) that
   answers a small fixed JSON body: the baseline, and the ratio reference/bare;
3. confirmed bookings/s: 20 clients booking distinct seats (one seat per job) with
   `POST /api/seats/book`, each then long-polling the status (`?wait=5`) until the job is
   final, against `seatctl serve --process-delay 0 --workers 2`; until `--duration` or
   the demo events' seats run out.

The load generator is `wrk` when installed (`--loader auto`), else a bounded asyncio client
(raw streams + h11) running in this process. Every loop stops by itself; every server the
script starts, it stops. Run from the repository root with the project's interpreter:

    python bench/server.py [--duration S] [--connections N] [--json] [--no-check]

Exits 1 when a figure misses its target, unless --no-check.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

import h11

HOST = "127.0.0.1"
DEMO_EMAIL, DEMO_PASSWORD = "demo@example.com", "demo12345"
TARGET_RPS = 3000.0
TARGET_P99_MS = 50.0
TARGET_RATIO = 0.5
TARGET_BOOKINGS = 300.0
BOOKING_CLIENTS = 20
LONG_POLL = 5  # seconds, the status `?wait=` of the booking clients
MAX_POLLS = 6  # long polls per booking before it counts as not confirmed
REQUEST_TIMEOUT = 10.0  # one request of the asyncio client
START_TIMEOUT = 30.0  # a server's ready file
STOP_TIMEOUT = 5.0  # SIGTERM to exit, then SIGKILL
MAX_REQUESTS = 5_000_000  # per load run of the asyncio client, whatever the duration
OTHER_LOAD_WARNING = 0.2  # cores used by other processes during a run, worth a note
MAX_RECONNECTS = 1000  # per load run of the asyncio client
READ_SIZE = 65536
BARE_BODY = b'{"status":"success","data":{"message":"hello"}}'
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- an HTTP/1.1 client connection on asyncio streams + h11 ------------------------------


class ClientConnection:
    """One keep-alive connection; requests one at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 authority: str) -> None:
        self._reader = reader
        self._writer = writer
        self._h11 = h11.Connection(h11.CLIENT)
        self.authority = authority
        self.reusable = True

    @classmethod
    async def open(cls, port: int) -> ClientConnection:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer, f"{HOST}:{port}")

    async def send(self, request: h11.Request, body: bytes = b"") -> tuple[int, bytes]:
        """Send a prepared request; returns (status, body). Raises ConnectionError,
        OSError, h11.ProtocolError or TimeoutError (after REQUEST_TIMEOUT)."""
        conn = self._h11
        data = conn.send(request)
        if body:
            data += conn.send(h11.Data(data=body))
        data += conn.send(h11.EndOfMessage())
        async with asyncio.timeout(REQUEST_TIMEOUT):
            self._writer.write(data)
            await self._writer.drain()
            status = 0
            chunks: list[bytes] = []
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await self._reader.read(READ_SIZE))
                elif isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.Data):
                    chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:  # ConnectionClosed, PAUSED
                    raise ConnectionError(f"connection ended mid-response ({event!r})")
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        else:
            self.reusable = False
        return status, b"".join(chunks)

    def prepare(self, method: str, target: str, headers: Sequence[tuple[str, str]] = (),
                body: bytes = b"") -> h11.Request:
        all_headers = [("Host", self.authority), *headers]
        if method != "GET" or body:
            all_headers.append(("Content-Length", str(len(body))))
        return h11.Request(method=method, target=target, headers=all_headers)

    async def call(self, method: str, target: str, *, token: str | None = None,
                   document: Any = None) -> tuple[int, Any]:
        """A JSON API call; returns (status, decoded body or None)."""
        headers = [("Authorization", f"Bearer {token}")] if token else []
        body = b""
        if document is not None:
            body = json.dumps(document).encode()
            headers.append(("Content-Type", "application/json"))
        status, raw = await self.send(self.prepare(method, target, headers, body), body)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()


# --- servers in subprocesses -------------------------------------------------------------


@dataclass
class ServerProcess:
    name: str
    proc: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path
    exit_code: int | None = None
    stop_seconds: float | None = None

    def cpu_seconds(self) -> float:
        """user + system CPU seconds of the server process so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def server_process(name: str, args: Sequence[str], workdir: Path) -> Iterator[ServerProcess]:
    """Start `args` (which must write its URL to workdir/NAME.url), yield it, then SIGTERM
    it (SIGKILL after STOP_TIMEOUT) and record how it ended."""
    ready = workdir / f"{name}.url"
    log = workdir / f"{name}.log"
    with open(log, "wb") as log_file:
        proc = subprocess.Popen([*args, "--ready-file", str(ready)], stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=subprocess.STDOUT)
    server: ServerProcess | None = None
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} server did not start (exit {proc.poll()}):\n{tail}")
            time.sleep(0.02)
        url = ready.read_text().strip()
        server = ServerProcess(name, proc, url, int(url.rsplit(":", 1)[1]), log)
        yield server
    finally:
        started = time.monotonic()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        if server is not None:
            server.exit_code = code
            server.stop_seconds = time.monotonic() - started


def _machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent running processes since boot: user, nice and system time
    from Linux /proc/stat (nan elsewhere). Interrupt time is left out: loopback traffic's
    softirq work belongs to no process, and is not "other load"."""
    try:
        ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:4]]
    except (OSError, ValueError):
        return float("nan")
    return sum(ticks) / CLOCK_TICKS


def _own_cpu_seconds() -> float:
    """CPU seconds of this process and of its waited-for children (wrk)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


@dataclass
class CpuShare:
    """CPU used during a measurement, in cores (1.0 = one core busy all the time)."""

    server: float = float("nan")
    client: float = float("nan")  # this script, and wrk
    other: float = float("nan")  # everything else on the machine
    server_seconds: float = float("nan")  # the server's CPU seconds in all


class CpuMeter:
    def __init__(self, server: ServerProcess) -> None:
        self._server = server
        self._start = (time.perf_counter(), server.cpu_seconds(), _own_cpu_seconds(),
                       _machine_busy_seconds())

    def stop(self) -> CpuShare:
        wall0, server0, own0, busy0 = self._start
        wall = time.perf_counter() - wall0
        server = (self._server.cpu_seconds() - server0) / wall
        client = (_own_cpu_seconds() - own0) / wall
        busy = (_machine_busy_seconds() - busy0) / wall
        return CpuShare(server, client, max(0.0, busy - server - client), server * wall)


def reference_args(workers: int) -> list[str]:
    return [sys.executable, "-m", "seatctl", "serve", "--host", HOST, "--port", "0",
            "--quiet", "--db", ":memory:", "--process-delay", "0", "--workers", str(workers)]


def bare_args() -> list[str]:
    return [sys.executable, os.path.abspath(__file__), "--bare-server"]


# --- the bare h11 server (baseline) ------------------------------------------------------


async def _bare_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    conn = h11.Connection(h11.SERVER)
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(READ_SIZE))
            elif isinstance(event, h11.Request | h11.Data):
                continue
            elif isinstance(event, h11.EndOfMessage):
                headers = [("Date", formatdate(usegmt=True)), ("Server", "bare-h11"),
                           ("Content-Type", "application/json; charset=utf-8"),
                           ("Content-Length", str(len(BARE_BODY))),
                           ("Connection", "keep-alive")]
                data = conn.send(h11.Response(status_code=200, headers=headers, reason="OK"))
                data += conn.send(h11.Data(data=BARE_BODY))
                data += conn.send(h11.EndOfMessage())
                writer.write(data)
                await writer.drain()
                conn.start_next_cycle()  # raises when either side must close
            else:  # ConnectionClosed, PAUSED
                break
    except (h11.ProtocolError, ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def run_bare_server(ready_file: Path) -> None:
    """Serve until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = await asyncio.start_server(_bare_connection, HOST, 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    temporary = ready_file.with_suffix(".tmp")
    temporary.write_text(f"http://{HOST}:{port}\n")
    os.replace(temporary, ready_file)
    async with server:
        await stop.wait()


# --- keep-alive GET load -----------------------------------------------------------------


@dataclass
class LoadResult:
    target: str  # "reference" or "bare"
    loader: str  # "wrk" or "asyncio+h11"
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    cpu: CpuShare
    server_us: float  # server CPU microseconds per response (less noisy than req/s)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence (nan when empty)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(fraction * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def asyncio_load(port: int, target: str, headers: Sequence[tuple[str, str]],
                       connections: int, warmup: float, duration: float
                       ) -> tuple[int, list[float], int, int, int]:
    """Lock-step keep-alive GETs on `connections` connections for warmup + duration
    seconds; counts what completes within the measured window. Returns (requests,
    ascending latencies in seconds, non-2xx, socket errors, responses in all)."""
    conns = list(await asyncio.gather(*(ClientConnection.open(port)
                                        for _ in range(connections))))
    request = conns[0].prepare("GET", target, headers)
    clock = time.perf_counter
    begin = clock() + warmup
    end = begin + duration
    latencies: list[float] = []
    counts = {"sent": 0, "received": 0, "non_2xx": 0, "errors": 0}

    async def worker(index: int) -> None:
        conn = conns[index]
        while counts["sent"] < MAX_REQUESTS:
            started = clock()
            if started >= end:
                return
            counts["sent"] += 1
            try:
                status, _ = await conn.send(request)
            except (ConnectionError, OSError, TimeoutError, h11.ProtocolError):
                counts["errors"] += 1
                await conn.close()
                if counts["errors"] > MAX_RECONNECTS or clock() >= end:
                    return
                conn = conns[index] = await ClientConnection.open(port)
                continue
            done = clock()
            counts["received"] += 1
            if status >= 300:
                counts["non_2xx"] += 1
            if begin <= started and done <= end:
                latencies.append(done - started)
            if not conn.reusable:
                await conn.close()
                conn = conns[index] = await ClientConnection.open(port)

    try:
        async with asyncio.timeout(warmup + duration + REQUEST_TIMEOUT + 5):
            await asyncio.gather(*(worker(i) for i in range(connections)))
    finally:
        await asyncio.gather(*(conn.close() for conn in conns))
    latencies.sort()
    return len(latencies), latencies, counts["non_2xx"], counts["errors"], counts["received"]


def run_asyncio_load(server: ServerProcess, target: str, headers: Sequence[tuple[str, str]],
                     connections: int, duration: float) -> LoadResult:
    warmup = min(1.0, duration / 5)
    meter = CpuMeter(server)
    requests, latencies, non_2xx, errors, received = asyncio.run(
        asyncio_load(server.port, target, headers, connections, warmup, duration))
    cpu = meter.stop()
    return LoadResult(
        server.name, "asyncio+h11", connections, duration, requests, requests / duration,
        percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000,
        (latencies[-1] if latencies else float("nan")) * 1000, non_2xx, errors, cpu,
        cpu.server_seconds / max(1, received) * 1e6)


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _wrk_ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match[1]) * _WRK_UNITS[match[2]]


def run_wrk_load(wrk: str, server: ServerProcess, target: str,
                 headers: Sequence[tuple[str, str]], connections: int, duration: float
                 ) -> LoadResult:
    """wrk, one thread (the machine's other core is the server's): a 1 s warm-up run, then
    the measured run of `duration` seconds rounded to whole seconds."""
    seconds = max(1, round(duration))
    base = [wrk, "-t1", f"-c{connections}", "--timeout", f"{REQUEST_TIMEOUT:g}s"]
    for name, value in headers:
        base += ["-H", f"{name}: {value}"]
    url = server.url + target
    subprocess.run([*base, "-d1s", url], check=True, capture_output=True, timeout=30)
    meter = CpuMeter(server)
    out = subprocess.run([*base, f"-d{seconds}s", "--latency", url], check=True,
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    cpu = meter.stop()

    def grab(pattern: str) -> re.Match[str]:
        match = re.search(pattern, out, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"cannot read {pattern!r} in wrk's output:\n{out}")
        return match

    requests = int(grab(r"^\s*(\d+) requests in")[1])
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return LoadResult(
        server.name, "wrk", connections, float(seconds), requests,
        float(grab(r"^Requests/sec:\s*([0-9.]+)")[1]),
        _wrk_ms(grab(r"^\s*50%\s+(\S+)")[1]), _wrk_ms(grab(r"^\s*99%\s+(\S+)")[1]),
        _wrk_ms(grab(r"^\s*Latency\s+\S+\s+\S+\s+(\S+)")[1]),
        int(non_2xx[1]) if non_2xx else 0,
        sum(int(n) for n in errors.groups()) if errors else 0, cpu,
        cpu.server_seconds / max(1, requests) * 1e6)


def run_load(loader: str, server: ServerProcess, target: str,
             headers: Sequence[tuple[str, str]], connections: int, duration: float
             ) -> LoadResult:
    if loader == "asyncio+h11":
        return run_asyncio_load(server, target, headers, connections, duration)
    return run_wrk_load(loader, server, target, headers, connections, duration)


# --- the reference server's API ----------------------------------------------------------


async def login(conn: ClientConnection) -> str:
    status, body = await conn.call("POST", "/api/auth/login",
                                   document={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"login failed: HTTP {status} {body!r}")
    return str(body["data"]["token"])


async def free_seats(conn: ClientConnection) -> list[tuple[str, str]]:
    """(event id, seat id) of every seat that is neither blocked nor booked, over all the
    events with a seat map."""
    status, body = await conn.call("GET", "/api/events?limit=100")
    if status != 200:
        raise RuntimeError(f"GET /api/events: HTTP {status}")
    seats: list[tuple[str, str]] = []
    for event in body["data"]["events"]:
        if not event.get("seatLevelBooking"):
            continue
        status, seat_map = await conn.call("GET", f"/api/seats/event/{event['id']}")
        if status != 200:
            raise RuntimeError(f"GET /api/seats/event/{event['id']}: HTTP {status}")
        seats += [(event["id"], seat["id"])
                  for section in seat_map["data"]["sections"] for seat in section["seats"]
                  if not seat["isBlocked"] and not seat["isBooked"]]
    return seats


async def book(conn: ClientConnection, token: str, event_id: str, seat_id: str, key: str
               ) -> tuple[str, str]:
    """Queue a one-seat booking and long-poll it; returns (job id, final state or a note)."""
    status, body = await conn.call(
        "POST", "/api/seats/book", token=token,
        document={"eventId": event_id, "seatIds": [seat_id], "idempotencyKey": key})
    if status not in (200, 202) or not isinstance(body, dict):
        return "", f"book: HTTP {status}"
    job_id = str(body["data"]["jobId"])
    for _ in range(MAX_POLLS):
        status, body = await conn.call(
            "GET", f"/api/seats/booking-status/{job_id}?wait={LONG_POLL}", token=token)
        if status != 200 or not isinstance(body, dict):
            return job_id, f"status: HTTP {status}"
        data = body["data"]
        state = data.get("state") or ("confirmed" if data.get("success") else
                                      "pending" if "processing" in data.get("message", "")
                                      else "failed")
        if state in ("confirmed", "failed"):
            return job_id, state if state == "confirmed" else f"failed: {data.get('message')}"
    return job_id, "still pending after long polls"


async def status_job(port: int) -> tuple[str, str]:
    """Log in and book one seat; returns (token, the confirmed job's id)."""
    conn = await ClientConnection.open(port)
    try:
        token = await login(conn)
        seats = await free_seats(conn)
        job_id, state = await book(conn, token, *seats[0], key="bench-status-job")
    finally:
        await conn.close()
    if state != "confirmed":
        raise RuntimeError(f"the status job did not confirm: {state}")
    return token, job_id


# --- booking throughput ------------------------------------------------------------------


@dataclass
class BookingResult:
    workers: int
    clients: int
    seats_offered: int
    seconds: float  # measured window: until --duration or until the seats ran out
    confirmed: int  # within the window
    rate: float
    p50_ms: float  # POST to confirmed
    p99_ms: float
    attempted: int
    not_confirmed: int  # failed, errors included
    errors: int  # of the not confirmed: socket errors, non-2xx
    confirmed_total: int  # including those confirmed after the window
    booked_after: int  # seats the seat maps show booked after the run
    samples: list[str] = field(default_factory=list)  # a few of the failures
    cpu: CpuShare = field(default_factory=CpuShare)


async def booking_load(port: int, workers: int, duration: float) -> BookingResult:
    setup = await ClientConnection.open(port)
    try:
        token = await login(setup)
        seats = deque(await free_seats(setup))
    finally:
        await setup.close()
    offered = len(seats)
    clock = time.perf_counter
    done_at: list[float] = []
    latencies: list[float] = []
    counts = {"attempted": 0, "not_confirmed": 0, "errors": 0}
    samples: list[str] = []
    start = clock()
    deadline = start + duration
    finished: list[float] = []

    async def client(number: int) -> None:
        conn = await ClientConnection.open(port)
        try:
            while seats and clock() < deadline:
                event_id, seat_id = seats.popleft()
                counts["attempted"] += 1
                started = clock()
                failed = False
                try:
                    _, outcome = await book(conn, token, event_id, seat_id,
                                            key=f"bench-{number}-{seat_id}-{event_id}")
                except (ConnectionError, OSError, TimeoutError, h11.ProtocolError) as exc:
                    failed = True
                    outcome = f"{type(exc).__name__}: {exc}"
                    await conn.close()
                    conn = await ClientConnection.open(port)
                now = clock()
                if outcome == "confirmed":
                    done_at.append(now)
                    latencies.append(now - started)
                else:
                    counts["not_confirmed"] += 1
                    if failed or outcome.startswith(("book: HTTP", "status: HTTP")):
                        counts["errors"] += 1
                    if len(samples) < 5:
                        samples.append(outcome)
                if not conn.reusable:
                    await conn.close()
                    conn = await ClientConnection.open(port)
        finally:
            finished.append(clock())
            await conn.close()

    async with asyncio.timeout(duration + MAX_POLLS * LONG_POLL + 10):
        await asyncio.gather(*(client(n) for n in range(BOOKING_CLIENTS)))
    end = min(deadline, max(finished))
    confirmed = sum(1 for moment in done_at if moment <= end)
    latencies.sort()
    check = await ClientConnection.open(port)
    try:
        booked_after = offered - len(await free_seats(check))
    finally:
        await check.close()
    return BookingResult(
        workers, BOOKING_CLIENTS, offered, end - start, confirmed, confirmed / (end - start),
        percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000,
        counts["attempted"], counts["not_confirmed"], counts["errors"], len(done_at),
        booked_after, samples)


def run_booking(server: ServerProcess, workers: int, duration: float) -> BookingResult:
    meter = CpuMeter(server)
    result = asyncio.run(booking_load(server.port, workers, duration))
    result.cpu = meter.stop()
    return result


# --- the run and its report --------------------------------------------------------------


@dataclass
class Check:
    figure: str
    value: float
    target: str  # ">= 3000", "<= 50"
    digits: int = 0

    @property
    def passed(self) -> bool:
        sign, number = self.target.split()
        return bool(self.value >= float(number) if sign == ">=" else self.value <= float(number))


@dataclass
class Run:
    loader: str
    connections: int
    duration: float
    reference: LoadResult
    bare: LoadResult
    booking: BookingResult
    servers: list[dict[str, Any]]

    @property
    def ratio(self) -> float:
        return self.reference.rps / self.bare.rps if self.bare.rps else float("nan")

    def checks(self) -> list[Check]:
        errors = (self.reference.non_2xx + self.reference.socket_errors + self.bare.non_2xx
                  + self.bare.socket_errors + self.booking.not_confirmed)
        return [
            Check("status GETs, requests/s", self.reference.rps, f">= {TARGET_RPS:g}"),
            Check("status GETs, p99 ms", self.reference.p99_ms, f"<= {TARGET_P99_MS:g}", 1),
            Check("ratio reference/bare h11, req/s", self.ratio, f">= {TARGET_RATIO:g}", 2),
            Check("confirmed bookings/s", self.booking.rate, f">= {TARGET_BOOKINGS:g}"),
            Check("errors, unconfirmed bookings", errors, "<= 0"),
        ]


def measure(loader: str, connections: int, duration: float, booking_workers: int) -> Run:
    servers: list[ServerProcess] = []
    with tempfile.TemporaryDirectory(prefix="seatctl-bench-") as tmp:
        workdir = Path(tmp)
        with server_process("reference", reference_args(1), workdir) as reference:
            servers.append(reference)
            token, job_id = asyncio.run(status_job(reference.port))
            reference_load = run_load(loader, reference, f"/api/seats/booking-status/{job_id}",
                                      [("Authorization", f"Bearer {token}")], connections,
                                      duration)
        with server_process("bare", bare_args(), workdir) as bare:
            servers.append(bare)
            bare_load = run_load(loader, bare, "/", [], connections, duration)
        with server_process("booking", reference_args(booking_workers), workdir) as booking:
            servers.append(booking)
            booking_result = run_booking(booking, booking_workers, duration)
        endings = [{"server": s.name, "exit_code": s.exit_code,
                    "stop_seconds": round(s.stop_seconds or 0.0, 3),
                    "tracebacks": s.log_text().count("Traceback")} for s in servers]
    return Run(loader.rsplit("/", 1)[-1], connections, duration, reference_load, bare_load,
               booking_result, endings)


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Aligned columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))))


def _json_safe(value: Any) -> Any:
    """NaN (a figure that could not be measured) as null, so the output is strict JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def report(run: Run, as_json: bool) -> bool:
    checks = run.checks()
    passed = all(check.passed for check in checks)
    if as_json:
        print(json.dumps(_json_safe({
            "python": sys.version.split()[0], "cpus": os.cpu_count(), "loader": run.loader,
            "connections": run.connections, "duration": run.duration,
            "reference": asdict(run.reference), "bare": asdict(run.bare),
            "ratio": run.ratio, "booking": asdict(run.booking), "servers": run.servers,
            "checks": [{"figure": c.figure, "value": c.value, "target": c.target,
                        "passed": c.passed} for c in checks],
            "passed": passed,
        }), indent=2))
        return passed
    ref, bare, booking = run.reference, run.bare, run.booking
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, loader {run.loader}, "
          f"{run.connections} connections, {ref.seconds:g} s per load")
    header = ("keep-alive GETs", "req/s", "p50 ms", "p99 ms", "max ms", "errors",
              "server us/req", "CPU: server", "client", "other")
    rows = [(name, f"{r.rps:.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}", f"{r.max_ms:.1f}",
             str(r.non_2xx + r.socket_errors), f"{r.server_us:.0f}", f"{r.cpu.server:.0%}",
             f"{r.cpu.client:.0%}", f"{r.cpu.other:.0%}")
            for name, r in (("reference server", ref), ("bare h11 server", bare))]
    print_table([header, *rows])
    print(f"bookings: {booking.clients} clients, {booking.workers} workers, "
          f"{booking.confirmed} confirmed in {booking.seconds:.2f} s of {booking.seats_offered} "
          f"seats offered ({booking.attempted} attempted, {booking.not_confirmed} not "
          f"confirmed); POST to confirmed p50 {booking.p50_ms:.1f} ms, "
          f"p99 {booking.p99_ms:.1f} ms; CPU: server {booking.cpu.server:.0%}, client "
          f"{booking.cpu.client:.0%}, other {booking.cpu.other:.0%}")
    busiest = max(ref.cpu.other, bare.cpu.other, booking.cpu.other)
    if busiest > OTHER_LOAD_WARNING:
        print(f"  note: other processes used up to {busiest:.0%} of a core during a run: "
              "the machine was not quiet, figures may be low")
    if booking.booked_after != booking.confirmed_total:
        print(f"  note: the seat maps show {booking.booked_after} seats booked afterwards, "
              f"for {booking.confirmed_total} bookings confirmed")
    for sample in booking.samples:
        print(f"  not confirmed: {sample}")
    for ending in run.servers:
        if ending["exit_code"] != 0 or ending["tracebacks"] or ending["stop_seconds"] > 2:
            print(f"  note: {ending['server']} server exited {ending['exit_code']} in "
                  f"{ending['stop_seconds']} s, {ending['tracebacks']} tracebacks in its log")
    print()
    print_table([("figure", "value", "target", "result"),
                 *((c.figure, f"{c.value:.{c.digits}f}", c.target,
                    "PASS" if c.passed else "FAIL") for c in checks)])
    print(f"\n{'PASS' if passed else 'FAIL'}: "
          f"{'every figure meets its target' if passed else 'a figure misses its target'}")
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds of each load run (5)")
    parser.add_argument("--connections", type=int, default=50,
                        help="keep-alive connections of the GET load (50)")
    parser.add_argument("--loader", choices=("auto", "wrk", "asyncio"), default="auto",
                        help="load generator for the GETs: wrk if installed (auto), or the "
                             "bounded asyncio + h11 client")
    parser.add_argument("--booking-workers", type=int, default=2,
                        help="queue workers of the booking server (2)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-check", action="store_true", help="exit 0 even on FAIL")
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_server:
        if args.ready_file is None:
            parser.error("--bare-server needs --ready-file")
        asyncio.run(run_bare_server(args.ready_file))
        return 0
    if not 0.5 <= args.duration <= 600:
        parser.error("--duration must be within 0.5..600 seconds")
    if not 1 <= args.connections <= 1000:
        parser.error("--connections must be within 1..1000")
    if args.booking_workers < 1:
        parser.error("--booking-workers must be at least 1")
    wrk = shutil.which("wrk")
    if args.loader == "wrk" and wrk is None:
        parser.error("--loader wrk: wrk is not installed")
    loader = wrk if wrk is not None and args.loader != "asyncio" else "asyncio+h11"
    run = measure(loader, args.connections, args.duration, args.booking_workers)
    passed = report(run, args.json)
    return 0 if passed or args.no_check else 1


if __name__ == "__main__":
    sys.exit(main())
