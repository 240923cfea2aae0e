"""The server and the front door inferred from recorded probe results: headers, the measured
idle close against the advertised one, the answer to an unfinished head, error-page bodies
and the HTTP/2 facts; each guess with its basis, its confidence and its fix."""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from pathlib import Path

import httpx
import pytest
import trustme

from seatctl.diagnostics.defaults import COMPONENTS, SOURCE_URLS
from seatctl.diagnostics.fixes import FRONT_DOOR_FIXES, KEEP_ALIVE_FIXES
from seatctl.diagnostics.identify import (
    Confidence,
    ErrorPage,
    Evidence,
    Guess,
    HeaderTimeout,
    Http2Facts,
    Inference,
    infer,
)
from seatctl.diagnostics.probes import keep_alive_probe
from seatctl.diagnostics.results import (
    CloseKind,
    GiveUp,
    GiveUpKind,
    Headers,
    IdleClose,
    RawResponse,
    SlowClientResult,
    TLSInfo,
    keep_alive_result,
)
from seatctl.diagnostics.targets import ConnectOptions
from tests.diagnostics.h2servers import (
    WAIT_LIMIT,
    HypercornSettings,
    hypercorn_server,
    nginx_server,
)

NODE_HEADERS: Headers = (("content-type", "application/json"), ("content-length", "2"),
                         ("date", "Sun, 06 Dec 2026 21:55:00 GMT"),
                         ("connection", "keep-alive"), ("keep-alive", "timeout=5"))
CLOUDFLARE: Headers = (("server", "cloudflare"), ("cf-ray", "8a1b2c3d4e5f6a7b-FRA"))
NGINX_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
             "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n"
             "</body>\r\n</html>\r\n")
HAPROXY_502 = ("<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or "
               "incomplete response.\n</body></html>\n")
HAPROXY_408 = ("<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a "
               "complete request in time.\n</body></html>\n")
HEROKU_503 = ('<!DOCTYPE html>\n<html>\n<head>\n<title>Application Error</title>\n</head>\n'
              '<body>\n<iframe src="//www.herokucdn.com/error-pages/application-error.html">'
              "</iframe>\n</body>\n</html>")
CLOUDFLARE_522 = ('<div id="cf-wrapper"><div id="cf-error-details" class="p-0"><h1>Connection '
                  "timed out</h1><span>Cloudflare Ray ID: <strong>8a1b</strong></span>")
ENVOY_503 = ("upstream connect error or disconnect/reset before headers. reset reason: "
             "connection termination")


def closed(seconds: float, kind: CloseKind = CloseKind.FIN) -> IdleClose:
    return IdleClose(seconds=seconds, kind=kind, lower_bound=False)


def still_open(seconds: float) -> IdleClose:
    return IdleClose(seconds=seconds, kind=None, lower_bound=True)


def keep_alive(headers: Headers, close: IdleClose, advertised: float | None = None
               ) -> Evidence:
    return Evidence(headers=headers, status=200, persistent=True,
                    advertised_keep_alive_s=advertised, idle_close=close)


def node_like(advertised: float, close_s: float, *extra: tuple[str, str]) -> Evidence:
    headers = (*extra, ("connection", "keep-alive"), ("keep-alive", f"timeout={advertised:g}"))
    return keep_alive(headers, closed(close_s), advertised)


def server(inference: Inference) -> Guess:
    assert inference.server is not None, inference
    return inference.server


def front(inference: Inference) -> Guess:
    assert inference.front_door is not None, inference
    return inference.front_door


def basis(guess: Guess) -> str:
    return " | ".join(guess.basis)


# --- Node's advertised timeout plus its 1 s buffer ------------------------------------------


