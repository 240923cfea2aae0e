"""The view of a doctor document (schema `seatctl.doctor/1`, `report_json`): the verdict,
the findings worst first, the server and front door inferred, HTTP/1.1 and HTTP/2 side by
side, the measurements, the probes' states, the rules not evaluated, and the timeline: the
probes on the run's time axis, the idle close, the advertised keep-alive and the proxy and
client timeouts marked from the start of the idle wait."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from seatctl.render.paste.inline import (
    Inline,
    code,
    detail_blocks,
    fix_blocks,
    joined,
    plain,
    prose,
)
from seatctl.render.paste.protocols import http2_not_spoken, protocols_grid, speaks_h2
from seatctl.render.paste.view import (
    Bar,
    Dot,
    Grid,
    Guess,
    Item,
    Mark,
    PasteView,
    ProbeRow,
    Row,
    Timeline,
    Unverified,
    advertised_mark,
    advertised_value,
    close_mark,
    duration,
    extra_fields,
    flatten,
    idle_close_value,
    mapping,
    number,
    rank,
    resolve_when,
    reuse_race_summary,
    scalar,
    sentence_count,
    sequence,
    text,
)

PROBE_LABELS = {"timing": "timing", "keepalive": "keep-alive",
                "requests_per_connection": "requests/conn", "burst": "burst",
                "slow_client": "slow client", "origin": "origin", "http2": "HTTP/2"}
KNOWN_PROBES = ("timing", "keepalive", "race", "burst", "slow_client", "origin", "http2")
KNOWN_KEYS = ("schema", "target", "origin", "verdict", "complete", "elapsed_s", "assumptions",
              "probes", "probe_states", "edge", "origin_edge", "findings", "skipped",
              "finished_at", "started_at", "generated_at", "cut_by", "inference",
              "fresh_requests")
FINDING_KEYS = ("id", "severity", "title", "detail", "fix")
KEEPALIVE_KEYS = ("persistent", "status", "http_version", "connection_header",
                  "keep_alive_header", "advertised_timeout_s", "advertised_max_requests",
                  "advertised_exceeds_idle_close", "idle_close_s", "idle_close_lower_bound",
                  "close_kind", "max_wait_s", "requests_per_connection", "idle_started_s")
HTTP2_KEYS = ("h2c", "alpn", "speaks_h2", "skipped", "settings", "idle_close_s",
              "idle_close_lower_bound", "close_kind", "idle_close", "ping", "goaway_race",
              "max_wait_s", "connections")
STATE_KEYS = ("state", "error", "elapsed_s", "started_s", "ended_s", "cut_by", "failed_tries")
GUESS_KEYS = (("server", "server"), ("front_door", "front door"))
CUT_BEFORE_RESPONSE = {"reset", "closed"}  # the tries' failures before any response
IDENTIFIED_KEYS = ("key", "name", "role", "evidence", "by", "documented")
EDGE_KEYS = ("front_door", "app_server", "layers")
PHASES = (("DNS", "dns_s"), ("connect", "connect_s"), ("TLS handshake", "tls_s"),
          ("first byte", "ttfb_s"), ("total", "total_s"))
NOT_RUN = ("pending", "skipped")


def doctor_view(document: Mapping[str, Any], when: datetime | None = None) -> PasteView:
    findings = [mapping(entry) for entry in sequence(document.get("findings"))]
    items = sorted((_finding(entry) for entry in findings), key=lambda item: -rank(item.severity))
    skipped = [mapping(entry) for entry in sequence(document.get("skipped"))]
    complete = document.get("complete") is not False
    verdict = text(document.get("verdict")) or "ok"
    if not complete and verdict == "ok":
        verdict = "incomplete"
    probes = mapping(document.get("probes"))
    protocols = protocols_grid(mapping(probes.get("keepalive")), mapping(probes.get("race")),
                               mapping(probes.get("http2")))
    inference = mapping(document.get("inference"))
    return PasteView(
        command="doctor", verdict=verdict, target=text(document.get("target")) or "",
        summary=_summary(items, len(skipped), complete), when=resolve_when(document, when),
        items_heading="Findings", items=tuple(items), document=document,
        elapsed_s=number(document.get("elapsed_s")), note=_partial_note(document, complete),
        measurements=_measurements(document, protocols), probes=_probe_rows(document),
        unverified=tuple(Unverified(text(entry.get("id")) or "?",
                                    prose(str(entry.get("title") or "")),
                                    prose(str(entry.get("reason") or "not evaluated")))
                         for entry in skipped),
        timeline=_timeline(document), guesses=_guesses(inference),
        guess_notes=_guess_notes(inference), protocols=protocols,
    )


def _finding(entry: Mapping[str, Any]) -> Item:
    return Item(id=text(entry.get("id")) or "?",
                severity=text(entry.get("severity")) or "?",
                title=prose(str(entry.get("title") or "")),
                detail=detail_blocks(text(entry.get("detail"))),
                fix=fix_blocks(text(entry.get("fix"))),
                extras=extra_fields(entry, FINDING_KEYS))


def _summary(items: list[Item], not_evaluated: int, complete: bool) -> str:
    failures = sum(1 for item in items if item.severity == "fail")
    warnings = sum(1 for item in items if item.severity == "warn")
    found = ", ".join(sentence_count(count, noun) for count, noun in
                      ((failures, "failure"), (warnings, "warning")) if count)
    found = found or ("no problems found" if complete else "no problems found yet")
    return found + (f"; {not_evaluated} not evaluated" if not_evaluated else "")


def _partial_note(document: Mapping[str, Any], complete: bool) -> str | None:
    if complete:
        return None
    cut_by = text(document.get("cut_by"))
    return (f"cut short ({cut_by}): a partial report" if cut_by
            else "interrupted: a partial report")


# --- measurements -----------------------------------------------------------------------


def _measurements(document: Mapping[str, Any], protocols: Grid | None) -> tuple[Row, ...]:
    """What the protocols' table does not show already."""
    probes = mapping(document.get("probes"))
    keepalive = mapping(probes.get("keepalive"))
    if protocols is None:
        http1 = [*_keepalive_rows(keepalive), *_race_rows(mapping(probes.get("race")))]
    else:
        http1 = [Row(f"keep-alive {row.name}", row.value)
                 for row in extra_fields(keepalive, KEEPALIVE_KEYS)]
    rows = [*_fresh_rows(mapping(document.get("fresh_requests"))), *http1,
            *_http2_rows(mapping(probes.get("http2"))),
            *_timing_rows(mapping(probes.get("timing"))),
            *_burst_rows(mapping(probes.get("burst"))),
            *_slow_client_rows(mapping(probes.get("slow_client"))),
            *_origin_rows(mapping(probes.get("origin")), document.get("origin")),
            *_edge_rows(mapping(document.get("edge")), ""),
            *_edge_rows(mapping(document.get("origin_edge")), "origin "),
            *_assumption_rows(mapping(document.get("assumptions")))]
    for key, value in probes.items():
        if key not in KNOWN_PROBES:
            rows.extend(flatten(value, str(key)))
    for key, value in document.items():
        if key not in KNOWN_KEYS:
            rows.extend(flatten(value, str(key)))
    return tuple(rows)


