"""How soon seatctl notices a booking's outcome, and what the whole booking costs in requests,
beside the seed frontend's schedule and an oracle: in the seed backend's dialect under three
rate-limit budgets, and (the earlier comparison, folded in) in the reference dialect.

Run: python bench/watch.py [--bookings N] [--lengths 0.2,1,5,30] [--budgets a,b,c]
                           [--reference-lengths 0.3,1,3] [--quick] [--json] [--no-check]

Cells. A cell is a dialect, a budget and a job length L. Each cell gets its own server,
`seatctl serve --dialect D --process-delay L [--rate-limit R] --db FILE --log-json --port 0`
on 127.0.0.1 (a subprocess; each job takes L s +-10 %), and N bookings per way, all ways and
bookings of the cell at once (threads in this process, started 50 ms apart), each booking
from a loopback address of its own (127.1.x.y, `httpx.HTTPTransport(local_address=...)`):
the limiter is per client IP, so every booking has a window of its own and the server's log
tells the bookings apart. Seed dialect: budgets (a), (b), (c) at each of --lengths. Reference
dialect: (a) only, at --reference-lengths. N is 10 by default: against jobs of L +-10 % the
seed's delay at 30 s is spread evenly over 0-2 s, and the p50 of 5 is too loose for a 1.5x
comparison; a cell's bookings run at once, so N costs little time (the default run takes
about 3.5 minutes on 2 cores; --quick, 2 bookings at 0.2 and 1 s, about 20 s).

Ways:

* seatctl: the real `seatctl book "EVENT NAME" --seat SECTION:A12 --json` (`book` has no
  --yes), run in-process through the CLI's click command with an `App` whose env holds only
  SEATCTL_BASE_URL, SEATCTL_TOKEN and HOME/XDG_* in a temp folder of the booking's own (its
  journal, user cache and kept budget are the bench's) and whose `transport` is seatctl's
  own (same pool limits, deadline backend) bound to the booking's address. Warm: an earlier
  `seatctl events`, from another address (127.2.x.y) so that it costs nothing in the
  booking's window, filled the user cache: the event name resolves without a request, and
  the booking costs what `book` asks for beyond that (today the seat map, fresh, and the
  POST) and the watch. The budget that `events` kept is the other address's; the booking's
  first answer replaces it, before any poll is planned.
* seatctl cold: the same command in an empty HOME (no cache): its requests are reported.
* seatctl plain (reference dialect only): warm, with `--no-long-poll`.
* seed: what the seed frontend does: GET /api/events/:id, GET /api/seats/event/:id, the
  POST, then a status poll right after the POST's answer and every 2 s after it (a fixed
  schedule), at most 30; a poll that is refused (429) counts and the schedule goes on.
* oracle: the POST, then one status poll as soon as the job is final (the script watches
  the server's SQLite database for it, which costs no request). Its notice delay is 0 by
  construction (measured, a few ms of looking, it is in --json only) and its request
  count, 2, is the floor.

Notice delay: from the job's completion on the server to the moment the client holds the
final status. The seed dialect's answers carry no `updatedAt`, so the completion is read
from the server's database after the cell (`jobs.updated_at`, written when the worker
records the result, in milliseconds). The client's moment: for seatctl, its journal entry's
`updated_at` (milliseconds), which `book` writes when the poll that turned the booking
confirmed has been read, and which nothing writes after that; this is exact, whereas the
--json `elapsed_s` runs from the start of the watch, an instant the bench does not see. For
the seed and the oracle, the script's own clock when the final answer has been parsed. All
are the same machine's wall clock. The job's duration is its `updated_at` less `created_at`.

Requests per booking: every HTTP request the booking sent, counted at the server: the lines
of its `--log-json` request log from the booking's address (refused ones included), by kind
(event lookups, seat map, POST, status polls). Budget (b)'s spending is left out.

Budgets (per client address): (a) no limit; (b) 100/15 min of which 50 are spent just before
the bookings (`GET /api/health` from the booking's address; the last answer must announce 50
left); (c) 20/15 min, a fresh window. "Allowed" is the booking's share of it: remaining at
its start less the reserve, `PollPlan().reserve(limit)` (10 of 100, 2 of 20).

Targets (seatctl means the warm booking):

* (b) and (c), every length: each booking confirmed, noticed within max(2 s, 0.5x its job's
  duration), and its whole booking within the allowed requests.
* (a), seed dialect: pooled over the lengths, seatctl's p50 notice delay <= 0.5x the seed's;
  at every length its p50 <= 1.5x the seed's, and its requests (mean) <= 2x the seed's.
* (a), reference dialect (the earlier comparison, status polls only): long polling p50 <= 50
  ms with no more polls than the seed's schedule; plain polling p50 <= 0.35x the seed's with
  at most 2.5x its polls, pooled over the lengths.

Every ratio is against the seed measured in the same run. Exits 1 when a target is missed,
unless --no-check. Every server is stopped at the end of its cell, also on error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import typer

from seatctl.booking.journal import Journal
from seatctl.booking.poll import NOTICE_FLOOR, NOTICE_SHARE, PollPlan
from seatctl.cli.app import app as seatctl_app
from seatctl.cli.app import load_command
from seatctl.cli.context import App
from seatctl.cli.typer_seam import Command
from seatctl.http import CoreTransport, core_transport
from seatctl.render.streams import IOStreams

SEATCTL, COLD, PLAIN, SEED, ORACLE = "seatctl", "seatctl cold", "seatctl plain", "seed", "oracle"
SEED_WAYS = (SEATCTL, COLD, SEED, ORACLE)
REFERENCE_WAYS = (SEATCTL, PLAIN, SEED, ORACLE)
SEED_INTERVAL = 2.0
SEED_ATTEMPTS = 30
STAGGER = 0.05  # seconds between the starts of a cell's bookings
ORACLE_TICK = 0.005  # seconds between the oracle's looks at the server's database
SLACK = 150.0  # seconds a cell may run beyond 1.2x its job length
SETUP_IP = "127.0.0.1"
DEMO = {"email": "demo@example.com", "password": "demo12345"}
PENDING_JOB_STATES = ("queued", "processing")
# targets
SEED_POOLED_P50_RATIO = 0.5
SEED_LENGTH_P50_RATIO = 1.5
SEED_REQUEST_RATIO = 2.0
LONG_POLL_P50_S = 0.050
PLAIN_P50_RATIO = 0.35
PLAIN_POLL_RATIO = 2.5


@dataclass(frozen=True)
class BudgetCase:
    key: str
    title: str
    rate_limit: str | None  # --rate-limit of the server
    limit: int | None
    spend: int  # spent by each booking's address before it books

    @property
    def allowed(self) -> int | None:
        """Requests the whole booking may cost: remaining at its start less the reserve."""
        if self.limit is None:
            return None
        return self.limit - self.spend - PollPlan().reserve(self.limit)


BUDGETS = {
    "a": BudgetCase("a", "no limit", None, None, 0),
    "b": BudgetCase("b", "100/15 min, 50 spent", "100/15m", 100, 50),
    "c": BudgetCase("c", "20/15 min, fresh window", "20/15m", 20, 0),
}


@dataclass(frozen=True)
class Cell:
    dialect: str
    budget: BudgetCase
    length: float
    ways: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.dialect}-{self.budget.key}-{self.length:g}"


@dataclass(frozen=True)
class Seat:
    event_id: str
    event_name: str
    seat_id: str
    label: str  # SECTION:A12


@dataclass
class Booking:
    way: str
    ip: str
    seat: Seat
    home: Path
    offset: float  # seconds after the cell's start
    job_id: str | None = None
    noticed_at: float | None = None  # seed and oracle: Unix time the final status was held
    error: str | None = None


@dataclass(frozen=True)
class Sample:
    way: str
    job_id: str | None
    confirmed: bool
    delay_s: float | None
    duration_s: float | None
    requests: int
    kinds: dict[str, int]
    refused: int  # answered 429
    error: str | None


@dataclass(frozen=True)
class Server:
    url: str
    db: Path
    log: Path


@dataclass
class CellResult:
    cell: Cell
    samples: list[Sample]
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for way in self.cell.ways:
            self.summaries[way] = summarize([s for s in self.samples if s.way == way])

    def of(self, way: str) -> list[Sample]:
        return [sample for sample in self.samples if sample.way == way]


@dataclass(frozen=True)
class Check:
    figure: str
    value: str
    target: str
    ok: bool


# --- servers -----------------------------------------------------------------------------


@contextlib.contextmanager
def running_server(workdir: Path, cell: Cell, workers: int) -> Iterator[Server]:
    db, log, ready = (workdir / f"{cell.name}.{suffix}" for suffix in ("db", "log", "ready"))
    command = [sys.executable, "-m", "seatctl", "serve", "--port", "0", "--db", str(db),
               "--ready-file", str(ready), "--dialect", cell.dialect, "--process-delay",
               f"{cell.length:g}", "--workers", str(workers), "--log-json"]
    if cell.budget.rate_limit:
        command += ["--rate-limit", cell.budget.rate_limit]
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log_file)
    try:
        yield Server(wait_ready(process, ready), db, log)
    finally:
        stop(process)


def wait_ready(process: subprocess.Popen[bytes], ready: Path) -> str:
    deadline = time.monotonic() + 30
    while not ready.exists() or not ready.read_text().strip():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the reference server did not start")
        time.sleep(0.02)
    return ready.read_text().strip()


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --- set-up ------------------------------------------------------------------------------


def demo_setup(url: str) -> tuple[str, list[Seat]]:
    """Log in and list the free seats of the seat-map events, from SETUP_IP."""
    with client_for(url, SETUP_IP, None) as http:
        login = http.post("/api/auth/login", json=DEMO)
        login.raise_for_status()
        listed = []
        for event in http.get("/api/events").json()["data"]["events"]:
            if event["seatLevelBooking"]:
                listed.append(free_seats(http, event))
    seats = [seat for group in zip(*listed, strict=False) for seat in group]  # alternate
    return str(login.json()["data"]["token"]), seats


def free_seats(http: httpx.Client, event: dict[str, Any]) -> list[Seat]:
    seat_map = http.get(f"/api/seats/event/{event['id']}").json()["data"]
    return [Seat(event["id"], event["name"], seat["id"],
                 f"{section['name']}:{seat['row']}{seat['number']}")
            for section in seat_map["sections"] for seat in section["seats"]
            if not seat["isBooked"] and not seat["isBlocked"]]


def plan_bookings(cell: Cell, seats: list[Seat], count: int, workdir: Path) -> list[Booking]:
    """`count` bookings per way, the ways interleaved so that none always starts first."""
    total = count * len(cell.ways)
    if total > len(seats):
        raise SystemExit(f"{total} bookings per cell, but only {len(seats)} free seats")
    return [Booking(cell.ways[index % len(cell.ways)], address(1, index), seats[index],
                    workdir / f"home-{cell.name}-{index}", index * STAGGER)
            for index in range(total)]


def address(network: int, index: int) -> str:
    return f"127.{network}.{index // 250}.{index % 250 + 1}"


def prepare(bookings: list[Booking], server: Server, token: str, budget: BudgetCase) -> None:
    """Warm seatctl's cache, and spend what the budget says, before any booking starts."""
    for index, booking in enumerate(bookings):
        if booking.way in (SEATCTL, PLAIN):
            code, _, err = run_seatctl(env_for(booking.home, server.url, token),
                                       address(2, index), ["events", "--json"])
            if code != 0:
                raise RuntimeError(f"seatctl events failed: {err.strip()}")
        if budget.spend:
            spend(server.url, booking.ip, budget)


