"""What `seatctl serve` prints: a banner with everything a user needs, then a request log."""

from __future__ import annotations

import json
import sys
from typing import IO, TYPE_CHECKING

from rich.text import Text

from seatctl.server.faults import CONNECTION_FAULTS

if TYPE_CHECKING:
    from seatctl.render.streams import IOStreams
    from seatctl.server import LogEntry, ReferenceServer, ServerConfig


def banner(streams: IOStreams, server: ReferenceServer) -> None:
    config = server.config
    err = streams.err
    err.print(Text.assemble("seatctl reference server listening on ", (server.url, "bold")))
    err.print(f"  demo account: {config.demo_email} / {config.demo_password}")
    err.print(f"  database: {config.db}" + (" (demo data created)" if server.demo_seeded else ""))
    err.print(f"  timeouts: {describe_timeouts(config)}", soft_wrap=True)
    err.print(f"  queue: {config.workers} workers, {config.process_delay:g}s per job")
    err.print(f"  dialect: {config.dialect.value}")
    err.print(f"  deploy: {describe_deploy(config)}")
    for line in describe_faults(config):
        err.print(Text(f"  fault: {line}", "yellow"))
    err.print("  try: seatctl --base-url " + server.url + " ping    (Ctrl-C stops)")


def describe_timeouts(config: ServerConfig) -> str:
    t = config.timeouts
    advertised = ("no Keep-Alive header" if t.advertised_keep_alive is None
                  else f"advertised timeout={t.advertised_keep_alive:g}")
    keep_alive = ("keep-alive off" if t.keep_alive_timeout == 0
                  else f"keep-alive {t.keep_alive_timeout:g}s ({advertised})")
    limit = t.max_requests_per_connection or "unlimited"
    inactivity = f"{t.socket_timeout:g}s" if t.socket_timeout else "none"
    return (f"{keep_alive}, headers {t.headers_timeout:g}s, request {t.request_timeout:g}s, "
            f"socket timeout {inactivity}, requests per connection {limit}")


def describe_deploy(config: ServerConfig) -> str:
    """The shutdown on SIGTERM, and the not-ready window at start (--ready-delay)."""
    shutdown = (f"graceful shutdown (drain {config.drain:g} s)"
                if config.shutdown.value == "graceful"
                else "abrupt shutdown (resets every connection)")
    ready = (f", not ready (503) for the first {config.ready_delay:g} s"
             if config.ready_delay else "")
    return shutdown + ready


def describe_faults(config: ServerConfig) -> list[str]:
    lines = [f"{fault.kind.value} p={fault.probability:g}"
             + (f" for {fault.seconds:g}s" if fault.seconds else "")
             + (f" under {config.fault_path}" if config.fault_path != "/"
                and fault.kind not in CONNECTION_FAULTS else "")
             for fault in config.faults]
    if config.slow_job:
        lines.append(f"slow-job +{config.slow_job:g}s per job")
    if config.rate_limit:
        lines.append(f"rate limit {config.rate_limit.limit} per {config.rate_limit.window:g}s")
    if config.degraded:
        lines.append(f"degraded: {', '.join(sorted(config.degraded))}")
    if config.seed is not None:
        lines.append(f"seed {config.seed}")
    return lines


class RequestLogWriter:
    """One line per request on stderr: method, path, status, milliseconds (or JSON lines)."""

    def __init__(self, as_json: bool, stream: IO[str] | None = None) -> None:
        self._json = as_json
        self._stream = stream or sys.stderr

    def __call__(self, entry: LogEntry) -> None:
        status = "-" if entry.status is None else str(entry.status)
        if self._json:
            line = json.dumps({"method": entry.method, "path": entry.path,
                               "status": entry.status, "ms": round(entry.milliseconds, 2),
                               "client": entry.client, "note": entry.note or None})
        else:
            note = f"  [{entry.note}]" if entry.note else ""
            line = f"{entry.method} {entry.path} {status} {entry.milliseconds:.1f}ms{note}"
        self._stream.write(line + "\n")
        self._stream.flush()