def test_nodes_default_closes_a_second_after_the_five_it_advertises() -> None:
    inference = infer(keep_alive(NODE_HEADERS, closed(6.02), 5.0))
    guess = server(inference)
    assert (guess.component_key, guess.confidence) == ("node", Confidence.LIKELY)
    assert guess.basis[0] == (
        "`Keep-Alive: timeout=5` and the idle connection closed (FIN) at 6.02 s: 5 s plus "
        "Node's 1 s keepAliveTimeoutBuffer; Node.js's default before v26 (keepAliveTimeout 5 s)")
    assert "as Node's http.Server writes them" in basis(guess)  # the header order agrees
    assert guess.fix is not None and "server.keepAliveTimeout = 65_000" in guess.fix
    assert "server.headersTimeout = 66_000" in guess.fix
    assert inference.front_door is None


def test_sixty_five_plus_one_is_node_26s_default_or_the_seeds_fix() -> None:
    guess = server(infer(node_like(65, 66.01)))
    assert (guess.component_key, guess.confidence) == ("node", Confidence.LIKELY)
    assert "Node 26's new default or the seed's fix (keepAliveTimeout 65 s)" in basis(guess)
    assert "66.0 s" in basis(guess)


def test_seventy_two_plus_one_is_fastifys_default() -> None:
    guess = server(infer(node_like(72, 73.0)))
    assert (guess.component_key, guess.confidence) == ("fastify", Confidence.LIKELY)
    assert guess.alternatives == ("node",)
    assert guess.fix is not None and "fastify({ keepAliveTimeout: 65_000 })" in guess.fix


def test_any_other_advertised_value_plus_one_is_node_configured_so() -> None:
    guess = server(infer(node_like(30, 31.1)))
    assert guess.component_key == "node"
    assert "Node.js with keepAliveTimeout = 30 s" in basis(guess)


def test_a_close_the_header_does_not_promise_is_only_possible() -> None:
    """timeout=65 advertised, closed at 6 s: Node's default close under a hand-set header."""
    guess = server(infer(node_like(65, 6.0)))
    assert (guess.component_key, guess.confidence) == ("node", Confidence.POSSIBLE)
    assert "although the response advertises `Keep-Alive: timeout=65`" in basis(guess)


def test_the_reference_server_is_named_by_its_header_and_its_node_close_agrees() -> None:
    guess = server(infer(node_like(5, 6.0, ("server", "seatctl-reference/0.1.0"))))
    assert (guess.component_key, guess.confidence) == ("seatctl-reference", Confidence.CERTAIN)
    assert "keepAliveTimeoutBuffer" in basis(guess)
    assert guess.fix is not None and guess.fix.startswith("seatctl serve --keep-alive-timeout 65")


# --- well-known default closes ---------------------------------------------------------------


def test_nginxs_default_close_without_a_keep_alive_header() -> None:
    inference = infer(keep_alive((("connection", "keep-alive"),), closed(75.02)))
    door = front(inference)
    assert (door.component_key, door.confidence) == ("nginx", Confidence.LIKELY)
    assert door.alternatives == ("ingress-nginx",)  # the same product: still likely
    assert basis(door).startswith(
        "the idle connection closed (FIN) at 75.0 s: nginx's default keepalive_timeout (75 s)")
    assert door.fix is not None and "keepalive_timeout 60s;" in door.fix
    assert inference.server is None


def test_nginx_named_by_its_header_with_its_default_close() -> None:
    door = front(infer(keep_alive((("server", "nginx/1.25.3"),), closed(75.0))))
    assert (door.component_key, door.confidence) == ("nginx", Confidence.CERTAIN)
    assert door.basis[0] == "the response's headers: `server: nginx/1.25.3`"
    assert "75.0 s: nginx's default keepalive_timeout (75 s)" in basis(door)


def test_uvicorn_named_by_its_header_and_its_five_second_close() -> None:
    guess = server(infer(keep_alive((("date", "x"), ("server", "uvicorn")), closed(5.01))))
    assert (guess.component_key, guess.confidence) == ("uvicorn", Confidence.CERTAIN)
    assert "5.01 s: uvicorn's default timeout_keep_alive (5 s)" in basis(guess)
    assert guess.fix == "uvicorn app:app --timeout-keep-alive 65"


