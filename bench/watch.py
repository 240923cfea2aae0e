"""How soon seatctl notices a booking's confirmation, and at what cost in requests.

Run: python bench/watch.py [--bookings N] [--delays 0.3,1,3] [--json] [--no-check]

For each process delay it starts the reference server (a subprocess on 127.0.0.1) and books
N seats three ways, in this one process:

* seatctl, long polling (`?wait=`, the reference server's extension);
* seatctl, plain polling (the schedule: 0.15 s, growing x1.4 with jitter to 2 s, never
  sooner than Retry-After);
* the seed's frontend schedule, the baseline: one poll right after the POST's answer, then
  every 2 s, at most 30.

Notice latency: from the job's confirmation on the server (its `updatedAt`) to the moment
the client holds the final status. Requests: status GETs per booking. Targets: long polling
p50 <= 50 ms with no more requests than the seed's schedule; plain polling p50 <= 0.35x
the seed's with at most 2.5x its requests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from seatctl.booking.watch import Watcher
from seatctl.clock import SystemClock
from seatctl.http import ApiClient, ClientConfig, RetryPolicy, Timeouts

SEED_INTERVAL = 2.0
SEED_ATTEMPTS = 30
LONG_POLL_P50_MS = 50.0
PLAIN_LATENCY_RATIO = 0.35
PLAIN_REQUEST_RATIO = 2.5


@dataclass(frozen=True)
class Sample:
    latency_s: float
    requests: int


def start_server(workdir: Path, delay: float) -> tuple[subprocess.Popen[bytes], str]:
    ready = workdir / f"ready-{delay}"
    process = subprocess.Popen(
        [sys.executable, "-m", "seatctl", "serve", "--port", "0", "--quiet", "--db",
         ":memory:", "--ready-file", str(ready), "--process-delay", str(delay),
         "--workers", "16"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the reference server did not start")
        time.sleep(0.02)
    return process, ready.read_text().strip()


class Bookings:
    """Free seats of the demo's seat-map events, handed out one per booking."""

    def __init__(self, url: str) -> None:
        self.url = url
        login = httpx.post(url + "/api/auth/login",
                           json={"email": "demo@example.com", "password": "demo12345"})
        self.token = str(login.json()["data"]["token"])
        self._seats: list[tuple[str, str]] = []
        for event in httpx.get(url + "/api/events").json()["data"]["events"]:
            if event["seatLevelBooking"]:
                seat_map = httpx.get(f"{url}/api/seats/event/{event['id']}").json()["data"]
                self._seats += [(event["id"], seat["id"]) for section in seat_map["sections"]
                                for seat in section["seats"]
                                if not seat["isBooked"] and not seat["isBlocked"]]
        self._lock = threading.Lock()

    def submit(self, http: httpx.Client) -> str:
        with self._lock:
            event_id, seat_id = self._seats.pop()
        response = http.post("/api/seats/book", json={"eventId": event_id,
                                                      "seatIds": [seat_id]})
        return str(response.json()["data"]["jobId"])


def confirmed_at(status: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(status["updatedAt"]).replace("Z", "+00:00")).timestamp()


def seatctl_strategy(long_poll: bool) -> Callable[[Bookings, httpx.Client, str], Sample]:
    def run(bookings: Bookings, http: httpx.Client, job_id: str) -> Sample:
        config = ClientConfig(base_url=bookings.url, timeouts=Timeouts(5, 30, 5, 5),
                              retry=RetryPolicy(retries=3), token=bookings.token)
        with ApiClient(config) as client:
            result = Watcher(client, SystemClock(), timeout=120,
                             long_poll=long_poll).watch(job_id)
        noticed = time.time()
        assert result.status is not None and result.status.success, result
        return Sample(noticed - confirmed_at(result.status.model_dump(by_alias=True)),
                      result.polls)

    return run


def seed_strategy(bookings: Bookings, http: httpx.Client, job_id: str) -> Sample:
    """The seed frontend's pollBookingStatus: poll at once, then every 2 s, 30 attempts."""
    for attempt in range(1, SEED_ATTEMPTS + 1):
        status = http.get(f"/api/seats/booking-status/{job_id}").json()["data"]
        if status.get("success"):
            return Sample(time.time() - confirmed_at(status), attempt)
        time.sleep(SEED_INTERVAL)
    raise RuntimeError(f"job {job_id} not confirmed after {SEED_ATTEMPTS} polls")


