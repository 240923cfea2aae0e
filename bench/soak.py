"""Soak: bookings through faults and a server SIGKILL, none lost, none doubled.

Run: python bench/soak.py [--bookings 200] [--concurrency 6] [--seed 7] [--no-kill] [--json]

The reference server runs as a subprocess on a fixed loopback port and its own database
file, with faults on every request under /api/seats (the booking POST and the status GETs
alike, since `--fault-path` is one prefix for all faults):

    reset-before-response=0.5, proxy-502=0.2, stall=0.2:1.0

Each booking (1 or 2 seats of one event, all different) goes through the real CLI,
`python -m seatctl book EVENT --seats ... --json`, a few at a time. A run that ends without
a final answer (exit 6 after the HTTP core's retries, a 502 that outlived them, the server
being down) is run again, as a user would: the journal resumes the booking with its key.
In the middle (when half of the bookings have finished) the server is SIGKILLed, stays down
for a moment and is restarted on the same database and port; its queued jobs complete.

Ground truth, read from the server's SQLite file once it has stopped: the bookings of the
demo account, their seats and idempotency keys, and the keys of every job. Per booking:

* confirmed: the CLI said confirmed, and the server holds exactly that booking id, for
  exactly those seats, under a key the journal holds for them;
* rejected: the CLI said rejected or failed (exit 3) with a reason, and the server holds
  nothing for those seats;
* lost: the CLI said confirmed but the server has no such booking, or no final answer came;
* doubled: more than one booking, or more than one key sent, for the same seats;
* misreported: the server holds a booking the CLI did not report as confirmed.

Exit 1 on any lost, doubled or misreported booking (or a corrupt journal).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYTHON = sys.executable
DEMO_EMAIL, DEMO_PASSWORD = "demo@example.com", "demo12345"
EVENT_NAME = "Symphony Under the Stars"
SOAK_FAULTS = ("reset-before-response=0.5", "proxy-502=0.2", "stall=0.2:1.0")


def soak_faults(stall: float = 1.0) -> tuple[str, ...]:
    """The soak's faults, with a stall of `stall` seconds (the rates stay the same)."""
    return (*SOAK_FAULTS[:2], f"stall=0.2:{stall:g}")

FAULT_PATH = "/api/seats"  # POST /api/seats/book and GET /api/seats/booking-status/ID
READY_TIMEOUT = 20.0  # seconds for a server to listen
ATTEMPT_TIMEOUT = 90.0  # seconds for one `seatctl book` run (its watch gives up at 60)
MAX_ATTEMPTS = 8  # runs of one booking before it counts as lost
DOWNTIME = 1.0  # seconds the killed server stays down


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """`seatctl serve` as a subprocess that can be SIGKILLed and restarted on its --db and
    --port."""

    workdir: Path
    faults: Sequence[str] = ()
    fault_path: str = "/"
    seed: int = 7
    process_delay: float = 0.02
    port: int = field(default_factory=free_port)
    restarts: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> Path:
        return self.workdir / "server.db"

    def start(self) -> None:
        ready = self.workdir / "server.ready"
        ready.unlink(missing_ok=True)
        command = [PYTHON, "-m", "seatctl", "serve", "--port", str(self.port), "--db",
                   str(self.db), "--ready-file", str(ready), "--process-delay",
                   str(self.process_delay), "--seed", str(self.seed + self.restarts),
                   "--fault-path", self.fault_path, "-q"]
        for fault in self.faults:
            command += ["--fault", fault]
        log = open(self.workdir / "server.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(command, stdout=log, stderr=log, env=base_env())
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.exists():  # a bounded poll of the ready file the server writes
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: see {self.workdir}/server.log")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; jobs in flight are left claimed by a dead pid."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def restart(self, downtime: float = DOWNTIME) -> None:
        self.kill()
        time.sleep(downtime)  # the outage itself: clients meet a refused port meanwhile
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


def base_env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("SEATCTL_") and "PROXY" not in name.upper()}
    env.update(NO_COLOR="1", COLUMNS="80", PYTHONDONTWRITEBYTECODE="1")
    return env