def test_a_five_second_close_without_headers_is_uvicorn_or_hypercorn() -> None:
    guess = server(infer(keep_alive((("date", "x"),), closed(5.0))))
    assert (guess.component_key, guess.confidence) == ("uvicorn", Confidence.POSSIBLE)
    assert guess.alternatives == ("hypercorn",)
    assert guess.fix is not None
    assert "If it is uvicorn:\nuvicorn app:app --timeout-keep-alive 65" in guess.fix
    assert "If it is Hypercorn:\nhypercorn --keep-alive 65 app:app" in guess.fix


def test_apaches_five_seconds_come_with_its_keep_alive_header() -> None:
    headers = (("connection", "Keep-Alive"), ("keep-alive", "timeout=5, max=100"))
    guess = front(infer(keep_alive(headers, closed(5.0), 5.0)))
    assert (guess.component_key, guess.confidence) == ("apache", Confidence.LIKELY)


def test_gunicorns_sync_workers_close_every_connection() -> None:
    evidence = Evidence(headers=(("server", "gunicorn"), ("connection", "close")), status=200,
                        persistent=False)
    guess = server(infer(evidence))
    assert (guess.component_key, guess.confidence) == ("gunicorn", Confidence.CERTAIN)
    assert "sync workers close every connection" in basis(guess)
    assert guess.fix is not None and "--worker-class gthread" in guess.fix


def test_gunicorns_two_seconds_with_a_threaded_worker() -> None:
    guess = server(infer(keep_alive((("connection", "keep-alive"),), closed(2.0))))
    assert (guess.component_key, guess.confidence) == ("gunicorn", Confidence.LIKELY)


@pytest.mark.parametrize(("close_s", "key"), [
    (20.0, "puma"), (180.2, "traefik"), (300.0, "caddy"), (3600.0, "envoy"),
    (400.0, "cloudflare"), (610.0, "gcp-alb"), (130.0, "kestrel"),
])
def test_a_close_at_a_products_documented_default_names_it(close_s: float, key: str) -> None:
    inference = infer(keep_alive((), closed(close_s)))
    guess = next(g for g in inference.guesses if g.component_key == key)
    assert guess.confidence in (Confidence.LIKELY, Confidence.POSSIBLE)
    assert f"{close_s:.1f} s" in basis(guess)


def test_a_close_at_no_known_default_names_nothing() -> None:
    assert infer(keep_alive((), closed(42.0))) == Inference(None, None)


# --- the front door -----------------------------------------------------------------------------


def test_cloudflare_named_by_its_headers_and_its_400_seconds_toward_clients() -> None:
    door = front(infer(keep_alive(CLOUDFLARE, closed(400.3))))
    assert (door.component_key, door.confidence) == ("cloudflare", Confidence.CERTAIN)
    assert "400.3 s: Cloudflare's default" in basis(door)
    assert door.fix is not None and "above 900 s" in door.fix


def test_cloudflares_error_page_names_it_without_a_header() -> None:
    door = front(infer(Evidence(error_pages=(ErrorPage(522, CLOUDFLARE_522),))))
    assert (door.component_key, door.confidence) == ("cloudflare", Confidence.CERTAIN)
    assert "Cloudflare's error page" in basis(door)


def test_render_behind_cloudflare_with_uvicorn_behind_render() -> None:
    headers = (*CLOUDFLARE, ("rndr-id", "3f1c2a9b"), ("x-render-origin-server", "uvicorn"))
    inference = infer(keep_alive(headers, closed(400.0)))
    door, app = front(inference), server(inference)
    assert (door.component_key, door.confidence) == ("render", Confidence.CERTAIN)
    assert "Cloudflare in front of it" in basis(door)
    assert "400.0 s: Cloudflare's default" in basis(door)  # Cloudflare holds the connection
    assert door.fix is not None and "120 s" in door.fix
    assert (app.component_key, app.confidence) == ("uvicorn", Confidence.CERTAIN)
    assert app.fix == "uvicorn app:app --timeout-keep-alive 120"  # Render's own example


