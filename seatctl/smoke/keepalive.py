"""The keep-alive check of `seatctl smoke`: the doctor's keep-alive probe, cut short.

One request on a raw connection, then:

* the response advertises `Keep-Alive: timeout=N` with N at or above the bound: pass at
  once ("advertised"; the doctor's keepalive-header rule is what checks that promise);
* else the connection is watched passively, at most `bound` seconds: the server's close
  within the bound fails, with the measured idle close and the doctor's fix for the
  identified server; still open at the bound passes ("observed at least N s").

Why a bound of DEFAULT_BOUND (15 s): the application servers' defaults that cause the seed's
502s and ECONNRESETs close idle connections after 2 to 6 s (Node 5 s + 1 s, uvicorn and
Next.js 5 s, gunicorn 2 s), while the proxies in front keep theirs 60 s or more (AWS ALB,
nginx, Fly.io 60 s, Heroku 90 s, Caddy 120 s, Google 600 s, Cloudflare 900 s): a backend
that closes sooner than 15 s is below every one of those. Waiting the full 60 s would
prove more but makes every CI run a minute longer; `seatctl doctor` measures the rest.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from seatctl.diagnostics.connection import CloseKind, ConnectOptions, RawResponse
from seatctl.diagnostics.edge import EdgeResult, identify
from seatctl.diagnostics.findings import PROXY_IDLE_MARGIN, Basis, proxy_idle
from seatctl.diagnostics.fixes import keep_alive_fix
from seatctl.diagnostics.probes import KeepAliveResult, keep_alive_probe, parse_keep_alive
from seatctl.smoke.report import KEEP_ALIVE, CheckResult, failed, passed

DEFAULT_BOUND = 15.0
MAX_PLAUSIBLE_TIMEOUT = 86400.0  # seconds: a longer advertised timeout counts as unparsed


async def keep_alive_check(url: str, bound: float, time_left: float,
                           options: ConnectOptions, *, trust_advertised: bool = True
                           ) -> CheckResult:
    """Measure `url` (its path: the health check's) within `time_left` seconds.

    `trust_advertised` False (the run saw a reused connection cut): the Keep-Alive header
    does not pass the check, the passive wait decides."""
    wait = max(0.001, min(bound, time_left))
    clipped = replace(options, timeouts=options.timeouts.clipped(time_left))
    try:
        async with asyncio.timeout(time_left):  # the request before the wait included
            seen = await _probe(url, bound, wait, clipped, trust_advertised)
    except TimeoutError:
        return failed(KEEP_ALIVE, f"not finished within the {time_left:.1f} s left "
                                  "(--max-time)", {"bound_s": bound})
    if isinstance(seen, RawResponse):
        return _advertised(seen, bound)
    result = judge(seen, bound)
    if trust_advertised or _advertised_timeout(seen.keep_alive_header) is None:
        return result
    return replace(result, warnings=(*result.warnings, DISTRUSTED))


DISTRUSTED = ("the Keep-Alive header was not taken at its word: a reused connection was "
              "reset or closed earlier in this run, so the idle close was watched instead")


async def _probe(url: str, bound: float, wait: float, options: ConnectOptions,
                 trust_advertised: bool) -> KeepAliveResult | RawResponse:
    """The probe's result; or only its first response, when that advertised enough."""
    first: asyncio.Future[RawResponse] = asyncio.get_running_loop().create_future()

    def on_response(response: RawResponse) -> None:
        if not first.done():
            first.set_result(response)

    probe = asyncio.ensure_future(
        keep_alive_probe(url, wait, options=options, on_response=on_response))
    try:
        either: list[asyncio.Future[Any]] = [probe, first]
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if trust_advertised and first.done() and _advertises(first.result(), bound):
            return first.result()
        return await probe
    finally:
        probe.cancel()
        await asyncio.gather(probe, return_exceptions=True)


def _advertised_timeout(header: str | None) -> float | None:
    """The header's `timeout=N`; None when absent, unparsed or implausible (over a day: no
    server keeps an idle connection that long, so the header is not a promise to trust)."""
    timeout = parse_keep_alive(header).timeout_s
    return timeout if timeout is not None and timeout <= MAX_PLAUSIBLE_TIMEOUT else None


def _advertises(response: RawResponse, bound: float) -> bool:
    timeout = _advertised_timeout(response.header("keep-alive"))
    return response.keeps_alive and timeout is not None and timeout >= bound


def _advertised(response: RawResponse, bound: float) -> CheckResult:
    timeout = _advertised_timeout(response.header("keep-alive"))
    assert timeout is not None
    edge = identify(response.headers, status=response.status)
    details = {**_common(bound, edge), "basis": "advertised", "status": response.status,
               "keep_alive_header": response.header("keep-alive"),
               "advertised_timeout_s": timeout, "idle_close_s": None,
               "idle_close_lower_bound": None, "close_kind": None}
    return passed(KEEP_ALIVE, f"Keep-Alive: timeout={timeout:g} advertised, at or above the "
                              f"{bound:g} s bound (advertised, not waited for)", details,
                  _answer_warnings(response.status))


def _answer_warnings(status: int) -> tuple[str, ...]:
    if status < 400:
        return ()
    return (f"the health check's path answered {status}: the connection measured may be a "
            "proxy's, not the application's",)


def judge(result: KeepAliveResult, bound: float) -> CheckResult:
    """The verdict on a finished probe whose idle wait (`max_wait_s`) was at most `bound`
    seconds: shorter when --max-time left less."""
    closed = result.idle_close
    advertised = _advertised_timeout(result.keep_alive_header)
    result = replace(result, advertised_timeout_s=advertised)
    edge = identify(result.headers, advertised_keep_alive_s=advertised,
                    idle_close_s=None if closed.lower_bound else closed.seconds,
                    status=result.status)
    details = {**_common(bound, edge), "status": result.status,
               "keep_alive_header": result.keep_alive_header,
               "advertised_timeout_s": result.advertised_timeout_s,
               "idle_close_s": round(closed.seconds, 3),
               "idle_close_lower_bound": closed.lower_bound,
               "close_kind": closed.kind.value if closed.kind else None}
    warnings = _answer_warnings(result.status)
    if not result.persistent:
        return passed(KEEP_ALIVE, "the server does not keep connections alive "
                                  "(Connection: close): no idle connection to lose",
                      {**details, "basis": "not-persistent"},
                      ("every response says Connection: close: each request pays a new "
                       "connection (and TLS handshake)", *warnings))
    if closed.lower_bound and result.max_wait_s >= bound:  # waited the whole bound
        return passed(KEEP_ALIVE, f"an idle connection was still open after "
                                  f"{closed.seconds:.1f} s: at least the {bound:g} s bound "
                                  "(observed)", {**details, "basis": "observed"}, warnings)
    if closed.lower_bound:
        return failed(KEEP_ALIVE, f"out of time: the idle connection was still open after "
                                  f"{closed.seconds:.1f} s, short of the {bound:g} s bound "
                                  "(raise --max-time)", {**details, "basis": "out-of-time"})
    return _closed_too_soon(result, bound, edge, {**details, "basis": "closed"})


def _closed_too_soon(result: KeepAliveResult, bound: float, edge: EdgeResult,
                     details: dict[str, Any]) -> CheckResult:
    closed = result.idle_close
    how = "reset" if closed.kind is CloseKind.RESET else "closed"
    promised = (f" (its Keep-Alive header promised {result.advertised_timeout_s:g} s)"
                if result.advertised_timeout_s is not None else "")
    proxy = proxy_idle(None, edge)
    target = proxy.seconds + PROXY_IDLE_MARGIN
    app_server = edge.app_server.component.key if edge.app_server else None
    if proxy.basis is Basis.ASSUMED:
        source = "the common load-balancer default (AWS ALB, Fly.io, nginx upstream)"
        longer_than = (f"the proxy in front ({proxy.seconds:g} s is {source}; `seatctl "
                       "doctor URL --lb-idle-timeout N` compares with yours)")
    else:
        source = proxy.source
        longer_than = f"the proxy in front ({proxy.seconds:g} s, {proxy.basis.value}: {source})"
    details = {**details, "fix_keep_alive_s": target,
               "proxy_idle_timeout": {"seconds": proxy.seconds, "basis": proxy.basis.value,
                                      "source": source}}
    return failed(
        KEEP_ALIVE,
        f"the server {how} an idle connection after {closed.seconds:.2f} s, within the "
        f"{bound:g} s bound{promised}: a proxy or client that reuses it later gets a 502 "
        "or ECONNRESET",
        details,
        fix=f"Keep idle connections open longer than {longer_than}:\n"
            f"{keep_alive_fix(app_server, target)}",
    )


def _common(bound: float, edge: EdgeResult) -> dict[str, Any]:
    return {"bound_s": bound,
            "front_door": edge.front_door.component.key if edge.front_door else None,
            "app_server": edge.app_server.component.key if edge.app_server else None}