def spend(url: str, ip: str, budget: BudgetCase) -> None:
    with client_for(url, ip, None) as http:
        answers = [http.get("/api/health") for _ in range(budget.spend)]
    left = answers[-1].headers.get("X-RateLimit-Remaining")
    assert budget.limit is not None
    if left != str(budget.limit - budget.spend):
        raise RuntimeError(f"after spending {budget.spend}, {left} left (expected "
                           f"{budget.limit - budget.spend})")


def env_for(home: Path, url: str, token: str) -> dict[str, str]:
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local/share"),
            "XDG_STATE_HOME": str(home / ".local/state"), "SEATCTL_BASE_URL": url,
            "SEATCTL_TOKEN": token, "NO_COLOR": "1"}


# --- the ways ----------------------------------------------------------------------------


def bound_transport(ip: str) -> CoreTransport:
    """seatctl's own transport (pool limits, deadline backend), from the address `ip`."""
    return core_transport(local_address=ip)


def client_for(url: str, ip: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=30,
                        transport=httpx.HTTPTransport(local_address=ip))


@functools.cache
def seatctl_command() -> Command:
    return typer.main.get_command(seatctl_app)


def run_seatctl(env: dict[str, str], ip: str, args: list[str]) -> tuple[int, str, str]:
    """`seatctl ARGS` in-process: exit code, stdout, stderr."""
    streams = IOStreams.test()
    app = App(env=env, transport=bound_transport(ip), _streams=streams)
    code = seatctl_command().main(args=args, prog_name="seatctl", obj=app,
                                  standalone_mode=False)
    return int(code or 0), streams.out_text(), streams.err_text()