@dataclass(frozen=True)
class Run:
    """One `seatctl` subprocess: its exit code, its JSON document, its last stderr line."""

    exit_code: int
    document: dict[str, Any]
    stderr: str

    @property
    def reason(self) -> str:
        error = self.document.get("error")
        if isinstance(error, dict):
            return str(error.get("message"))
        if self.document.get("message"):
            return str(self.document["message"])
        return self.stderr.strip().splitlines()[-1] if self.stderr.strip() else "no output"


@dataclass
class Client:
    """seatctl subprocesses sharing one temporary config (logged in once) and journal."""

    workdir: Path
    base_url: str

    @property
    def env(self) -> dict[str, str]:
        return {**base_env(), "XDG_CONFIG_HOME": str(self.workdir / "config"),
                "XDG_DATA_HOME": str(self.workdir / "data"), "SEATCTL_BASE_URL": self.base_url}

    @property
    def journal_path(self) -> Path:
        return self.workdir / "data" / "seatctl" / "journal.db"

    def command(self, *args: str) -> list[str]:
        return [PYTHON, "-m", "seatctl", *args]

    def run(self, *args: str, input: str | None = None,
            timeout: float = ATTEMPT_TIMEOUT) -> Run:
        try:
            done = subprocess.run(self.command(*args), input=input, capture_output=True,
                                  text=True, env=self.env, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            return Run(-1, {}, f"hung past {exc.timeout} s")
        return Run(done.returncode, last_json(done.stdout), done.stderr)

    def login(self) -> None:
        run = self.run("login", "--email", DEMO_EMAIL, "--password-stdin",
                       input=DEMO_PASSWORD + "\n", timeout=30)
        if run.exit_code != 0:
            raise RuntimeError(f"login failed: {run.stderr}")

    def seat_map(self, event: str) -> dict[str, Any]:
        run = self.run("seats", event, "--json", timeout=30)
        if run.exit_code != 0:
            raise RuntimeError(f"seats failed: {run.stderr}")
        return run.document

    def book(self, event_id: str, labels: Sequence[str], *extra: str) -> Run:
        return self.run("book", event_id, "--seats", ",".join(labels), "--json",
                        "--timeout", "60", *extra)


def last_json(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict):
            return document
    return {}


def free_seats(seat_map: dict[str, Any]) -> list[tuple[str, str]]:
    """(qualified label, seat id) of every free seat, in map order."""
    return [(seat["qualified"], seat["id"]) for section in seat_map["sections"]
            for seat in section["seats"] if seat["state"] == "free"]


def journal_integrity(path: Path) -> str:
    """`PRAGMA integrity_check` of the journal, opened read-only: "ok" when intact."""
    if not path.exists():
        return "ok"  # nothing written yet: nothing to corrupt
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(row[0]) for row in rows)