def _fresh_rows(fresh: Mapping[str, Any]) -> list[Row]:
    """"13 requests on fresh connections, 4 cut before any response; up to 5 tries each"
    (`tries` is the limit of tries per request, not the tries made)."""
    sent = number(fresh.get("sent"))
    if sent is None:
        return []
    cut = number(fresh.get("cut")) or 0
    failures = {str(kind): count for kind, count in mapping(fresh.get("failures")).items()
                if number(count)}
    if not cut:
        how = "none cut"
    elif set(failures) <= CUT_BEFORE_RESPONSE:
        how = f"{cut:g} cut before any response"
    else:
        how = f"{cut:g} cut (" + ", ".join(f"{scalar(count)} {kind}"
                                           for kind, count in failures.items()) + ")"
    tries = number(fresh.get("tries"))
    limit = f"; up to {tries:g} tries each" if tries is not None else ""
    noun = "request" if sent == 1 else "requests"
    return [Row("fresh requests", plain(f"{sent:g} {noun} on fresh connections, {how}{limit}"))]


def _http2_rows(http2: Mapping[str, Any]) -> list[Row]:
    """HTTP/2 when it was not spoken (else the protocols' table shows it), and fields
    added later."""
    if not http2:
        return []
    rows = [] if speaks_h2(http2) else [Row("HTTP/2", http2_not_spoken(http2))]
    rows.extend(Row(f"http2.{row.name}", row.value) for row in extra_fields(http2, HTTP2_KEYS))
    return rows


