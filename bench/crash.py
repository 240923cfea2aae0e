"""Crash safety: SIGKILL `seatctl book` at random points; the journal survives, every
interrupted booking resumes to exactly one booking.

Run: python bench/crash.py [--runs 100] [--seed 7] [--json]

The reference server runs in this process (a thread), so that a stall can be armed on the
next request of one path. Each run books different seats through the real CLI
(`python -m seatctl book EVENT --seats ... --json`, a subprocess) and SIGKILLs it at a point
drawn from a seeded Random:

* before-post: at a random moment of the command's start-up (0 to 0.5 s after the spawn):
  before, while or after the booking key is written to the journal;
* during-post: a stall armed on POST /api/seats/book holds the request; the kill comes once
  the journal holds the key, plus a random 0-0.3 s (the server then books it anyway, the
  stall being before the handler);
* during-watch: a stall armed on GET /api/seats/booking-status holds the first status
  poll; the kill comes once the journal holds the job id, plus a random 0-0.3 s.

After each kill: `PRAGMA integrity_check` of the journal (read-only), then the booking is
resumed: with `seatctl book --resume` (every other run that left an unfinished entry) or by
running the same `seatctl book` again. The resumed run must say confirmed, and the server's
database must hold exactly one booking of those seats, with that booking id, and jobs of one
key only. Exit 1 when any run breaks that.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))  # bench/ is not a package

from soak import (
    EVENT_NAME,
    Booking,
    Client,
    Run,
    journal_entries,
    journal_integrity,
    plan_bookings,
    server_truth,
)

from seatctl.server import ReferenceServer, ServerConfig, serving_in_thread
from seatctl.server.config import FaultKind

PHASES = ("before-post", "during-post", "during-watch")
STALL = 1.0  # seconds an armed stall holds the POST or the status poll
KILL_WAIT = 15.0  # seconds to wait for the point a kill aims at
PROCESS_DELAY = 0.3  # seconds a server job takes: the watch has something to wait for


@dataclass(frozen=True)
class CrashRun:
    index: int
    phase: str  # where the kill was aimed
    killed_at: str  # what the journal shows at the kill: none | created | job | final
    integrity: str
    resumed_with: str  # "--resume" or "same booking"
    exit_code: int
    state: str | None
    server_bookings: int
    keys_sent: int
    problem: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _entry_for(client: Client, booking: Booking) -> dict[str, Any] | None:
    try:
        entries = journal_entries(client.journal_path)
    except sqlite3.OperationalError:  # the file exists, its schema is being created
        return None
    for entry in entries:
        if frozenset(json.loads(entry["seat_ids"])) == booking.seat_ids:
            return entry
    return None


def _killed_at(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "none"
    if entry["state"] in ("confirmed", "rejected", "failed"):
        return "final"
    return "job" if json.loads(entry["job_ids"]) else "created"


def _wait_for(client: Client, booking: Booking, process: subprocess.Popen[str],
              reached: str) -> None:
    """Wait (bounded) until the journal shows `reached` ("created": the key; "job": a job
    id) for this booking, or the process ends."""
    deadline = time.monotonic() + KILL_WAIT
    while time.monotonic() < deadline and process.poll() is None:
        entry = _entry_for(client, booking)
        if entry is not None and (reached == "created" or json.loads(entry["job_ids"])):
            return
        time.sleep(0.01)  # a bounded poll of the journal file another process writes


def kill_one(server: ReferenceServer, client: Client, event_id: str, booking: Booking,
             phase: str, rng: random.Random) -> None:
    """Start `seatctl book` and SIGKILL it at the phase's point."""
    if phase == "during-post":
        server.arm_fault(FaultKind.STALL, "/api/seats/book", seconds=STALL)
    elif phase == "during-watch":
        server.arm_fault(FaultKind.STALL, "/api/seats/booking-status", seconds=STALL)
    process = subprocess.Popen(
        client.command("book", event_id, "--seats", ",".join(booking.labels), "--json"),
        env=client.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if phase == "before-post":
        time.sleep(rng.uniform(0.0, 0.5))  # the random kill point itself
    else:
        _wait_for(client, booking, process, "created" if phase == "during-post" else "job")
        time.sleep(rng.uniform(0.0, 0.3))
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate(timeout=10)
    if process.returncode != -signal.SIGKILL:
        print(f"  (run ended on its own, exit {process.returncode}: {stderr.strip()[-300:]})",
              file=sys.stderr)


def resume(client: Client, event_id: str, booking: Booking, use_resume_flag: bool) -> tuple[
        str, Run]:
    if use_resume_flag:
        return "--resume", client.run("book", "--resume", "--json", "--timeout", "60")
    return "same booking", client.book(event_id, booking.labels)


def crash_run(index: int, server: ReferenceServer, client: Client, event_id: str,
              booking: Booking, rng: random.Random) -> CrashRun:
    phase = rng.choice(PHASES)
    kill_one(server, client, event_id, booking, phase, rng)
    entry = _entry_for(client, booking)
    killed_at = _killed_at(entry)
    integrity = journal_integrity(client.journal_path)
    use_flag = killed_at in ("created", "job") and index % 2 == 0
    how, run = resume(client, event_id, booking, use_flag)
    exit_code, document = run.exit_code, run.document
    truth = server_truth(Path(server.config.db))
    held = truth.bookings_touching(booking.seat_ids)
    keys = truth.job_keys.get(booking.seat_ids, set())
    problem = _problem(integrity, run, held, keys)
    return CrashRun(index, phase, killed_at, integrity, how, exit_code,
                    document.get("state"), len(held), len(keys), problem)


def _problem(integrity: str, run: Run, held: list[str], keys: set[str]) -> str | None:
    document = run.document
    if integrity != "ok":
        return f"journal integrity_check: {integrity}"
    if run.exit_code != 0 or document.get("state") != "confirmed":
        return f"resume ended with exit {run.exit_code}: {run.reason}"
    if len(held) != 1:
        return f"{len(held)} bookings of these seats on the server"
    if held[0] != document.get("bookingId"):
        return f"the server holds {held[0]}, the CLI said {document.get('bookingId')}"
    if len(keys) != 1:
        return f"{len(keys)} booking keys sent for these seats"
    return None


def crash(workdir: Path, runs: int, *, seed: int = 7) -> list[CrashRun]:
    rng = random.Random(seed)
    config = ServerConfig(port=0, db=str(workdir / "server.db"), process_delay=PROCESS_DELAY)
    with serving_in_thread(config) as server:
        client = Client(workdir, server.url)
        client.login()
        seat_map = client.seat_map(EVENT_NAME)
        event_id = seat_map["event"]["id"]
        return [crash_run(index, server, client, event_id, booking, rng)
                for index, booking in enumerate(plan_bookings(seat_map, runs))]


def summary(results: list[CrashRun]) -> dict[str, Any]:
    table: dict[str, dict[str, int]] = {}
    for result in results:
        row = table.setdefault(result.phase, {})
        row[result.killed_at] = row.get(result.killed_at, 0) + 1
    resumed: dict[str, int] = {}
    for result in results:
        resumed[result.resumed_with] = resumed.get(result.resumed_with, 0) + 1
    return {"runs": len(results), "kills_by_phase": table, "resumed_with": resumed,
            "corrupt_journals": sum(result.integrity != "ok" for result in results),
            "confirmed_once": sum(result.problem is None for result in results),
            "problems": [result.as_dict() for result in results if result.problem]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="seatctl-crash-") as directory:
        results = crash(Path(directory), args.runs, seed=args.seed)
    report = {**summary(results), "elapsed_s": round(time.monotonic() - started, 1)}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0 if not report["problems"] else 1


def print_report(report: dict[str, Any]) -> None:
    print(f"crash: {report['runs']} seatctl book runs SIGKILLed, {report['elapsed_s']} s")
    print("  aimed at       journal at the kill (none / created / job / final)")
    for phase in PHASES:
        row = report["kills_by_phase"].get(phase, {})
        cells = "  ".join(f"{name} {row.get(name, 0)}"
                          for name in ("none", "created", "job", "final"))
        print(f"  {phase:<14} {cells}")
    print(f"  resumed with   {report['resumed_with']}")
    print(f"  corrupt journals: {report['corrupt_journals']}; resumed to exactly one "
          f"booking: {report['confirmed_once']}/{report['runs']}")
    for problem in report["problems"]:
        print(f"  PROBLEM run {problem['index']} ({problem['phase']}): {problem['problem']}")
    print("OK" if not report["problems"] else "FAIL")


if __name__ == "__main__":
    sys.exit(main())
