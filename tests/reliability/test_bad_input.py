"""Bad input from the user's side: property tests over seat labels, event names, URLs,
config files and environment values (issue #7).

Every invocation runs in-process (tests.helpers.Cli) against the real reference server or a
closed loopback port, and must end with a result (0), a usage/config error (2: exactly one
`error:` line on stderr) or the documented code of a real condition (3 taken, 6 unreachable,
8 not found); never 1 with "unexpected error", never a traceback, never a raw escape
sequence echoed back.

Name resolution is replaced by a loopback-only resolver for the whole module: every host
name or address resolves to a closed port on 127.0.0.1 (or fails as DNS does), so no
generated URL can reach another machine or another service of this one.

Default suite: ~150 examples per property (SEATCTL_FUZZ_EXAMPLES overrides); the
`@pytest.mark.long` variants run thousands. Outcomes are counted in OUTCOMES and printed
by the long runs (`pytest -m long -s tests/reliability/test_bad_input.py`).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import string
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import tomlkit
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from seatctl.booking.labels import split_labels
from seatctl.config.settings import KEYS, load_settings
from seatctl.errors import ConfigError
from seatctl.server import ReferenceServer
from tests.conftest import StartServer
from tests.helpers import Cli, Outcome
from tests.server.helpers import login
from tests.support.servers import closed_loopback_port

DEFAULT_EXAMPLES = int(os.environ.get("SEATCTL_FUZZ_EXAMPLES", "60"))
LONG_EXAMPLES = 2000
OUTCOMES: Counter[tuple[str, int]] = Counter()
ALLOWED_EXITS: dict[str, set[int]] = {}  # per input, the exit codes `check` allowed
RAW_CONTROLS = ("\x1b", "\x9b", "\x07", "\r", "\u202e")

# --- strategies ---------------------------------------------------------------------------

HOSTILE_PIECES = (
    "\x00", "\x1b[2J", "\x1b]0;title\x07", "\r", "\n", "\t", "\x9b", "\x7f", "\u202e",
    "\u2066", "\u200b", "\ufeff", "\ud800", "\udcff", "\U0010ffff", "\ue000", " ", "'", '"',
    "%", "%00", "/", "../", "?", "#", ":", ",", ";", "\\", "$HOME", "[", "]", "{", "}", "=",
    "-", "--", "--help", "A12", "Orchestra:", "orch:", "R27-3", "é", "ÿ", "日本", "😀",
)


def hostile_text(*, surrogates: bool = True, nul: bool = True,
                 max_pieces: int = 6) -> st.SearchStrategy[str]:
    """Unicode (every category, surrogates where allowed), control characters, NUL,
    whitespace, characters with meaning to seatctl's parsers, and very long strings."""
    excluded = ([] if surrogates else ["Cs"])
    characters = st.characters(exclude_categories=excluded)  # type: ignore[arg-type]
    pieces = [p for p in HOSTILE_PIECES
              if (surrogates or not any(0xD800 <= ord(c) <= 0xDFFF for c in p))
              and (nul or "\x00" not in p)]
    chunk = st.one_of(st.text(characters, max_size=12), st.sampled_from(pieces))
    mixed = st.lists(chunk, max_size=max_pieces).map("".join)
    long = st.builds(lambda piece, n: piece * n,
                     st.sampled_from(["A", "é", "\x1b[", "9", " ", "日"]),
                     st.integers(500, 20_000))
    text = st.one_of(mixed, mixed, mixed, long)
    return text if nul else text.map(lambda s: s.replace("\x00", ""))


def env_text() -> st.SearchStrategy[str]:
    """What an environment value can hold: no NUL; undecodable bytes as surrogateescape."""
    escaped = st.integers(0x80, 0xFF).map(lambda b: chr(0xDC00 + b))
    return st.one_of(hostile_text(surrogates=False, nul=False),
                     st.lists(st.one_of(hostile_text(surrogates=False, nul=False, max_pieces=2),
                                        escaped), max_size=4).map("".join))