def book_with_seatctl(booking: Booking, server: Server, token: str) -> None:
    args = ["book", booking.seat.event_name, "--seat", booking.seat.label, "--json"]
    if booking.way == PLAIN:
        args.append("--no-long-poll")
    code, out, err = run_seatctl(env_for(booking.home, server.url, token), booking.ip, args)
    with contextlib.suppress(ValueError):
        booking.job_id = json.loads(out).get("jobId")
    if code != 0:
        booking.error = f"exit {code}: {err.strip()[-300:]}"


def book_like_the_seed(booking: Booking, server: Server, token: str) -> None:
    event_id = booking.seat.event_id
    with client_for(server.url, booking.ip, token) as http:
        http.get(f"/api/events/{event_id}").raise_for_status()
        http.get(f"/api/seats/event/{event_id}").raise_for_status()
        job_id = booking.job_id = submit(http, booking.seat)
        start = time.monotonic()
        for attempt in range(SEED_ATTEMPTS):
            time.sleep(max(0.0, start + attempt * SEED_INTERVAL - time.monotonic()))
            data = http.get(f"/api/seats/booking-status/{job_id}").json().get("data") or {}
            if data.get("success"):
                booking.noticed_at = time.time()
                return
            if data and "processing" not in str(data.get("message", "")):
                booking.error = f"failed: {data.get('message')}"
                return
    booking.error = f"not confirmed after {SEED_ATTEMPTS} polls"