def _keepalive_rows(section: Mapping[str, Any]) -> list[Row]:
    if not section:
        return []
    rows: list[Row] = []
    status, version = number(section.get("status")), text(section.get("http_version"))
    if status is not None:
        rows.append(Row("response", plain(f"HTTP/{version or '?'} {status:g}")))
    closed = idle_close_value(section)
    if closed is not None:
        rows.append(Row("idle close", closed))
    if section.get("persistent") is not None:
        rows.append(Row("advertised keep-alive", advertised_value(section)))
    most = number(section.get("advertised_max_requests"))
    if most is not None:
        rows.append(Row("advertised max requests", plain(f"{most:g}")))
    rows.extend(_served_rows(mapping(section.get("requests_per_connection"))))
    rows.extend(Row(f"keep-alive {row.name}", row.value)
                for row in extra_fields(section, KEEPALIVE_KEYS))
    return rows


def _served_rows(served: Mapping[str, Any]) -> list[Row]:
    count = number(served.get("served"))
    if count is None:
        return []
    ended_by = text(served.get("ended_by")) or "?"
    if served.get("lower_bound") is True:
        return [Row("requests per connection", plain(f"at least {count:g} ({ended_by})"))]
    return [Row("requests per connection", plain(f"{count:g}, then {ended_by}"))]


def _race_rows(race: Mapping[str, Any]) -> list[Row]:
    return [Row("reuse race", plain(reuse_race_summary(race)))] if race else []


def _spread(spread: Mapping[str, Any]) -> str | None:
    p50, p95 = number(spread.get("p50")), number(spread.get("p95"))
    if p50 is None or p95 is None:
        return None
    return f"{duration(p50)} / {duration(p95)}"


def _timing_rows(timing: Mapping[str, Any]) -> list[Row]:
    if not timing:
        return []
    samples = number(timing.get("samples"))
    statuses = ", ".join(scalar(status) for status in sequence(timing.get("statuses")))
    rows = [Row("timing", plain(f"{samples or 0:g} fresh connections"
                                + (f", answered {statuses}" if statuses else "")))]
    for name, key in PHASES:
        spread = _spread(mapping(timing.get(key)))
        if spread is not None:
            rows.append(Row(f"{name} p50 / p95", plain(spread)))
    tls = mapping(timing.get("tls"))
    if tls:
        days = number(tls.get("cert_days_left"))
        expiry = ("certificate not verified" if days is None
                  else f"certificate expires in {days:.0f} days")
        rows.append(Row("TLS", plain(f"{tls.get('version') or 'TLS'}, ALPN "
                                     f"{tls.get('alpn') or 'none'}, {expiry}")))
    return rows


def _burst_rows(burst: Mapping[str, Any]) -> list[Row]:
    if not burst:
        return []
    outcomes = ", ".join(f"{scalar(count)} {outcome}"
                         for outcome, count in mapping(burst.get("outcomes")).items() if count)
    rows = [Row("burst", plain(f"{scalar(burst.get('connections'))} connections x "
                               f"{scalar(burst.get('requests_per_connection'))} requests: "
                               f"{outcomes or 'nothing answered'}"))]
    statuses = ", ".join(f"{scalar(count)} x {status}"
                         for status, count in mapping(burst.get("statuses")).items())
    if statuses:
        rows.append(Row("burst statuses", plain(statuses)))
    spread = _spread(mapping(burst.get("latency_s")))
    if spread is not None:
        rows.append(Row("burst latency p50 / p95", plain(spread)))
    first_failure = text(burst.get("first_failure"))
    if first_failure is not None:
        rows.append(Row("burst first failure", plain(first_failure)))
    return rows