def url_text(closed_port: int) -> st.SearchStrategy[str]:
    """Random text, and URL-shaped text whose host is loopback, a name (resolved by the
    loopback-only resolver) or garbage, with ports valid, absent, out of range or not
    numbers, credentials, queries and fragments."""
    hosts = st.one_of(
        st.sampled_from(["127.0.0.1", "localhost", "[::1]", "[::1", "127.0.0.1]", "",
                         "xn--", "xn--zz", "a..b", ".", "-a-", "@", "user:pw@127.0.0.1"]),
        hostile_text(max_pieces=3).filter(_not_an_address),
    )
    ports = st.sampled_from(["", f":{closed_port}", ":0", ":65536", ":99999999999", ":-1",
                             ":abc", ":", ": 80", ":\u0661\u0662"])
    rests = st.one_of(st.sampled_from(["", "/", "/api", "?q=1", "#f", "/%zz", "/a b"]),
                      hostile_text(max_pieces=2))
    schemes = st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "http:/", "//",
                               "", "javascript:", "http:\\\\", " http://"])
    shaped = st.builds(lambda s, h, p, r: s + h + p + r, schemes, hosts, ports, rests)
    return st.one_of(shaped, shaped, hostile_text())


def _not_an_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return True
    return False


TOML_PIECES = ([f"{key} = " for key in KEYS] + [
    "[profiles.default]\n", "[profiles]\n", "profile = ", "[[profiles]]\n", '"', "'''",
    "\n", "=", "[", "]", "{", "}", "nan", "inf", "-1", "1e999", "true", "0x10", "1979-05-27",
    "#", "\\u0000", "\\", "\x00", "\ufeff",
])


def toml_ish_bytes() -> st.SearchStrategy[bytes]:
    """Random bytes, and TOML fragments glued with random text (some not UTF-8)."""
    fragments = st.lists(st.one_of(st.sampled_from(TOML_PIECES), hostile_text(max_pieces=2)),
                         max_size=12).map("".join)
    encoded = fragments.map(lambda s: s.encode("utf-8", "surrogatepass"))
    return st.one_of(st.binary(max_size=300), encoded, encoded)


def toml_values(closed_port: int, live_url: str) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.integers(-(2**63), 2**63 - 1), st.floats(), st.booleans(),
        hostile_text(surrogates=False, nul=False), st.datetimes(), st.dates(), st.times(),
        url_text(closed_port).map(lambda s: s.encode("utf-8", "replace").decode()),
        st.sampled_from([live_url, "0", "-1", "1e9", "3600", "20", "21", "default"]),
    )
    return st.one_of(scalars, st.lists(scalars, max_size=3),
                     st.dictionaries(st.sampled_from(KEYS), scalars, max_size=2))


def valid_toml_with_wrong_values(closed_port: int, live_url: str) -> st.SearchStrategy[str]:
    """Valid TOML whose keys are seatctl's (and strangers) with any type and value."""
    keys = st.one_of(st.sampled_from(KEYS), st.text(string.ascii_letters + "_-", min_size=1,
                                                    max_size=12))
    tables = st.dictionaries(keys, toml_values(closed_port, live_url), max_size=4)
    profiles = st.dictionaries(st.sampled_from(["default", "x", "prod"]),
                               st.one_of(tables, toml_values(closed_port, live_url)),
                               max_size=2)
    documents = st.builds(lambda top, p, use: {**top, **({"profiles": p} if use else {})},
                          tables, profiles, st.booleans())
    return documents.map(tomlkit.dumps)


# --- checking one outcome -----------------------------------------------------------------