def journal_entries(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM entries")]


@dataclass(frozen=True)
class ServerTruth:
    """What the server's database holds: bookings (id -> seat ids, key) and the keys sent."""

    bookings: dict[str, tuple[frozenset[str], str | None]]
    job_keys: dict[frozenset[str], set[str]]  # seat set -> every key a job was made with

    def bookings_touching(self, seat_ids: frozenset[str]) -> list[str]:
        return [booking_id for booking_id, (seats, _) in self.bookings.items()
                if seats & seat_ids]


def server_truth(db_path: Path) -> ServerTruth:
    """Read the (stopped) server's SQLite file read-only."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as db:
        bookings: dict[str, tuple[frozenset[str], str | None]] = {}
        for booking_id, key in db.execute(
                "SELECT id, idempotency_key FROM bookings WHERE cancelled_at IS NULL"):
            seats = frozenset(row[0] for row in db.execute(
                "SELECT seat_id FROM booking_seats WHERE booking_id = ?", (booking_id,)))
            bookings[booking_id] = (seats, key)
        job_keys: dict[frozenset[str], set[str]] = {}
        for seat_ids, key in db.execute("SELECT seat_ids, idempotency_key FROM jobs"):
            job_keys.setdefault(frozenset(json.loads(seat_ids)), set()).add(key)
    return ServerTruth(bookings, job_keys)


@dataclass
class Booking:
    labels: tuple[str, ...]
    seat_ids: frozenset[str]
    runs: list[Run] = field(default_factory=list)

    @property
    def final(self) -> Run | None:
        """The run that gave a final answer: confirmed (exit 0) or rejected (exit 3)."""
        last = self.runs[-1] if self.runs else None
        if last is not None and (last.exit_code == 3 or (
                last.exit_code == 0 and last.document.get("state") == "confirmed")):
            return last
        return None


def drive(client: Client, event_id: str, booking: Booking,
          max_attempts: int = MAX_ATTEMPTS) -> Booking:
    """Run `seatctl book` until it gives a final answer (resuming through the journal)."""
    for attempt in range(max_attempts):
        booking.runs.append(client.book(event_id, booking.labels))
        if booking.final is not None:
            break
        time.sleep(min(2.0, 0.25 * (attempt + 1)))  # a user's pause before trying again
    return booking


def classify(booking: Booking, truth: ServerTruth, journal_keys: set[str]) -> str:
    held = truth.bookings_touching(booking.seat_ids)
    keys_sent = truth.job_keys.get(booking.seat_ids, set())
    if len(held) > 1 or len(keys_sent) > 1:
        return "doubled"
    final = booking.final
    if final is None:
        return "misreported" if held else "lost"
    if final.exit_code == 3:
        return "misreported" if held else "rejected"
    if not held or held[0] != final.document.get("bookingId"):
        return "lost"
    seats, key = truth.bookings[held[0]]
    if seats != booking.seat_ids or key not in journal_keys:
        return "misreported"
    return "confirmed"


@dataclass
class SoakReport:
    bookings: int
    counts: dict[str, int]
    runs: int
    reruns: int
    exit_codes: dict[str, int]
    rejection_reasons: dict[str, int]
    rerun_reasons: dict[str, int]  # why a run gave no final answer (so it was run again)
    kills: int
    journal_integrity: str
    elapsed_s: float
    faults: tuple[str, ...] = SOAK_FAULTS

    @property
    def ok(self) -> bool:
        bad = sum(self.counts.get(name, 0) for name in ("lost", "doubled", "misreported"))
        return bad == 0 and self.journal_integrity == "ok"

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "bookings": self.bookings, "counts": self.counts,
                "runs": self.runs, "reruns": self.reruns, "exit_codes": self.exit_codes,
                "rejection_reasons": self.rejection_reasons,
                "rerun_reasons": self.rerun_reasons, "kills": self.kills,
                "journal_integrity": self.journal_integrity, "faults": list(self.faults),
                "fault_path": FAULT_PATH, "elapsed_s": round(self.elapsed_s, 1)}


@contextmanager
def soak_setup(workdir: Path, faults: Sequence[str], seed: int
               ) -> Iterator[tuple[ServerProcess, Client]]:
    """A server (faults on /api/seats only, so login and the seat map are clean), a client
    logged in once."""
    server = ServerProcess(workdir, faults=faults, fault_path=FAULT_PATH, seed=seed)
    server.start()
    try:
        client = Client(workdir, server.url)
        client.login()
        yield server, client
    finally:
        server.stop()


def plan_bookings(seat_map: dict[str, Any], count: int) -> list[Booking]:
    seats = free_seats(seat_map)
    size = 2 if 2 * count <= len(seats) else 1
    if size * count > len(seats):
        raise ValueError(f"{count} bookings need more than the {len(seats)} free seats")
    chosen = [seats[i * size:(i + 1) * size] for i in range(count)]
    return [Booking(tuple(label for label, _ in group), frozenset(sid for _, sid in group))
            for group in chosen]


def soak(workdir: Path, bookings: int, *, concurrency: int = 6, seed: int = 7,
         kill: bool = True, faults: Sequence[str] = SOAK_FAULTS,
         downtime: float = DOWNTIME) -> SoakReport:
    started = time.monotonic()
    with soak_setup(workdir, faults, seed) as (server, client):
        seat_map = client.seat_map(EVENT_NAME)
        event_id = seat_map["event"]["id"]
        planned = plan_bookings(seat_map, bookings)
        finished = threading.Semaphore(0)
        killer = threading.Thread(target=_kill_in_the_middle,
                                  args=(server, finished, bookings // 2 if kill else 0,
                                        downtime))
        killer.start()

        def one(booking: Booking) -> Booking:
            try:
                return drive(client, event_id, booking)
            finally:
                finished.release()

        with ThreadPoolExecutor(concurrency) as pool:
            done = list(pool.map(one, planned))
        killer.join(timeout=60)
    return _report(done, server, client, time.monotonic() - started, tuple(faults))


def _kill_in_the_middle(server: ServerProcess, finished: threading.Semaphore,
                        after: int, downtime: float) -> None:
    """SIGKILL and restart the server once `after` bookings have finished (0: never)."""
    if after <= 0:
        return
    for _ in range(after):
        if not finished.acquire(timeout=600):
            return
    server.restart(downtime)


def _report(done: list[Booking], server: ServerProcess, client: Client, elapsed: float,
            faults: tuple[str, ...]) -> SoakReport:
    truth = server_truth(server.db)
    keys_by_seats: dict[frozenset[str], set[str]] = {}
    for entry in journal_entries(client.journal_path):
        keys_by_seats.setdefault(frozenset(json.loads(entry["seat_ids"])), set()).add(
            entry["key"])
    counts = dict.fromkeys(("confirmed", "rejected", "lost", "doubled", "misreported"), 0)
    reasons: dict[str, int] = {}
    exit_codes: dict[str, int] = {}
    reruns: dict[str, int] = {}
    for booking in done:
        outcome = classify(booking, truth, keys_by_seats.get(booking.seat_ids, set()))
        counts[outcome] += 1
        if outcome == "rejected" and booking.final is not None:
            reasons[booking.final.reason] = reasons.get(booking.final.reason, 0) + 1
        for run in booking.runs:
            exit_codes[str(run.exit_code)] = exit_codes.get(str(run.exit_code), 0) + 1
            if run is not booking.final:
                reason = f"exit {run.exit_code}: {_shorten(run.reason)}"
                reruns[reason] = reruns.get(reason, 0) + 1
    runs = sum(len(booking.runs) for booking in done)
    return SoakReport(len(done), counts, runs, runs - len(done), exit_codes, reasons, reruns,
                      server.restarts, journal_integrity(client.journal_path), elapsed, faults)


def _shorten(reason: str) -> str:
    """A reason without its ids and numbers, so that alike reasons are counted together."""
    return re.sub(r"[0-9a-f]{8,}|\d+(\.\d+)?", "N", reason)[:120]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-kill", action="store_true", help="no SIGKILL/restart")
    parser.add_argument("--stall", type=float, default=1.0, help="seconds of a stall fault")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="seatctl-soak-") as directory:
        report = soak(Path(directory), args.bookings, concurrency=args.concurrency,
                      seed=args.seed, kill=not args.no_kill, faults=soak_faults(args.stall))
    print_report(report, as_json=args.json)
    return 0 if report.ok else 1


def print_report(report: SoakReport, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
        return
    print(f"soak: {report.bookings} bookings, faults {', '.join(report.faults)} on "
          f"{FAULT_PATH}, server SIGKILLed and restarted {report.kills} time(s), "
          f"{report.elapsed_s:.1f} s")
    for name, count in report.counts.items():
        print(f"  {name:<12} {count}")
    print(f"  seatctl runs {report.runs} ({report.reruns} re-runs after no final answer); "
          f"exit codes {report.exit_codes}")
    for reason, count in sorted(report.rerun_reasons.items(), key=lambda item: -item[1]):
        print(f"    re-run after {reason}  x{count}")
    if report.rejection_reasons:
        print(f"  rejection reasons {report.rejection_reasons}")
    print(f"  journal integrity_check: {report.journal_integrity}")
    print("OK: none lost, none doubled" if report.ok else "FAIL")


if __name__ == "__main__":
    sys.exit(main())