def _slow_client_rows(slow: Mapping[str, Any]) -> list[Row]:
    rows = []
    for name in ("headers", "body"):
        give_up = mapping(slow.get(name))
        seconds = number(give_up.get("seconds"))
        if seconds is None:
            continue
        if give_up.get("lower_bound") is True:
            value = f"still waiting after {seconds:.1f} s"
        else:
            status = number(give_up.get("status"))
            how = f"{status:g}" if status is not None else str(give_up.get("kind") or "?").upper()
            value = f"{how} after {seconds:.2f} s"
        rows.append(Row(f"slow client: {name}", plain(value)))
    return rows


def _origin_rows(origin: Mapping[str, Any], url: object) -> list[Row]:
    closed = idle_close_value(origin)
    if closed is None:
        return []
    return [Row("origin idle close", (code(url) + plain(": ") if text(url) else ()) + closed)]


def _edge_rows(edge: Mapping[str, Any], prefix: str) -> list[Row]:
    rows = []
    for key, name in (("front_door", "front door"), ("app_server", "app server")):
        found = mapping(edge.get(key))
        if found:
            rows.append(Row(prefix + name, _identified(found)))
    for key, value in edge.items():
        if key not in EDGE_KEYS:
            rows.extend(flatten(value, f"{prefix}edge.{key}"))
    return rows


def _identified(found: Mapping[str, Any]) -> Inline:
    value = plain(found.get("name") or found.get("key") or "?")
    evidence = [code(entry) for entry in sequence(found.get("evidence"))]
    by = text(found.get("by"))
    if evidence or by:
        value += plain(f" (by {by or 'evidence'}" + (": " if evidence else ""))
        value += joined(evidence) + plain(")")
    extras = extra_fields(found, IDENTIFIED_KEYS)
    if extras:
        value += plain("; ") + joined((plain(f"{row.name}: ") + row.value for row in extras),
                                      "; ")
    return value


def _assumption_rows(assumptions: Mapping[str, Any]) -> list[Row]:
    rows = []
    for key, name in (("lb_idle_timeout", "proxy idle timeout"),
                      ("client_expiry", "client pool expiry")):
        assumed = mapping(assumptions.get(key))
        seconds = number(assumed.get("seconds"))
        if seconds is None:
            continue
        basis, source = text(assumed.get("basis")), text(assumed.get("source"))
        rows.append(Row(name, plain(f"{seconds:g} s" + (f", {basis}" if basis else "")
                                    + (f": {source}" if source else ""))))
    return rows


# --- the server and the front door ------------------------------------------------------


def _guesses(inference: Mapping[str, Any]) -> tuple[Guess, ...]:
    guesses = []
    for key, role in GUESS_KEYS:
        guess = mapping(inference.get(key))
        if not guess:
            continue
        guesses.append(Guess(
            role=role, name=str(guess.get("name") or guess.get("component") or "?"),
            confidence=text(guess.get("confidence")) or "?",
            basis=tuple(prose(str(basis)) for basis in sequence(guess.get("basis"))),
            fix=fix_blocks(text(guess.get("fix"))),
            alternatives=tuple(scalar(other) for other in sequence(guess.get("alternatives")))))
    return tuple(guesses)


def _guess_notes(inference: Mapping[str, Any]) -> tuple[Inline, ...]:
    if not inference or _guesses(inference):
        return ()
    notes = tuple(prose(str(note)) for note in sequence(inference.get("notes")))
    return notes or (plain("not identified from its behaviour"),)


# --- probes -----------------------------------------------------------------------------


def _probe_rows(document: Mapping[str, Any]) -> tuple[ProbeRow, ...]:
    rows = []
    for key, value in mapping(document.get("probe_states")).items():
        entry = mapping(value)
        note: list[Inline] = []
        if text(entry.get("cut_by")):
            note.append(plain(f"cut by {entry['cut_by']}"))
        if text(entry.get("error")):
            note.append(plain(entry["error"]))
        failed = _failed_tries(sequence(entry.get("failed_tries")))
        if failed:
            note.append(plain(failed))
        note.extend(plain(f"{row.name}: ") + row.value
                    for row in extra_fields(entry, STATE_KEYS))
        state = text(entry.get("state")) or "?"
        seconds = None if state in NOT_RUN else number(entry.get("elapsed_s"))
        rows.append(ProbeRow(PROBE_LABELS.get(key, str(key)), state, seconds,
                             joined(note, "; ")))
    return tuple(rows)