def check(name: str, outcome: Outcome, allowed: set[int]) -> None:
    """A result, a usage error with one `error:` line, or a documented condition."""
    OUTCOMES[(name, outcome.exit_code)] += 1
    ALLOWED_EXITS.setdefault(name, set()).update(allowed)
    both = outcome.stdout + outcome.stderr
    assert "Traceback" not in both, str(outcome)
    assert "unexpected error" not in both, str(outcome)
    assert outcome.exit_code in allowed, str(outcome)
    if outcome.exit_code == 2:
        errors = [line for line in outcome.stderr.splitlines()  # click's own say "Error:"
                  if line.lower().startswith("error:")]
        assert len(errors) == 1, str(outcome)
    if outcome.exit_code != 0:
        assert "error:" in outcome.stderr.lower(), str(outcome)
    for raw in RAW_CONTROLS:  # what the user typed is echoed escaped, like a server's text
        assert raw not in both, f"raw {raw!r} in output\n{outcome}"


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def closed_port() -> int:
    """tests/conftest.py's, once per module: hypothesis's tests take no function-scoped
    fixture."""
    return closed_loopback_port()


LIVE_PORTS: set[int] = set()  # the reference servers of this module: reached as addressed


@pytest.fixture(autouse=True)
def loopback_only_resolver(monkeypatch: pytest.MonkeyPatch, closed_port: int) -> None:
    """Loopback names resolve to the closed port on 127.0.0.1 (the test's own servers to
    themselves); every other name fails as DNS does."""
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host or "")
        if name.strip("[]") not in ("127.0.0.1", "localhost", "::1") or not name.isascii():
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        live = name == "127.0.0.1" and str(port).isdigit() and int(port) in LIVE_PORTS
        return real("127.0.0.1", int(port) if live else closed_port, socket.AF_INET,
                    socket.SOCK_STREAM)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


@pytest.fixture
def fast_env(isolated_env: dict[str, str]) -> dict[str, str]:
    """No retries: an unreachable URL fails at once."""
    return {"SEATCTL_RETRIES": "0"}


Run = Callable[..., Outcome]


def live(server: ReferenceServer) -> ReferenceServer:
    port = urlsplit(server.url).port
    assert port is not None
    LIVE_PORTS.add(port)
    return server


@pytest.fixture
def server(start_server: StartServer) -> ReferenceServer:
    return live(start_server())


@pytest.fixture
def booking_server(start_server: StartServer) -> Iterator[tuple[ReferenceServer, str]]:
    server = live(start_server(process_delay=0.0))
    yield server, login(server)


def examples(n: int) -> Callable[[Any], Any]:
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


# --- seat labels --------------------------------------------------------------------------

SEAT_ALLOWED = {0, 2, 3}  # 0: a label that names a free seat is booked (--no-wait)


def seat_label_property(cli: Cli, server: ReferenceServer, token: str, label: str,
                        many: bool) -> None:
    flag = "--seats" if many else "--seat"
    outcome = cli("--base-url", server.url, "--token", token, "book", "symphony", flag, label,
                  "--no-wait")
    check("book --seats" if many else "book --seat", outcome, SEAT_ALLOWED)


@examples(DEFAULT_EXAMPLES)
@given(label=hostile_text(), many=st.booleans())
@example(label="\ud800", many=False)
@example(label="Orchestra:\udcff,\x1b[2J", many=True)
def test_any_seat_label_is_a_booking_or_a_usage_error(
    cli: Cli, booking_server: tuple[ReferenceServer, str], label: str, many: bool,
) -> None:
    seat_label_property(cli, *booking_server, label, many)


@pytest.mark.long
@examples(LONG_EXAMPLES)
@given(label=hostile_text(), many=st.booleans())
def test_any_seat_label_long(cli: Cli, booking_server: tuple[ReferenceServer, str],
                             label: str, many: bool) -> None:
    seat_label_property(cli, *booking_server, label, many)


@examples(DEFAULT_EXAMPLES * 4)
@given(values=st.lists(hostile_text(), max_size=4))
def test_split_labels_never_yields_an_empty_or_padded_label(values: list[str]) -> None:
    for label in split_labels(values):
        assert label and label == label.strip() and "," not in label


# --- event names and ids ------------------------------------------------------------------

