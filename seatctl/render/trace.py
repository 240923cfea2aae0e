"""The Observer behind `-v` (one line per request) and `--trace` (phases and headers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from seatctl.sanitize import printable

if TYPE_CHECKING:
    from seatctl.http import Exchange
    from seatctl.render.streams import IOStreams

NOTICEABLE_WAIT = 2.0  # seconds: a retry wait this long is shown even without -v
PHASE_LABELS = (("connect", "connect+dns"), ("tls", "tls"), ("send", "send"),
                ("ttfb", "first byte"), ("body", "body"))


class StderrObserver:
    def __init__(self, streams: IOStreams, *, verbose: bool, trace: bool) -> None:
        self._err = streams.err
        self._verbose = verbose or trace
        self._trace = trace

    def exchange(self, exchange: Exchange) -> None:
        if not self._verbose:
            return
        outcome = str(exchange.status) if exchange.status is not None else "failed"
        reuse = {True: ", reused connection", False: ", new connection", None: ""}[exchange.reused]
        line = Text.assemble(
            ("> ", "dim"), f"{exchange.method} {printable(exchange.url)} ",
            (outcome, _style(exchange)),
            f" {exchange.elapsed * 1000:.0f} ms (attempt {exchange.attempt}{reuse})",
        )
        if exchange.rate_limit is not None:
            info = exchange.rate_limit
            left = f"{info.remaining}/{info.limit}" if info.limit else "none"
            line.append(f", rate limit {left} left", "dim")
        if exchange.error:
            line.append(f": {printable(exchange.error)}", "red")
        self._err.print(line, soft_wrap=True)
        if self._trace:
            self._trace_details(exchange)

    def retrying(self, attempt: int, wait: float, error: BaseException) -> None:
        if wait >= NOTICEABLE_WAIT and not self._verbose:  # or it looks like a hang
            message = printable(getattr(error, "message", str(error)))
            self._err.print(Text(f"warning: {message}; waiting {wait:.0f}s before retrying",
                                 "yellow"), soft_wrap=True)
        if self._verbose:
            message = printable(getattr(error, "message", str(error)))
            self._err.print(Text(f"  retrying in {wait:.2f}s after attempt {attempt}: {message}",
                                 "yellow"), soft_wrap=True)

    def _trace_details(self, exchange: Exchange) -> None:
        phases = "  ".join(f"{label} {exchange.phases[key] * 1000:.1f} ms"
                           for key, label in PHASE_LABELS if key in exchange.phases)
        if phases:
            self._err.print(Text(f"  timing: {phases}", "dim"), soft_wrap=True)
        self._err.print(Text(f"  request-id: {exchange.request_id}", "dim"), soft_wrap=True)
        for name, value in exchange.request_headers:
            self._err.print(Text(f"  > {name}: {value}", "dim"), soft_wrap=True)
        for name, value in exchange.response_headers:
            self._err.print(Text(f"  < {printable(name)}: {printable(value)}", "dim"),
                            soft_wrap=True)


def _style(exchange: Exchange) -> str:
    if exchange.status is None or exchange.status >= 500:
        return "red"
    return "yellow" if exchange.status >= 400 else "green"