def test_herokus_application_error_page_and_its_router_header() -> None:
    page = ErrorPage(503, HEROKU_503, (("via", "2.0 heroku-router"),))
    door = front(infer(Evidence(error_pages=(page,))))
    assert (door.component_key, door.confidence) == ("heroku-router-2", Confidence.CERTAIN)
    assert "Heroku's error page" in basis(door)
    assert door.fix is not None and "95 s" in door.fix


def test_herokus_page_alone_names_heroku_and_the_app_fix_outlasts_its_router() -> None:
    evidence = Evidence(headers=(("x-powered-by", "Express"),),
                        error_pages=(ErrorPage(503, HEROKU_503),))
    inference = infer(evidence)
    assert front(inference).component_key == "heroku"
    assert server(inference).fix is not None
    assert "server.keepAliveTimeout = 95_000" in (server(inference).fix or "")


def test_the_albs_own_502_names_it() -> None:
    page = ErrorPage(502, "<html><body><center><h1>502 Bad Gateway</h1></center></body></html>",
                     (("server", "awselb/2.0"),))
    door = front(infer(Evidence(error_pages=(page,))))
    assert (door.component_key, door.confidence) == ("aws-alb", Confidence.CERTAIN)
    assert "generated by the ALB itself" in basis(door)
    assert door.fix is not None and "Key=idle_timeout.timeout_seconds,Value=60" in door.fix


def test_a_sixty_second_close_in_front_of_a_named_server_is_a_load_balancer() -> None:
    """The ALB keeps the target's `Server` header: the close is the ALB's, not uvicorn's."""
    inference = infer(keep_alive((("server", "uvicorn"),), closed(60.0)))
    door, app = front(inference), server(inference)
    assert (door.component_key, door.confidence) == ("aws-alb", Confidence.POSSIBLE)
    assert door.alternatives == ("aws-clb", "fly")
    assert app.component_key == "uvicorn" and app.confidence is Confidence.CERTAIN
    assert "60.0 s: not uvicorn's, so a front door holds the client's connection" in basis(app)
    assert app.fix == "uvicorn app:app --timeout-keep-alive 65"  # the ALB's 60 s + 5


def test_haproxys_built_in_502_page() -> None:
    door = front(infer(Evidence(error_pages=(ErrorPage(502, HAPROXY_502),))))
    assert (door.component_key, door.confidence) == ("haproxy", Confidence.CERTAIN)
    assert basis(door) == "error page 1 (502): the body of the 502 is HAProxy's built-in error page"
    assert door.fix is not None and "timeout http-keep-alive" in door.fix


def test_nginxs_own_error_page() -> None:
    door = front(infer(Evidence(error_pages=(ErrorPage(502, NGINX_502),))))
    assert (door.component_key, door.confidence) == ("nginx", Confidence.CERTAIN)


def test_envoys_reply_tells_the_keep_alive_race() -> None:
    door = front(infer(Evidence(error_pages=(ErrorPage(503, ENVOY_503),))))
    assert (door.component_key, door.confidence) == ("envoy", Confidence.CERTAIN)
    assert "the backend closed a connection Envoy reused" in basis(door)


def test_a_page_body_is_evidence_but_never_repeated() -> None:
    hostile = HAPROXY_502 + "\x1b]0;owned\x07<script>x</script>"
    guess = front(infer(Evidence(error_pages=(ErrorPage(502, hostile),))))
    assert "owned" not in basis(guess) and "\x1b" not in basis(guess)


# --- the unfinished request head ---------------------------------------------------------------


def test_nodes_canned_408_between_60_and_90_seconds() -> None:
    page = ErrorPage(408, "", (("connection", "close"),))
    evidence = Evidence(header_timeout=HeaderTimeout(75.3, GiveUpKind.STATUS, 408, page))
    guess = server(infer(evidence))
    assert (guess.component_key, guess.confidence) == ("node", Confidence.LIKELY)
    assert "answered 408 after 75.3 s: Node's headersTimeout" in basis(guess)
    assert "only `Connection: close` and no body" in basis(guess)