def _failed_tries(tries: Sequence[Any]) -> str | None:
    """"2 tries failed: 1 reset, 1 closed"."""
    if not tries:
        return None
    kinds: dict[str, int] = {}
    for failed in map(mapping, tries):
        kind = str(failed.get("failure") or "?")
        kinds[kind] = kinds.get(kind, 0) + 1
    return (f"{len(tries)} {'try' if len(tries) == 1 else 'tries'} failed: "
            + ", ".join(f"{count} {kind}" for kind, count in kinds.items()))


# --- timeline ---------------------------------------------------------------------------


def _timeline(document: Mapping[str, Any]) -> Timeline | None:
    states = {str(key): mapping(value)
              for key, value in mapping(document.get("probe_states")).items()}
    if not states:
        return None
    bars = {key: _bar(key, entry) for key, entry in states.items()}
    probes = mapping(document.get("probes"))
    keepalive = mapping(probes.get("keepalive"))
    idle_start = _start(bars.get("keepalive")) + (number(keepalive.get("idle_started_s"))
                                                 or 0.0)
    marks = _marks(document, keepalive, idle_start, bars)
    race = mapping(probes.get("race"))
    dots = tuple(Dot(idle_start + idle, text(attempt.get("outcome")) == "ok",
                     f"reused after {idle:.2f} s idle: {attempt.get('outcome')}")
                 for attempt in map(mapping, sequence(race.get("attempts")))
                 if (idle := number(attempt.get("idle_s"))) is not None)
    return Timeline(tuple(bars.values()), tuple(sorted(marks, key=lambda m: m.seconds)), dots,
                    "reuse race" if dots else "")


def _start(bar: Bar | None) -> float:
    return bar.start_s if bar is not None and bar.start_s is not None else 0.0


def _bar(key: str, entry: Mapping[str, Any]) -> Bar:
    state = text(entry.get("state")) or "?"
    elapsed = number(entry.get("elapsed_s")) or 0.0
    cut_by = text(entry.get("cut_by"))
    cut = state == "interrupted" or cut_by is not None
    label = PROBE_LABELS.get(key, key)
    if state in NOT_RUN:
        reason = text(entry.get("error"))
        return Bar(label, None, None, state, f"{state}: {reason}" if reason else state)
    # Probes start together once the preflight has answered, unless the document says when.
    start = number(entry.get("started_s")) or 0.0
    end = number(entry.get("ended_s"))
    end = end if end is not None else start + elapsed
    if cut:
        note = f"cut ({cut_by or state}) after {duration(elapsed)}"
    elif state == "failed":
        note = f"failed after {duration(elapsed)}"
    else:
        note = f"{state} in {duration(elapsed)}" if state != "done" else duration(elapsed)
    return Bar(label, start, end, state, note, cut)


def _marks(document: Mapping[str, Any], keepalive: Mapping[str, Any], idle_start: float,
           bars: Mapping[str, Bar]) -> list[Mark]:
    probes = mapping(document.get("probes"))
    marks = [mark for mark in (close_mark(mapping(probes.get("http2")),
                                          _start(bars.get("http2")), "HTTP/2"),
                               close_mark(mapping(probes.get("origin")),
                                          _start(bars.get("origin")), "origin"))
             if mark is not None]
    for key, value in probes.items():  # a later protocol's section with its close
        if key not in KNOWN_PROBES:
            other = close_mark(mapping(value), _start(bars.get(key)) if key in bars
                               else idle_start, str(key))
            if other is not None:
                marks.append(other)
    server = close_mark(keepalive, idle_start)
    if server is None:
        return marks
    marks.append(server)
    advertised = advertised_mark(keepalive, idle_start)
    if advertised is not None:
        marks.append(advertised)
    assumptions = mapping(document.get("assumptions"))
    for key, symbol, name in (("lb_idle_timeout", "P", "proxy idle"),
                              ("client_expiry", "C", "client pool expiry")):
        assumed = mapping(assumptions.get(key))
        seconds = number(assumed.get("seconds"))
        if seconds is not None:
            basis = text(assumed.get("basis")) or "stated"
            marks.append(Mark(idle_start + seconds, symbol, f"{name} {seconds:g} s ({basis})",
                              "assumed" if basis == "assumed" else "stated"))
    return marks