STRATEGIES: dict[str, Callable[[Bookings, httpx.Client, str], Sample]] = {
    "seatctl long polling": seatctl_strategy(long_poll=True),
    "seatctl plain polling": seatctl_strategy(long_poll=False),
    "seed schedule (baseline)": seed_strategy,
}


def measure(url: str, strategy: Callable[[Bookings, httpx.Client, str], Sample],
            count: int) -> list[Sample]:
    """`count` bookings at once, each submitted then followed by `strategy`."""
    bookings = Bookings(url)
    samples: list[Sample] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {bookings.token}"},
                              timeout=30) as http:
                samples.append(strategy(bookings, http, bookings.submit(http)))
        except BaseException as error:  # reported below, never lost in a thread
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    if errors:
        raise errors[0]
    return samples


def summary(samples: list[Sample]) -> dict[str, float]:
    latencies = [s.latency_s * 1000 for s in samples]
    return {"p50_ms": statistics.median(latencies), "max_ms": max(latencies),
            "requests_per_booking": statistics.mean(s.requests for s in samples),
            "bookings": len(samples)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=8, help="per delay and strategy")
    parser.add_argument("--delays", default="0.3,1,3")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()
    delays = [float(d) for d in args.delays.split(",")]
    pooled: dict[str, list[Sample]] = {name: [] for name in STRATEGIES}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as workdir:
        for delay in delays:
            process, url = start_server(Path(workdir), delay)
            try:
                for name, strategy in STRATEGIES.items():
                    samples = measure(url, strategy, args.bookings)
                    pooled[name] += samples
                    rows.append({"delay_s": delay, "strategy": name, **summary(samples)})
            finally:
                process.terminate()
                process.wait(timeout=10)
    totals = {name: summary(samples) for name, samples in pooled.items()}
    checks = targets(totals)
    passed = all(ok for _, _, ok in checks)
    if args.json:
        print(json.dumps({"rows": rows, "pooled": totals,
                          "checks": [{"figure": f, "value": v, "pass": ok}
                                     for f, v, ok in checks], "pass": passed}, indent=2))
    else:
        print_table(rows, totals, checks, args.bookings)
    return 0 if passed or args.no_check else 1


def targets(totals: dict[str, dict[str, float]]) -> list[tuple[str, str, bool]]:
    long_poll, plain = totals["seatctl long polling"], totals["seatctl plain polling"]
    seed = totals["seed schedule (baseline)"]
    latency_ratio = plain["p50_ms"] / seed["p50_ms"]
    plain_requests = plain["requests_per_booking"] / seed["requests_per_booking"]
    long_requests = long_poll["requests_per_booking"] / seed["requests_per_booking"]
    return [
        ("long polling p50 notice latency <= 50 ms", f"{long_poll['p50_ms']:.1f} ms",
         long_poll["p50_ms"] <= LONG_POLL_P50_MS),
        ("long polling requests <= seed's", f"{long_requests:.2f}x", long_requests <= 1.0),
        ("plain polling p50 latency <= 0.35x seed's", f"{latency_ratio:.2f}x",
         latency_ratio <= PLAIN_LATENCY_RATIO),
        ("plain polling requests <= 2.5x seed's", f"{plain_requests:.2f}x",
         plain_requests <= PLAIN_REQUEST_RATIO),
    ]


def print_table(rows: list[dict[str, Any]], totals: dict[str, dict[str, float]],
                checks: list[tuple[str, str, bool]], count: int) -> None:
    print(f"{count} bookings per delay and strategy, 127.0.0.1")
    print(f"{'delay s':>7}  {'strategy':<26}{'p50 ms':>9}{'max ms':>9}{'GETs/booking':>14}")
    for row in rows:
        print(f"{row['delay_s']:>7g}  {row['strategy']:<26}{row['p50_ms']:>9.1f}"
              f"{row['max_ms']:>9.1f}{row['requests_per_booking']:>14.2f}")
    for name, values in totals.items():
        print(f"{'all':>7}  {name:<26}{values['p50_ms']:>9.1f}{values['max_ms']:>9.1f}"
              f"{values['requests_per_booking']:>14.2f}")
    print()
    for figure, value, ok in checks:
        print(f"{figure:<45}{value:>10}  {'PASS' if ok else 'FAIL'}")
    print("PASS" if all(ok for _, _, ok in checks) else "FAIL")


if __name__ == "__main__":
    sys.exit(main())