def test_a_408_at_nodes_time_without_its_shape_is_only_possible() -> None:
    guess = server(infer(Evidence(header_timeout=HeaderTimeout(61.0, GiveUpKind.STATUS, 408))))
    assert (guess.component_key, guess.confidence) == ("node", Confidence.POSSIBLE)


def test_a_408_outside_nodes_window_names_nothing() -> None:
    for seconds in (30.0, 120.0):
        timeout = HeaderTimeout(seconds, GiveUpKind.STATUS, 408)
        assert infer(Evidence(header_timeout=timeout)) == Inference(None, None)


def test_haproxys_408_page() -> None:
    timeout = HeaderTimeout(10.0, GiveUpKind.STATUS, 408, ErrorPage(408, HAPROXY_408))
    assert front(infer(Evidence(header_timeout=timeout))).component_key == "haproxy"


def test_nginx_closes_an_unfinished_head_at_60_seconds_without_a_408() -> None:
    timeout = HeaderTimeout(60.02, GiveUpKind.FIN)
    door = front(infer(Evidence(header_timeout=timeout)))
    assert (door.component_key, door.confidence) == ("nginx", Confidence.POSSIBLE)
    assert door.alternatives == ("caddy",)
    assert "nginx logs a 408 but sends nothing" in basis(door)
    named = front(infer(Evidence(headers=(("server", "nginx"),), header_timeout=timeout)))
    assert named.confidence is Confidence.CERTAIN
    assert "closed (FIN) without a response after 60.0 s" in basis(named)


# --- conflicting evidence: the header wins, the timing is noted ---------------------------------


def test_a_header_wins_over_a_timing_that_points_elsewhere() -> None:
    guess = server(infer(node_like(5, 6.02, ("server", "uvicorn"))))
    assert (guess.component_key, guess.confidence) == ("uvicorn", Confidence.CERTAIN)
    assert guess.basis[1] == (
        "the idle connection closed (FIN) at 6.02 s, not uvicorn's documented 5 s (it would "
        "fit Node.js http.Server): the header is taken over the timing")
    assert guess.fix == "uvicorn app:app --timeout-keep-alive 65"


def test_a_named_front_door_keeps_its_name_against_the_timing() -> None:
    inference = infer(node_like(5, 6.0, ("server", "nginx/1.25.3")))
    door = front(inference)
    assert (door.component_key, door.confidence) == ("nginx", Confidence.CERTAIN)
    assert "6.00 s, not nginx's documented 75 s" in basis(door)
    assert "the header is taken over the timing" in basis(door)
    assert inference.server is None or inference.server.component_key != "nginx"


# --- lower bounds, HTTP/2 ------------------------------------------------------------------------


def test_a_connection_still_open_rules_out_the_shorter_defaults() -> None:
    inference = infer(keep_alive((), still_open(75.0)))
    assert inference.guesses == ()
    (note,) = inference.notes
    assert note.startswith("the idle connection was still open after 75.0 s: not the default "
                           "of gunicorn (2 s), uvicorn (5 s)")
    assert "AWS Application Load Balancer (60 s)" in note and "nginx" not in note


def test_an_http2_goaway_at_400_seconds_is_cloudflare() -> None:
    facts = Http2Facts(alpn="h2", idle_close_s=400.0, goaway_error="NO_ERROR")
    door = front(infer(Evidence(alpn="h2", http2=facts)))
    assert (door.component_key, door.confidence) == ("cloudflare", Confidence.LIKELY)
    assert "GOAWAY (NO_ERROR) at 400.0 s" in basis(door)


def test_http2_closes_only_match_servers_that_speak_it() -> None:
    """uvicorn speaks only HTTP/1.1: a GOAWAY at 5 s is Hypercorn's."""
    facts = Http2Facts(alpn="h2", idle_close_s=5.0)
    guess = server(infer(Evidence(alpn="h2", http2=facts)))
    assert (guess.component_key, guess.confidence) == ("hypercorn", Confidence.LIKELY)
    assert "closed without a GOAWAY at 5.00 s" in basis(guess) or \
        "closed without a GOAWAY at 5.0 s" in basis(guess)
    assert "got GOAWAY" not in basis(guess)  # none came: the basis must not say one did