# 3: a name so long that the request line passes the server's 16 KiB limit is a 431, which
# seatctl reports as the server's rejection (exit 3), as documented for other 4xx.
EVENT_ALLOWED = {0, 2, 3, 8}


def event_name_property(cli: Cli, server: ReferenceServer, token: str, event: str,
                        command: str) -> None:
    args = (["seats", event] if command == "seats"
            else ["book", event, "--seat", "Nowhere:Z99", "--no-wait"])
    outcome = cli("--base-url", server.url, "--token", token, *args)
    check(command + " EVENT", outcome, EVENT_ALLOWED)


@examples(DEFAULT_EXAMPLES)
@given(event=hostile_text(), command=st.sampled_from(["seats", "book"]))
@example(event="\ud800", command="seats")
@example(event="sym\udcff", command="book")
def test_any_event_name_is_a_result_a_usage_error_or_not_found(
    cli: Cli, booking_server: tuple[ReferenceServer, str], event: str, command: str,
) -> None:
    event_name_property(cli, *booking_server, event, command)


@pytest.mark.long
@examples(LONG_EXAMPLES)
@given(event=hostile_text(), command=st.sampled_from(["seats", "book"]))
def test_any_event_name_long(cli: Cli, booking_server: tuple[ReferenceServer, str],
                             event: str, command: str) -> None:
    event_name_property(cli, *booking_server, event, command)


# --- URLs ---------------------------------------------------------------------------------

URL_ALLOWED = {2, 6}
URL_COMMANDS = ("--base-url", "SEATCTL_BASE_URL", "doctor", "smoke")


def url_property(cli: Cli, env: Mapping[str, str], url: str, where: str) -> None:
    if where == "--base-url":
        outcome = cli("--base-url", url, "ping", env=env)
    elif where == "SEATCTL_BASE_URL":
        url = url.replace("\x00", "").encode("utf-8", "surrogateescape"
                                             if _escapable(url) else "replace").decode(
            "utf-8", "surrogateescape")
        outcome = cli("ping", env={**env, "SEATCTL_BASE_URL": url})
    elif where == "doctor":
        outcome = cli("doctor", url, "--quick", "--max-wait", "2", env=env)
    else:
        outcome = cli("smoke", url, "--max-time", "5", env=env)
    check(f"url {where}", outcome, URL_ALLOWED)


class FixedUrl:
    """Stands in for st.data() in an @example: draws one given URL."""

    def __init__(self, url: str) -> None:
        self.url = url

    def draw(self, strategy: object, label: str = "") -> str:
        return self.url


