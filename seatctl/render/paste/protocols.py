"""HTTP/1.1 and HTTP/2 side by side, from a doctor document's `probes.keepalive`,
`probes.race` and `probes.http2`: how each protocol's idle connection ended, what
announced it, how many requests a connection carries, whether PINGs keep it open, and
what became of a request crossing the close. Only the HTTP/2 column under --http2; no
table where HTTP/2 was not spoken."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from seatctl.render.paste.inline import Inline, code, plain
from seatctl.render.paste.view import (
    Grid,
    GridRow,
    advertised_value,
    idle_close_value,
    mapping,
    number,
    reuse_race_summary,
    scalar,
    sequence,
    text,
)

Section = Mapping[str, Any]
Cell = Callable[[Section], Inline]
NOT_APPLICABLE = plain("—")
RACE_WORDS = {
    "response": "answered all the same",
    "refused-stream": "refused (RST_STREAM REFUSED_STREAM)",
    "stream-reset": "stream reset",
    "connection-reset": "connection reset",
    "connection-closed": "connection closed (FIN), no answer",
    "no-answer": "no answer",
    "no-goaway": "closed without a GOAWAY",
    "error": "failed",
}
RETRY_WORDS = {True: "safe to retry", False: "not safe to retry"}
NO_GOAWAY_RETRY = "a request in flight gets no sign it is safe to retry"
PING_WORDS = {"kept-alive": "PINGs kept it open past the idle close",
              "not-kept-alive": "closed despite PINGs"}


def speaks_h2(http2: Section) -> bool:
    return http2.get("speaks_h2") is True


def protocols_grid(keepalive: Section, race: Section, http2: Section) -> Grid | None:
    """The table, or None when HTTP/2 was not spoken (its section, if any, then goes into
    the measurements as one row)."""
    if not speaks_h2(http2):
        return None
    both = bool(keepalive)
    rows = [GridRow(name, (http1(keepalive, race), h2(http2)) if both else (h2(http2),))
            for name, http1, h2 in _ROWS]
    columns = ("", "HTTP/1.1", "HTTP/2") if both else ("", "HTTP/2")
    return Grid("HTTP/1.1 and HTTP/2" if both else "HTTP/2", columns, tuple(rows))


def http2_not_spoken(http2: Section) -> Inline:
    """Why there is no HTTP/2 column: skipped, or ALPN chose another protocol."""
    skipped = text(http2.get("skipped"))
    if skipped is not None:
        return plain(skipped)
    selected = text(mapping(http2.get("alpn")).get("selected"))
    if selected is not None:
        return plain("not spoken: ALPN selected ") + code(selected)
    return plain("not spoken")


# --- HTTP/1.1 ---------------------------------------------------------------------------


def _http1_protocol(keepalive: Section, _race: Section) -> Inline:
    status, version = number(keepalive.get("status")), text(keepalive.get("http_version"))
    if status is None:
        return plain(f"HTTP/{version or '1.1'}")
    return plain(f"HTTP/{version or '?'} {status:g}")


def _http1_idle_close(keepalive: Section, _race: Section) -> Inline:
    return idle_close_value(keepalive) or plain("not measured")


def _http1_announced(keepalive: Section, _race: Section) -> Inline:
    return advertised_value(keepalive)


def _http1_ended(keepalive: Section, _race: Section) -> Inline:
    if keepalive.get("persistent") is False:
        return plain("after each response")
    if keepalive.get("idle_close_lower_bound") is True:
        return plain("still open")
    kind = text(keepalive.get("close_kind"))
    return plain(kind.upper()) if kind else plain("not measured")


def _http1_requests(keepalive: Section, _race: Section) -> Inline:
    served = mapping(keepalive.get("requests_per_connection"))
    count = number(served.get("served"))
    most = number(keepalive.get("advertised_max_requests"))
    advertised = f" (advertised max {most:g})" if most is not None else ""
    if count is None:
        return plain("not measured" + advertised)
    ended_by = text(served.get("ended_by")) or "?"
    if served.get("lower_bound") is True:
        return plain(f"at least {count:g} requests ({ended_by}){advertised}")
    return plain(f"{count:g} requests, then {ended_by}{advertised}")


def _http1_race(_keepalive: Section, race: Section) -> Inline:
    return plain(reuse_race_summary(race)) if race else plain("not measured")


def _none(_keepalive: Section, _race: Section) -> Inline:
    return NOT_APPLICABLE


# --- HTTP/2 -----------------------------------------------------------------------------


def _h2_protocol(http2: Section) -> Inline:
    if http2.get("h2c") is True:
        return plain("h2c (prior knowledge)")
    alpn = mapping(http2.get("alpn"))
    offered = ", ".join(scalar(name) for name in sequence(alpn.get("offered")))
    return (plain("ALPN ") + code(text(alpn.get("selected")) or "none")
            + plain(f" (offered {offered})" if offered else ""))


def _h2_idle_close(http2: Section) -> Inline:
    return idle_close_value(http2) or plain("not measured")


def _h2_announced(http2: Section) -> Inline:
    closed = mapping(http2.get("idle_close"))
    goaway = mapping(closed.get("goaway"))
    if not goaway:
        return plain("nothing yet" if closed.get("lower_bound") is True else "no GOAWAY")
    value = code(f"GOAWAY {goaway.get('error') or '?'}")
    last, after = number(goaway.get("last_stream_id")), number(goaway.get("after_s"))
    if last is not None:
        value += plain(f" (last stream {last:g})")
    if after is not None:
        value += plain(f" after {after:.2f} s")
    debug = text(goaway.get("debug_data"))
    return value + (plain(", debug data ") + code(debug) if debug else ())


def _h2_ended(http2: Section) -> Inline:
    closed = mapping(http2.get("idle_close"))
    if closed.get("lower_bound") is True:
        return plain("still open")
    end, after = text(closed.get("end")), number(closed.get("end_after_s"))
    if end is None:
        return plain("transport left open" if closed else "not measured")
    return plain(end.upper() + (f" at {after:.2f} s" if after is not None else ""))


def _h2_streams(http2: Section) -> Inline:
    settings = mapping(http2.get("settings"))
    if not settings:
        return plain("not measured")
    streams = number(settings.get("max_concurrent_streams"))
    value = (f"max {streams:g} concurrent streams" if streams is not None
             else "unlimited concurrent streams")
    window = number(settings.get("initial_window_size"))
    return plain(value + (f" (window {window:g})" if window is not None else ""))


def _h2_ping(http2: Section) -> Inline:
    ping = mapping(http2.get("ping"))
    if not ping:
        return plain("not measured")
    outcome, skipped = text(ping.get("outcome")), text(ping.get("skipped"))
    if outcome is None:
        return plain(f"skipped: {skipped}" if skipped else "not measured")
    sent, acked = number(ping.get("pings_sent")), number(ping.get("pings_acked"))
    counts = (f" ({sent:g} sent, {acked:g} acked)" if sent is not None and acked is not None
              else "")
    words = PING_WORDS.get(outcome)
    value = plain(words + counts) if words else code(outcome) + plain(counts)
    failure = text(ping.get("failure"))
    return value + (plain(f": {failure}") if failure else ())


def _h2_race(http2: Section) -> Inline:
    race = mapping(http2.get("goaway_race"))
    if not race:
        return plain("not measured")
    outcome, skipped = text(race.get("outcome")), text(race.get("skipped"))
    if outcome is None:
        return plain(f"skipped: {skipped}" if skipped else "not measured")
    words = RACE_WORDS.get(outcome)
    value = plain(words) if words else code(outcome)
    reset = race.get("reset_code")
    if outcome == "stream-reset" and reset is not None:
        value += plain(" (") + code(scalar(reset)) + plain(")")
    failure = text(race.get("failure"))
    if failure is not None:
        value += plain(f": {failure}")
    safe = race.get("safe_to_retry")
    if isinstance(safe, bool):
        return value + plain(f"; {RETRY_WORDS[safe]}")
    return value + plain(f"; {NO_GOAWAY_RETRY}" if outcome == "no-goaway" else "")


_ROWS: tuple[tuple[str, Callable[[Section, Section], Inline], Cell], ...] = (
    ("protocol", _http1_protocol, _h2_protocol),
    ("idle close", _http1_idle_close, _h2_idle_close),
    ("announced by", _http1_announced, _h2_announced),
    ("connection ended by", _http1_ended, _h2_ended),
    ("requests per connection", _http1_requests, _h2_streams),
    ("PING keep-alive", _none, _h2_ping),
    ("a request crossing the close", _http1_race, _h2_race),
)
