"""The reference server under abuse, full size: the figures of docs/reliability.md.

One reference server in this process (a thread, the timeouts of the abuse tests: keep-alive
1 s, headers 1 s, request 1.5 s) takes, in turn:

1. `--random N` hypothesis-generated random requests (default 5000), each on its own
   connection, our side shut after sending: the outcome table (status, how it closed);
2. the oversized heads and request-smuggling shapes of tests/reliability/test_server_abuse.py,
   each with its answer, a health check on a fresh connection after each;
3. the drip-fed head and body: the 408 and when it came;
4. `--connections N` kept-alive idle connections (default 1000) and as many silent ones at
   once: when each was closed, and how long a fresh request took while they were all open;
5. hostile ids in every route with an id, and forged tokens on every authenticated route.

It fails (exit 1) on any answer outside the expected ones, a 5xx, a hang, or an error logged by
the server. Every loop is bounded; the server is stopped at the end. From the repository root:

    python bench/server_abuse.py [--random N] [--connections N]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' case tables

from hypothesis import HealthCheck, given, settings

from seatctl.server import ReferenceServer, ServerConfig, serving_in_thread
from tests.reliability import test_server_abuse as abuse
from tests.server.helpers import login


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.count += 1


def random_requests(server: ReferenceServer, count: int) -> Counter[str]:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=count, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=abuse.RANDOM_REQUESTS)
    def fuzz(data: bytes) -> None:
        outcomes[abuse.answer_random_bytes(server, data).outcome] += 1

    fuzz()
    return outcomes


Row = tuple[str, str, str, bool]  # case, expected, answer, as expected


def refusals(server: ReferenceServer) -> list[Row]:
    """The oversized heads and the smuggling shapes, a health check after each."""
    expected = {name: 431 for name in abuse.OVERSIZED}
    expected.update({name: status for name, (_, status) in abuse.SMUGGLING.items()})
    cases = {**abuse.OVERSIZED, **{name: data for name, (data, _) in abuse.SMUGGLING.items()}}
    return [(name, f"{expected[name]}, closed at once",
             f"{answer.outcome} after {answer.seconds:.2f} s",
             abuse.refused_at_once(answer, expected[name]))
            for name, answer in abuse.answers_with_health_checks(server, cases).items()]


def drips(server: ReferenceServer) -> list[Row]:
    rows = []
    for name, (data, dripped, limit, _) in abuse.SLOW.items():
        answer = abuse.exchange(server, data, dripped=dripped)
        on_time = limit - abuse.EARLY <= answer.seconds <= limit + abuse.LATE
        rows.append((name, f"408 at {limit:g} s",
                     f"{answer.outcome} after {answer.seconds:.2f} s",
                     answer.status == 408 and answer.ending != "open" and on_time))
    return rows


def idle(server: ReferenceServer, count: int) -> list[Row]:
    rows = []
    for first_request, limit, answer in ((True, abuse.KEEP_ALIVE, ""),
                                         (False, abuse.HEADERS_TIMEOUT, "HTTP/1.1 408")):
        abuse.raise_fd_limit(2 * count + 256)
        opened = abuse.open_idle(server, count, first_request=first_request)
        started = time.monotonic()
        abuse.assert_still_serving(server)
        fresh = time.monotonic() - started
        endings = abuse.wait_for_closes(opened)
        closed = [seconds for _, seconds in endings if seconds >= 0] or [-1.0]
        answers = Counter(received[:12].decode("latin-1") for received, _ in endings)
        kind = "kept-alive" if first_request else "silent"
        ok = (answers == Counter({answer: count}) and len(closed) == count
              and limit - abuse.EARLY <= min(closed) and max(closed) <= limit + abuse.LATE)
        rows.append((f"{count} {kind} idle connections at once",
                     f"{'FIN' if first_request else '408 + FIN'} at {limit:g} s",
                     f"{len(closed)} closed, {dict(answers)}, in {min(closed):.2f}.."
                     f"{max(closed):.2f} s; a fresh request meanwhile: {fresh * 1000:.0f} ms",
                     ok))
    return rows


def ids_and_tokens(server: ReferenceServer) -> list[Row]:
    rows = []
    routes = len(abuse.ID_ROUTES)
    for name, answers in abuse.hostile_id_answers(server, login(server)).items():
        rows.append((f"id: {name!r}"[:60], f"404 x {routes}", str(dict(answers)),
                     answers == Counter({"404": routes})))
    victim = abuse.make_victim(server)
    routes = len(abuse.AUTHED_ROUTES)
    for name, token in abuse.forged_tokens(server, victim["user"], victim["token"]).items():
        statuses = Counter(status for _, status, _ in abuse.call_every_authed_route(
            server, victim, f"Bearer {token}".encode("latin-1")))
        rows.append((f"token: {name}", f"401 x {routes}", str(dict(statuses)),
                     statuses == Counter({401: routes})))
    return rows


def print_table(title: str, rows: list[Row]) -> int:
    """Prints the rows; returns how many were not as expected."""
    print(f"\n{title}\n\n| case | expected | answer | ok |\n|---|---|---|---|")
    for case, expected, answer, ok in rows:
        print(f"| {case} | {expected} | {answer} | {'yes' if ok else 'NO'} |")
    return sum(not ok for *_, ok in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--random", type=int, default=5000, help="random requests")
    parser.add_argument("--connections", type=int, default=1000, help="idle connections")
    args = parser.parse_args()
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    logging.getLogger().setLevel(logging.DEBUG)
    with tempfile.TemporaryDirectory() as directory, serving_in_thread(ServerConfig(
            port=0, timeouts=abuse.TIMEOUTS, process_delay=0.02,
            db=str(Path(directory) / "abuse.db"))) as server:
        started = time.monotonic()
        outcomes = random_requests(server, args.random)
        seconds = time.monotonic() - started
        print(f"random requests: {sum(outcomes.values())} in {seconds:.1f} s\n\n"
              "| outcome | count |\n|---|---|")
        for outcome, count in outcomes.most_common():
            print(f"| {outcome} | {count} |")
        wrong = print_table("oversized heads and smuggling shapes", refusals(server))
        wrong += print_table("slow requests", drips(server))
        wrong += print_table("idle connections", idle(server, args.connections))
        wrong += print_table("hostile ids and tokens", ids_and_tokens(server))
        abuse.assert_still_serving(server)
    print(f"\nnot as expected: {wrong}; errors logged by the server: {errors.count}")
    return 1 if wrong or errors.count else 0


if __name__ == "__main__":
    sys.exit(main())