def _escapable(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


@examples(DEFAULT_EXAMPLES)
@given(data=st.data(), where=st.sampled_from(URL_COMMANDS))
@example(data=FixedUrl("http://\ud800/"), where="--base-url")
@example(data=FixedUrl("http://\udcff/"), where="SEATCTL_BASE_URL")
@example(data=FixedUrl("http://\ud800/"), where="doctor")
@example(data=FixedUrl("http://\ud800/"), where="smoke")
@example(data=FixedUrl("http://a\x00b/"), where="--base-url")
def test_any_url_is_refused_as_usage_or_unreachable(
    cli: Cli, fast_env: dict[str, str], closed_port: int, data: st.DataObject, where: str,
) -> None:
    url_property(cli, fast_env, data.draw(url_text(closed_port), label="url"), where)


@pytest.mark.long
@examples(LONG_EXAMPLES)
@given(data=st.data(), where=st.sampled_from(URL_COMMANDS))
def test_any_url_long(cli: Cli, fast_env: dict[str, str], closed_port: int,
                      data: st.DataObject, where: str) -> None:
    url_property(cli, fast_env, data.draw(url_text(closed_port), label="url"), where)


# --- config files -------------------------------------------------------------------------

CONFIG_ALLOWED = {0, 2, 6}


def config_file_property(cli: Cli, config_path: Path, content: bytes, *, ping: bool) -> None:
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_bytes(content)
    check("config show", cli("config", "show"), {0, 2})
    if ping:  # up to --timeout 3 when the file's base_url is the closed port: long runs only
        check("ping with config", cli("--timeout", "3", "ping"), CONFIG_ALLOWED)


@examples(DEFAULT_EXAMPLES)
@given(data=st.data())
def test_any_config_file_is_read_or_refused_with_one_line(
    cli: Cli, config_path: Path, server: ReferenceServer, closed_port: int,
    data: st.DataObject,
) -> None:
    content = data.draw(st.one_of(
        toml_ish_bytes(),
        valid_toml_with_wrong_values(closed_port, server.url).map(str.encode)), label="file")
    config_file_property(cli, config_path, content, ping=False)


@pytest.mark.long
@examples(LONG_EXAMPLES)
@given(data=st.data())
def test_any_config_file_long(cli: Cli, config_path: Path, server: ReferenceServer,
                              closed_port: int, data: st.DataObject) -> None:
    content = data.draw(st.one_of(
        toml_ish_bytes(),
        valid_toml_with_wrong_values(closed_port, server.url).map(str.encode)), label="file")
    config_file_property(cli, config_path, content, ping=True)


@examples(DEFAULT_EXAMPLES)
@given(data=st.data())
def test_load_settings_raises_only_config_errors(
    tmp_path: Path, server: ReferenceServer, closed_port: int, data: st.DataObject,
) -> None:
    """The layer under the CLI: any file yields settings or one ConfigError."""
    text = data.draw(valid_toml_with_wrong_values(closed_port, server.url), label="file")
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_settings(env={}, path=path)
    except ConfigError as exc:
        assert "\n" not in str(exc)


# --- environment values -------------------------------------------------------------------

ENV_NAMES = (*(f"SEATCTL_{key.upper()}" for key in KEYS),
             "SEATCTL_CONFIG", "SEATCTL_EMAIL", "SEATCTL_PASSWORD")


def env_property(cli: Cli, server: ReferenceServer, name: str, value: str) -> None:
    env = {"SEATCTL_BASE_URL": server.url, "SEATCTL_RETRIES": "0", name: value}
    check(f"env {name} config show", cli("config", "show", env=env), {0, 2})
    check(f"env {name} ping", cli("--timeout", "3", "ping", env=env), {0, 2, 6})


@examples(DEFAULT_EXAMPLES)
@given(name=st.sampled_from(ENV_NAMES), value=env_text())
def test_any_environment_value_is_used_or_refused_with_one_line(
    cli: Cli, server: ReferenceServer, name: str, value: str,
) -> None:
    env_property(cli, server, name, value)


@pytest.mark.long
@examples(LONG_EXAMPLES)
@given(name=st.sampled_from(ENV_NAMES), value=env_text())
def test_any_environment_value_long(cli: Cli, server: ReferenceServer, name: str,
                                    value: str) -> None:
    env_property(cli, server, name, value)


def outcome_table(outcomes: Counter[tuple[str, int]]) -> list[str]:
    """A row per input and exit code, with how many runs ended so."""
    return [f"{name:32} exit {code:>3}  {count:>6}"
            for (name, code), count in sorted(outcomes.items())]


def test_the_outcome_table_has_a_row_per_input_and_exit_code() -> None:
    outcomes = Counter({("url smoke", 6): 12, ("config show", 2): 1500, ("config show", 0): 3})
    assert outcome_table(outcomes) == [
        "config show                      exit   0       3",
        "config show                      exit   2    1500",
        "url smoke                        exit   6      12",
    ]


@pytest.mark.long
def test_print_outcome_table() -> None:
    """Runs last in `pytest -m long -s`: the figures for docs/reliability.md, every row an
    exit code its input allows."""
    if not OUTCOMES:
        pytest.skip("no property ran before this test: run the whole file with -m long")
    table = outcome_table(OUTCOMES)
    assert len(table) == len(OUTCOMES)
    unexpected = [(name, code) for name, code in OUTCOMES if code not in ALLOWED_EXITS[name]]
    assert not unexpected, unexpected
    print("\n".join(table))