def test_h2_in_alpn_means_a_proxy_terminates_tls_in_front_of_an_http1_server() -> None:
    evidence = Evidence(headers=(("date", "x"),), persistent=True, idle_close=closed(5.0),
                        alpn="h2")
    guess = server(infer(evidence))
    assert guess.confidence is Confidence.POSSIBLE
    assert "the TLS endpoint chose h2 in ALPN, which uvicorn does not speak" in basis(guess)


# --- from the doctor's results -------------------------------------------------------------------


def raw_response(headers: Headers, status: int = 200) -> RawResponse:
    return RawResponse(status=status, http_version="1.1", headers=headers, body_bytes=2,
                       sent_at=1.0, first_byte_at=1.01, ended_at=1.02,
                       keeps_alive=status < 500)


def test_evidence_from_the_doctors_results() -> None:
    response = raw_response(NODE_HEADERS)
    slow = SlowClientResult(headers=GiveUp(75.0, GiveUpKind.STATUS, 408, 140),
                            body=GiveUp(300.0, GiveUpKind.STILL_OPEN, None, 900),
                            interval_s=0.5, max_wait_s=300.0)
    tls = TLSInfo(version="TLSv1.3", alpn="http/1.1", cipher=None, cert_days_left=None)
    evidence = Evidence.from_results(
        keep_alive=keep_alive_result(response, closed(6.01), 75.0), first_response=response,
        slow_client=slow, tls=tls,
        header_timeout_page=ErrorPage(408, "", (("connection", "close"),)))
    assert (evidence.advertised_keep_alive_s, evidence.persistent, evidence.alpn) == (
        5.0, True, "http/1.1")
    assert evidence.header_timeout == HeaderTimeout(
        75.0, GiveUpKind.STATUS, 408, ErrorPage(408, "", (("connection", "close"),)))
    guess = server(infer(evidence))
    assert (guess.component_key, guess.confidence) == ("node", Confidence.LIKELY)
    assert "6.01 s" in basis(guess) and "75.0 s: Node's headersTimeout" in basis(guess)


def test_evidence_from_the_preflight_alone() -> None:
    evidence = Evidence.from_results(first_response=raw_response(
        (("server", "awselb/2.0"),), status=502))
    assert (evidence.status, evidence.idle_close) == (502, None)
    assert front(infer(evidence)).component_key == "aws-alb"
    assert Evidence.from_results() == Evidence()
    assert infer(Evidence()) == Inference(None, None)


def test_http2_facts_override_the_first_connections_alpn() -> None:
    tls = TLSInfo(version="TLSv1.3", alpn="http/1.1", cipher=None, cert_days_left=None)
    evidence = Evidence.from_results(tls=tls, http2=Http2Facts(alpn="h2"))
    assert evidence.alpn == "h2"


def test_an_inference_as_plain_json() -> None:
    inference = infer(keep_alive((("server", "uvicorn"),), closed(60.0)))
    document = json.loads(json.dumps(inference.as_dict()))
    assert list(document) == ["front_door", "server", "notes"]
    assert document["front_door"]["component"] == "aws-alb"
    assert document["front_door"]["confidence"] == "possible"
    assert document["front_door"]["alternatives"] == ["aws-clb", "fly"]
    assert document["server"] == {
        "component": "uvicorn", "name": "uvicorn", "confidence": "certain",
        "basis": list(server(inference).basis), "fix": "uvicorn app:app --timeout-keep-alive 65",
        "alternatives": []}
    assert Inference(None, None).as_dict() == {"front_door": None, "server": None, "notes": []}


# --- the knowledge behind the fixes -----------------------------------------------------------