def book_as_oracle(booking: Booking, server: Server, token: str) -> None:
    with client_for(server.url, booking.ip, token) as http:
        job_id = booking.job_id = submit(http, booking.seat)
        wait_until_final(server.db, job_id, timeout=SLACK)
        data = http.get(f"/api/seats/booking-status/{job_id}").json().get("data") or {}
        booking.noticed_at = time.time()
        if not data.get("success"):
            booking.error = f"failed: {data.get('message')}"


def submit(http: httpx.Client, seat: Seat) -> str:
    response = http.post("/api/seats/book", json={"eventId": seat.event_id,
                                                  "seatIds": [seat.seat_id]})
    response.raise_for_status()
    return str(response.json()["data"]["jobId"])


def wait_until_final(db: Path, job_id: str, timeout: float) -> None:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = connection.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is not None and row[0] not in PENDING_JOB_STATES:
                return
            time.sleep(ORACLE_TICK)
    finally:
        connection.close()
    raise TimeoutError(f"job {job_id} not final after {timeout:g} s")


RUNNERS: dict[str, Callable[[Booking, Server, str], None]] = {
    SEATCTL: book_with_seatctl, COLD: book_with_seatctl, PLAIN: book_with_seatctl,
    SEED: book_like_the_seed, ORACLE: book_as_oracle,
}


