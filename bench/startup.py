"""Start-up benchmark: how much `python -m seatctl` costs on top of `import typer`.

Shell completion runs the program on every TAB, so `--help`, `--version` and a completion
request must stay close to the cost of importing typer itself. Run from anywhere with the
package installed in the current environment:

    python bench/startup.py [--runs N] [--json] [--no-check]

The event-name completion reads a catalog file this script writes (a fresh listing of
PAGE_LIMIT events) in a temporary XDG_CACHE_HOME; its base URL is a closed port: completion
never asks the network.

Standard library only; POSIX only (uses os.wait4 for each child's peak RSS).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

TARGET_RATIO = 1.3
# Modules that must not load on the start-up paths (a module counts with its submodules).
HEAVY_MODULES = ("httpx", "pydantic", "pydantic_settings", "rich", "seatctl.server")
COMPLETE_ENV = {
    "_SEATCTL_COMPLETE": "complete_bash",
    "COMP_WORDS": "seatctl con",
    "COMP_CWORD": "1",
}
# Variables that would point completion at the user's own config, cache, journal or server;
# and PYTHONDONTWRITEBYTECODE, which would time the compiling of every module edited since
# its bytecode was last written (an installed seatctl has its bytecode).
ISOLATED_ENV = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "SEATCTL_CONFIG",
                "SEATCTL_PROFILE", "SEATCTL_BASE_URL", "PYTHONDONTWRITEBYTECODE")
EVENTS_BASE_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there
EVENT_COUNT = 100  # a full first page of the listing (seatctl.booking.events.PAGE_LIMIT)


@dataclass
class Command:
    label: str
    args: list[str]
    extra_env: dict[str, str] = field(default_factory=dict)
    expect_stdout: str | None = None  # a line stdout must contain
    before_each: Callable[[], None] | None = None  # untimed set-up before every run
    guarded: bool = True  # checked for heavy imports and against the target
    times_ms: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    heavy: list[str] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def peak_rss_mb(self) -> float:
        return max(self.rss_kb) / 1024


@dataclass
class Result:
    seconds: float
    rss_kb: int
    stdout: str
    stderr: str


def commands(scratch: Path) -> list[Command]:
    cache_home = scratch / "cache"
    events_env = {
        "_SEATCTL_COMPLETE": "complete_bash", "COMP_WORDS": "seatctl seats Symph",
        "COMP_CWORD": "2", "XDG_CACHE_HOME": str(cache_home),
        "XDG_CONFIG_HOME": str(scratch / "config"), "XDG_DATA_HOME": str(scratch / "data"),
        "SEATCTL_BASE_URL": EVENTS_BASE_URL,
    }
    return [
        Command("import typer", ["-c", "import typer"], guarded=False),
        Command("seatctl --help", ["-m", "seatctl", "--help"], expect_stdout="Usage:"),
        Command("seatctl --version", ["-m", "seatctl", "--version"], expect_stdout="seatctl "),
        Command(
            "completion 'seatctl con'", ["-m", "seatctl"],
            extra_env=COMPLETE_ENV, expect_stdout="config",
        ),
        Command(
            "completion 'seatctl seats Symph'", ["-m", "seatctl"], extra_env=events_env,
            expect_stdout="Symphony\\ No.\\ 7", before_each=lambda: write_catalog(cache_home),
        ),
    ]


def write_catalog(cache_home: Path) -> None:
    """A fresh events listing in seatctl's catalog file (seatctl.booking.catalog_file)."""
    digest = hashlib.sha256(EVENTS_BASE_URL.encode()).hexdigest()[:16]
    path = cache_home / "seatctl" / "catalog" / f"{digest}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    events = [
        {"id": f"evt-{number:04d}-7f3a9c", "name": f"Symphony No. {number}",
         "description": "An evening of orchestral music.", "venue": "Grand Hall",
         "startTime": "2030-06-01T19:30:00.000Z", "capacity": 500, "availableCapacity": 120,
         "price": 45.0, "seatLevelBooking": True}
        for number in range(1, EVENT_COUNT + 1)
    ]
    document = {"version": 1, "base_url": EVENTS_BASE_URL, "seat_maps": {},
                "events": {"fetched_at": time.time(), "complete": True, "events": events}}
    path.write_text(json.dumps(document), encoding="utf-8")


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in COMPLETE_ENV and k not in ISOLATED_ENV}
    env.update(extra)
    return env


