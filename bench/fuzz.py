"""The long fuzz run: generated bad responses through the real commands (issue #7).

Run: python bench/fuzz.py [--examples 10000] [--workers 2] [--seed 0]

Each worker process starts its own loopback fuzz server and runs its share of the examples
(hypothesis, seeded per worker) through `tests.reliability.test_fuzz_responses`: every
example is one command (ping, events, seats, book, watch, smoke) run in-process against one
drawn response, checked against the exit-code oracle (no traceback, no token, one error
line). Prints the count, the time, and the outcome table (response kind x exit code).
Exit 1 if any example failed (hypothesis shows the smallest failing case).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


Table = Counter[tuple[str, int]]


def _worker(job: tuple[int, int]) -> tuple[Table, Table, Table, int, str]:
    examples, seed = job
    home = tempfile.mkdtemp(prefix="seatctl-fuzz-")
    for name in [n for n in os.environ if n.startswith("SEATCTL_") or "PROXY" in n.upper()]:
        del os.environ[name]
    env = {"XDG_CONFIG_HOME": f"{home}/xdg", "XDG_DATA_HOME": f"{home}/data", "NO_COLOR": "1",
           "COLUMNS": "80"}
    os.environ.update(env)
    from hypothesis import seed as hypothesis_seed

    from tests.reliability import test_fuzz_responses as fuzz
    from tests.support.fuzz import fuzz_server

    with fuzz_server() as server:
        fuzzer = fuzz.Fuzzer(server, env)
        try:
            hypothesis_seed(seed)(lambda: fuzz.fuzz(fuzzer, examples, derandomize=False))()
            failure = ""
        except Exception as exc:
            failure = f"{type(exc).__name__}: {str(exc)[:2000]}"
    return fuzzer.table, fuzzer.bodies, fuzzer.commands, fuzzer.count, failure


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    share = -(-args.examples // args.workers)
    jobs = [(share, args.seed * 1000 + n) for n in range(args.workers)]
    started = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        results = pool.map(_worker, jobs)
    elapsed = time.monotonic() - started
    table: Table = Counter()
    bodies: Table = Counter()
    commands: Table = Counter()
    for part, body_part, command_part, _, _ in results:
        table.update(part)
        bodies.update(body_part)
        commands.update(command_part)
    count = sum(n for *_, n, _ in results)
    failures = [failure for *_, failure in results if failure]
    from tests.reliability.test_fuzz_responses import format_table

    print(f"{count} generated responses through the commands in {elapsed:.0f} s "
          f"({args.workers} workers, seed {args.seed}); failures: {len(failures)}")
    codes = Counter[int]()
    for (_, code), n in table.items():
        codes[code] += n
    print("exit codes: " + ", ".join(f"{code}: {n}" for code, n in sorted(codes.items())))
    print("\nBy response (status group, or the special kinds):\n" + format_table(table))
    print("\n2xx responses by body:\n" + format_table(bodies, "2xx body"))
    print("\nBy command:\n" + format_table(commands, "command"))
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