def test_every_guess_names_a_documented_component() -> None:
    evidences = [
        keep_alive(NODE_HEADERS, closed(6.0), 5.0), keep_alive((), closed(60.0)),
        keep_alive((), closed(75.0)), keep_alive(CLOUDFLARE, closed(400.0)),
        Evidence(error_pages=(ErrorPage(503, HEROKU_503), ErrorPage(502, HAPROXY_502))),
        Evidence(header_timeout=HeaderTimeout(60.0, GiveUpKind.FIN)),
    ]
    for evidence in evidences:
        for guess in infer(evidence).guesses:
            assert guess.component_key in COMPONENTS
            assert guess.name == COMPONENTS[guess.component_key].name
            assert set(guess.alternatives) <= set(COMPONENTS)
            assert guess.basis and all(text.strip() for text in guess.basis)


FIXED_KEYS = sorted(set(KEEP_ALIVE_FIXES) | set(FRONT_DOOR_FIXES))
OWN = {"seatctl-reference"}  # the project's own server: its source is seatctl/server/config.py


@pytest.mark.parametrize("key", FIXED_KEYS)
def test_every_component_with_a_fix_is_documented_with_its_official_page(key: str) -> None:
    assert key in COMPONENTS
    if key in OWN:
        return
    assert key in SOURCE_URLS, f"{key}: no source URL in defaults.SOURCE_URLS"
    assert re.fullmatch(r"https://[^\s]+", SOURCE_URLS[key])


FACT_SHEET = Path(__file__).resolve().parents[2] / "docs" / "timeouts-factsheet.md"


def test_the_fact_sheet_cites_every_source_url_once_under_its_key() -> None:
    sheet = FACT_SHEET.read_text(encoding="utf-8")
    cited = dict(re.findall(r"^\| `([a-z0-9-]+)` \| [^|]+ \| <(https://[^>\s]+)> \|$", sheet,
                            re.MULTILINE))
    assert cited == dict(SOURCE_URLS), "docs/timeouts-factsheet.md section 8 and " \
        "defaults.SOURCE_URLS name different pages"


# --- real servers no one here wrote ---------------------------------------------------------


def test_hypercorn_named_by_its_header_with_its_configured_close_noted() -> None:
    """hypercorn with keep_alive_timeout 0.5 s: named by `server: hypercorn-h11`; the close
    is measured and noted against its documented 5 s default."""
    with hypercorn_server(HypercornSettings(keep_alive_timeout=0.5), None) as url:
        result = asyncio.run(keep_alive_probe(f"{url}/health", max_wait=WAIT_LIMIT))
    assert not result.idle_close.lower_bound
    guess = server(infer(Evidence.from_results(keep_alive=result)))
    assert (guess.component_key, guess.confidence) == ("hypercorn", Confidence.CERTAIN)
    assert guess.basis[0] == "the response's headers: `server: hypercorn-h11`"
    assert "not Hypercorn's documented 5 s" in basis(guess)
    assert guess.fix == "hypercorn --keep-alive 65 app:app"


def test_nginx_named_by_its_header_and_by_its_own_error_page(
    tmp_path: Path, tls_ca: trustme.CA, ca_pem: Path,
) -> None:
    options = ConnectOptions(ca_bundle=ca_pem)
    with nginx_server(tmp_path, tls_ca, "1s",
                      extra="location = /bad { return 502; }") as url:
        result = asyncio.run(keep_alive_probe(f"{url}/health", max_wait=WAIT_LIMIT,
                                              options=options))
        verify = ssl.create_default_context(cafile=str(ca_pem))
        with httpx.Client(verify=verify) as client:
            bad = client.get(f"{url}/bad")
    page = ErrorPage(bad.status_code, bad.text, tuple(
        (name.lower(), value) for name, value in bad.headers.items()))
    door = front(infer(Evidence.from_results(keep_alive=result, error_pages=[page])))
    assert (door.component_key, door.confidence) == ("nginx", Confidence.CERTAIN)
    assert door.basis[0].startswith("the response's headers: `server: nginx/")
    assert "not nginx's documented 75 s" in basis(door)  # configured to 1 s
    assert "the body of the 502 is nginx's own error page" in basis(door)