def run_child(args: Sequence[str], env: Mapping[str, str]) -> Result:
    """Run `sys.executable *args`; wall time and the child's own peak RSS via os.wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{args} exited {proc.returncode}:\n{stderr[-2000:]}")
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    rss_kb = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return Result(seconds, rss_kb, stdout, stderr)


def imported_modules(importtime_log: str) -> set[str]:
    """Module names from `python -X importtime` stderr."""
    names = set()
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names


def heavy_imports(modules: set[str]) -> list[str]:
    return [
        heavy for heavy in HEAVY_MODULES
        if any(m == heavy or m.startswith(heavy + ".") for m in modules)
    ]


def check_output(cmd: Command, result: Result) -> None:
    if cmd.expect_stdout is not None and cmd.expect_stdout not in result.stdout:
        raise RuntimeError(
            f"{cmd.label}: expected {cmd.expect_stdout!r} on stdout, got {result.stdout!r}"
        )


def measure(cmds: list[Command], runs: int) -> None:
    # One untimed pass with -X importtime: warms caches, checks output, finds heavy imports.
    for cmd in cmds:
        if cmd.before_each is not None:
            cmd.before_each()
        result = run_child(["-X", "importtime", *cmd.args], child_env(cmd.extra_env))
        check_output(cmd, result)
        cmd.heavy = heavy_imports(imported_modules(result.stderr))
    # Round-robin, rotating the starting command each round, so noise hits all alike.
    for i in range(runs):
        shift = i % len(cmds)
        for cmd in cmds[shift:] + cmds[:shift]:
            if cmd.before_each is not None:
                cmd.before_each()
            result = run_child(cmd.args, child_env(cmd.extra_env))
            check_output(cmd, result)
            cmd.times_ms.append(result.seconds * 1000)
            cmd.rss_kb.append(result.rss_kb)


def report(cmds: list[Command], runs: int, as_json: bool) -> bool:
    base = cmds[0].median_ms
    passed = all(c.median_ms / base <= TARGET_RATIO for c in cmds if c.guarded)
    if as_json:
        print(json.dumps({
            "python": sys.version.split()[0],
            "executable": sys.executable,
            "runs": runs,
            "target_ratio": TARGET_RATIO,
            "commands": [
                {
                    "command": c.label,
                    "median_ms": round(c.median_ms, 1),
                    "ratio": round(c.median_ms / base, 2),
                    "peak_rss_mb": round(c.peak_rss_mb, 1),
                    **({"heavy_imports": c.heavy} if c.guarded else {}),
                }
                for c in cmds
            ],
            "passed": passed,
        }, indent=2))
        return passed
    print(f"Python {sys.version.split()[0]} ({sys.executable}), {runs} runs each, round-robin")
    header = ("command", "median ms", "vs import typer", "peak RSS MB")
    rows = [
        (c.label, f"{c.median_ms:.1f}", f"{c.median_ms / base:.2f}", f"{c.peak_rss_mb:.1f}")
        for c in cmds
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [cell.rjust(w) for cell, w in zip(row, widths, strict=True)]
        cells[0] = row[0].ljust(widths[0])
        print("  ".join(cells))
    print()
    for c in cmds:
        if c.guarded:
            print(f"heavy imports ({c.label}): {', '.join(c.heavy) or 'none'}")
    print(f"{'PASS' if passed else 'FAIL'}: every seatctl ratio <= {TARGET_RATIO}")
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (15)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-check", action="store_true", help="exit 0 even on FAIL")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="seatctl-bench-") as scratch:
        cmds = commands(Path(scratch))
        measure(cmds, args.runs)
    passed = report(cmds, args.runs, args.json)
    return 0 if passed or args.no_check else 1


if __name__ == "__main__":
    sys.exit(main())