def run_one(booking: Booking, server: Server, token: str) -> None:
    time.sleep(booking.offset)
    try:
        RUNNERS[booking.way](booking, server, token)
    except Exception as error:  # recorded with the sample, never lost in a thread
        booking.error = f"{type(error).__name__}: {error}"


def run_all(bookings: list[Booking], server: Server, token: str, length: float) -> None:
    threads = [threading.Thread(target=run_one, args=(booking, server, token), daemon=True)
               for booking in bookings]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + bookings[-1].offset + 1.2 * length + SLACK
    for thread, booking in zip(threads, bookings, strict=True):
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            booking.error = "did not finish in time"


# --- what the server saw -----------------------------------------------------------------


def unix(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def read_jobs(db: Path) -> dict[str, tuple[str, float, float]]:
    """Job id -> (state, created, updated) in Unix time."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT id, state, created_at, updated_at FROM jobs")
        return {job: (state, unix(created), unix(updated)) for job, state, created, updated
                in rows}
    finally:
        connection.close()


def kind(method: str, path: str) -> str:
    if path.startswith("/api/events"):
        return "event"
    if path.startswith("/api/seats/event/"):
        return "seat map"
    if method == "POST" and path == "/api/seats/book":
        return "post"
    if path.startswith("/api/seats/booking-status/"):
        return "poll"
    return "spend" if path == "/api/health" else "other"


def read_log(log: Path) -> dict[str, Counter[str]]:
    """Client address -> requests by kind ("429" counts the refused ones too)."""
    seen: dict[str, Counter[str]] = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("{"):
            continue  # the banner
        entry = json.loads(line)
        counter = seen.setdefault(str(entry["client"]), Counter())
        counter[kind(str(entry["method"]), str(entry["path"]))] += 1
        if entry["status"] == 429:
            counter["429"] += 1
    return seen


def sample_of(booking: Booking, jobs: dict[str, tuple[str, float, float]],
              counts: Counter[str]) -> Sample:
    job = jobs.get(booking.job_id or "")
    noticed = noticed_at(booking)
    confirmed = job is not None and job[0] == "confirmed" and noticed is not None
    kinds = {name: n for name, n in counts.items() if name not in ("spend", "429")}
    return Sample(
        way=booking.way, job_id=booking.job_id, confirmed=confirmed and booking.error is None,
        delay_s=noticed - job[2] if confirmed and job and noticed else None,
        duration_s=job[2] - job[1] if job else None, requests=sum(kinds.values()),
        kinds=kinds, refused=counts["429"], error=booking.error)


def noticed_at(booking: Booking) -> float | None:
    """seatctl: its journal entry's `updated_at` once confirmed; others: their own clock."""
    if booking.way not in (SEATCTL, COLD, PLAIN):
        return booking.noticed_at
    path = Journal.default_path(env_for(booking.home, "", ""))
    if booking.job_id is None or not path.exists():
        return None
    with Journal(path) as journal:
        entry = journal.by_job(booking.job_id)
    return unix(entry.updated_at) if entry is not None and entry.state == "confirmed" else None


# --- one cell ----------------------------------------------------------------------------


def run_cell(cell: Cell, count: int, workdir: Path) -> CellResult:
    workers = count * len(cell.ways) + 2
    with running_server(workdir, cell, workers) as server:
        token, seats = demo_setup(server.url)
        bookings = plan_bookings(cell, seats, count, workdir)
        prepare(bookings, server, token, cell.budget)
        run_all(bookings, server, token, cell.length)
    jobs, counts = read_jobs(server.db), read_log(server.log)
    if cell.budget.spend:
        check_spent(bookings, counts, cell.budget.spend)
    return CellResult(cell, [sample_of(b, jobs, counts.get(b.ip, Counter())) for b in bookings])


def check_spent(bookings: list[Booking], counts: dict[str, Counter[str]], spent: int) -> None:
    wrong = [b.ip for b in bookings if counts.get(b.ip, Counter())["spend"] != spent]
    if wrong:
        raise RuntimeError(f"the server did not see {spent} spent requests from {wrong}")


def summarize(samples: list[Sample]) -> dict[str, Any]:
    delays = [s.delay_s for s in samples if s.confirmed and s.delay_s is not None]
    requests = [s.requests for s in samples]
    return {"bookings": len(samples), "confirmed": len(delays),
            "p50_s": statistics.median(delays) if delays else None,
            "max_s": max(delays) if delays else None,
            "requests": statistics.mean(requests) if requests else None,
            "max_requests": max(requests) if requests else None,
            "polls": statistics.mean(s.kinds.get("poll", 0) for s in samples) if samples
            else None,
            "refused": sum(s.refused for s in samples)}


# --- targets -----------------------------------------------------------------------------


def notice_bound(duration: float) -> float:
    return max(NOTICE_FLOOR, NOTICE_SHARE * duration)


def budget_checks(result: CellResult) -> list[Check]:
    """(b) and (c): every warm booking noticed within the bound and within its allowance."""
    cell, samples = result.cell, result.of(SEATCTL)
    where = f"({cell.budget.key}) {cell.length:g} s"
    missed = [s for s in samples if not s.confirmed or s.delay_s is None]
    if missed:
        return [Check(f"{where}: every booking confirmed", f"{len(missed)} not",
                      "all", False)]
    worst = max(samples, key=lambda s: (s.delay_s or 0) / notice_bound(s.duration_s or 0))
    bound = notice_bound(worst.duration_s or 0)
    allowed = cell.budget.allowed or 0
    most = max(s.requests for s in samples)
    return [
        Check(f"{where}: notice delay <= max(2 s, 0.5x job)", f"{worst.delay_s:.2f} s",
              f"<= {bound:.2f} s", (worst.delay_s or 0) <= bound),
        Check(f"{where}: requests <= budget less reserve", f"{most}", f"<= {allowed}",
              most <= allowed),
    ]


def ratio(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return value / base


def seed_checks(results: list[CellResult]) -> list[Check]:
    """(a) in the seed dialect: against the seed's schedule, pooled and per length."""
    pooled = {way: [s.delay_s for r in results for s in r.of(way)
                    if s.confirmed and s.delay_s is not None] for way in (SEATCTL, SEED)}
    pooled_ratio = ratio(median_or_none(pooled[SEATCTL]), median_or_none(pooled[SEED]))
    checks = [at_most("(a) pooled p50 delay vs seed's", pooled_ratio, SEED_POOLED_P50_RATIO)
              ] if len(results) > 1 else []  # a pool of one length is no pool
    for result in results:
        mine, seed = result.summaries[SEATCTL], result.summaries[SEED]
        where = f"(a) {result.cell.length:g} s"
        checks.append(at_most(f"{where}: p50 delay vs seed's", ratio(mine["p50_s"],
                                                                     seed["p50_s"]),
                              SEED_LENGTH_P50_RATIO, all_confirmed(result)))
        checks.append(at_most(f"{where}: requests vs seed's", ratio(mine["requests"],
                                                                    seed["requests"]),
                              SEED_REQUEST_RATIO))
    return checks


def reference_checks(results: list[CellResult]) -> list[Check]:
    """The earlier comparison, in the reference dialect: status polls, pooled."""
    def pooled(way: str) -> tuple[float | None, float | None]:
        samples = [s for r in results for s in r.of(way)]
        delays = [s.delay_s for s in samples if s.confirmed and s.delay_s is not None]
        polls = [s.kinds.get("poll", 0) for s in samples]
        return median_or_none(delays), statistics.mean(polls) if polls else None

    (long_p50, long_polls), (plain_p50, plain_polls), (seed_p50, seed_polls) = (
        pooled(SEATCTL), pooled(PLAIN), pooled(SEED))
    long_ms = None if long_p50 is None else long_p50 * 1000
    return [
        Check("reference: long polling p50 delay", fmt(long_ms, " ms"),
              f"<= {LONG_POLL_P50_S * 1000:g} ms",
              long_ms is not None and long_ms <= LONG_POLL_P50_S * 1000),
        at_most("reference: long polling polls vs seed's", ratio(long_polls, seed_polls), 1.0),
        at_most("reference: plain polling p50 vs seed's", ratio(plain_p50, seed_p50),
                PLAIN_P50_RATIO),
        at_most("reference: plain polling polls vs seed's", ratio(plain_polls, seed_polls),
                PLAIN_POLL_RATIO),
    ]


def all_confirmed(result: CellResult) -> bool:
    return all(s.confirmed for s in result.of(SEATCTL))


def at_most(figure: str, value: float | None, limit: float, also: bool = True) -> Check:
    return Check(figure, fmt(value, "x"), f"<= {limit:g}x",
                 also and value is not None and value <= limit)


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


# --- output ------------------------------------------------------------------------------

SEED_HEADER = (f"{'length s':>8} {'seatctl p50':>11} {'max':>6} {'req':>6} {'max req':>7} "
               f"{'cold req':>8} {'seed p50':>8} {'max':>6} {'req':>6} {'oracle req':>10} "
               f"{'p50 vs seed':>11} {'req vs seed':>11} {'allowed':>7}")


def seed_row(label: str, mine: dict[str, Any], cold: dict[str, Any], seed: dict[str, Any],
             oracle: dict[str, Any], allowed: int | None) -> str:
    return (f"{label:>8} {fmt(mine['p50_s']):>11} {fmt(mine['max_s']):>6} "
            f"{fmt(mine['requests'], digits=1):>6} {mine['max_requests'] or '-':>7} "
            f"{fmt(cold['requests'], digits=1):>8} {fmt(seed['p50_s']):>8} "
            f"{fmt(seed['max_s']):>6} {fmt(seed['requests'], digits=1):>6} "
            f"{fmt(oracle['requests'], digits=1):>10} "
            f"{fmt(ratio(mine['p50_s'], seed['p50_s']), 'x'):>11} "
            f"{fmt(ratio(mine['requests'], seed['requests']), 'x'):>11} "
            f"{allowed if allowed is not None else '-':>7}")


def print_seed_table(budget: BudgetCase, results: list[CellResult], count: int) -> None:
    print(f"({budget.key}) {budget.title}, seed dialect: {count} bookings per length and way;"
          " delays in s, requests per booking (mean)")
    print(SEED_HEADER)
    for result in results:
        s = result.summaries
        print(seed_row(f"{result.cell.length:g}", s[SEATCTL], s[COLD], s[SEED], s[ORACLE],
                       budget.allowed))
    if len(results) > 1:
        pooled = {way: summarize([x for r in results for x in r.of(way)]) for way in SEED_WAYS}
        print(seed_row("all", pooled[SEATCTL], pooled[COLD], pooled[SEED], pooled[ORACLE],
                       budget.allowed))
    print_failures(results)
    print()


REFERENCE_NAMES = {SEATCTL: "seatctl, long polling", PLAIN: "seatctl, plain polling",
                   SEED: "seed schedule (baseline)", ORACLE: "oracle"}


def print_reference_table(results: list[CellResult], count: int) -> None:
    print(f"(a) no limit, reference dialect: {count} bookings per length and way")
    print(f"{'length s':>8}  {'way':<26}{'p50 ms':>9}{'max ms':>9}{'polls':>7}{'requests':>10}")
    for result in results:
        for way in REFERENCE_WAYS:
            s = result.summaries[way]
            p50, top = (None if s[k] is None else s[k] * 1000 for k in ("p50_s", "max_s"))
            print(f"{result.cell.length:>8g}  {REFERENCE_NAMES[way]:<26}{fmt(p50, digits=1):>9}"
                  f"{fmt(top, digits=1):>9}{fmt(s['polls']):>7}{fmt(s['requests']):>10}")
    print_failures(results)
    print()


def print_failures(results: list[CellResult]) -> None:
    for result in results:
        for sample in result.samples:
            if not sample.confirmed:
                print(f"  {result.cell.name} {sample.way}: not confirmed "
                      f"({sample.error or 'no final status'})")


def print_checks(checks: list[Check]) -> None:
    for check in checks:
        print(f"{check.figure:<48}{check.value:>10}  {check.target:<10}  "
              f"{'PASS' if check.ok else 'FAIL'}")
    print("PASS" if all(check.ok for check in checks) else "FAIL")


def as_document(results: list[CellResult], checks: list[Check]) -> dict[str, Any]:
    return {"cells": [{"dialect": r.cell.dialect, "budget": asdict(r.cell.budget),
                       "allowed": r.cell.budget.allowed, "length_s": r.cell.length,
                       "summaries": r.summaries, "samples": [asdict(s) for s in r.samples]}
                      for r in results],
            "checks": [asdict(check) for check in checks],
            "pass": all(check.ok for check in checks)}


# --- main --------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--bookings", type=int, help="per cell and way (10; --quick: 2)")
    parser.add_argument("--lengths", help="job seconds, seed dialect (0.2,1,5,30; --quick: 0.2,1)")
    parser.add_argument("--budgets", default="a,b,c", help="of a (none), b, c (a,b,c)")
    parser.add_argument("--reference-lengths",
                        help="job seconds, reference dialect; empty: skip it (0.3,1,3; --quick: "
                             "0.3)")
    parser.add_argument("--quick", action="store_true", help="a smoke-size run")
    parser.add_argument("--json", action="store_true", help="the raw numbers as JSON")
    parser.add_argument("--no-check", action="store_true", help="exit 0 even on FAIL")
    args = parser.parse_args()
    for name, full, quick in (("bookings", 10, 2), ("lengths", "0.2,1,5,30", "0.2,1"),
                              ("reference_lengths", "0.3,1,3", "0.3")):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


def numbers(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def plan_cells(args: argparse.Namespace) -> list[Cell]:
    budgets = [BUDGETS[key.strip()] for key in args.budgets.split(",") if key.strip()]
    cells = [Cell("seed", budget, length, SEED_WAYS)
             for length in numbers(args.lengths) for budget in budgets]
    return cells + [Cell("reference", BUDGETS["a"], length, REFERENCE_WAYS)
                    for length in numbers(args.reference_lengths)]


def preload() -> None:
    """Import what the commands import lazily, once, before threads run them."""
    seatctl_command()
    for name in ("book", "events"):
        load_command(name)
    for module in ("seatctl.booking.book", "seatctl.booking.events", "seatctl.cli.watch",
                   "seatctl.render.watch", "seatctl.render.trace", "seatctl.config.settings"):
        importlib.import_module(module)


def checks_for(results: list[CellResult]) -> list[Check]:
    checks: list[Check] = []
    for result in results:
        if result.cell.dialect == "seed" and result.cell.budget.limit is not None:
            checks += budget_checks(result)
    seed_a = [r for r in results if r.cell.dialect == "seed" and r.cell.budget.key == "a"]
    reference = [r for r in results if r.cell.dialect == "reference"]
    return checks + (seed_checks(seed_a) if seed_a else []) + (
        reference_checks(reference) if reference else [])


def report(results: list[CellResult], checks: list[Check], count: int) -> None:
    for budget in BUDGETS.values():
        cells = [r for r in results if r.cell.dialect == "seed" and r.cell.budget == budget]
        if cells:
            print_seed_table(budget, cells, count)
    reference = [r for r in results if r.cell.dialect == "reference"]
    if reference:
        print_reference_table(reference, count)
    print_checks(checks)


def main() -> int:
    args = parse_args()
    preload()
    results: list[CellResult] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="seatctl-bench-watch-") as workdir:
        for cell in plan_cells(args):
            print(f"cell {cell.name} ...", file=sys.stderr, flush=True)
            results.append(run_cell(cell, args.bookings, Path(workdir)))
    checks = checks_for(results)
    if args.json:
        print(json.dumps(as_document(results, checks), indent=2))
    else:
        report(results, checks, args.bookings)
    print(f"run took {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0 if all(check.ok for check in checks) or args.no_check else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
