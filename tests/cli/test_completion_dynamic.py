"""Dynamic completion (seatctl.cli.completers, seatctl.cli.completion_script): event names
and ids from the fresh catalog, job ids from the journal, profiles and config keys.

Driven as the shells drive it: `python -m seatctl` in a subprocess with Typer's completion
variables (bash: COMP_WORDS/COMP_CWORD; zsh and fish: _TYPER_COMPLETE_ARGS), in the isolated
XDG folders of conftest. Where the shell itself is installed, its committed script is run
too. The API's base URL is a listening socket that must never see a connection: TAB never
asks the network.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from seatctl.api.models import Event
from seatctl.booking.catalog import Catalog
from seatctl.booking.catalog_file import EVENTS_MAX_AGE, catalog_path, fresh_listing
from seatctl.booking.journal import Journal
from seatctl.booking.journal_file import journal_path, recent_jobs
from seatctl.cli import completers
from seatctl.cli.completion_script import bash_word, open_quote, zsh_command, zsh_item
from seatctl.config import active
from seatctl.config.settings import KEYS, Settings, load_settings
from tests.helpers import write_config
from tests.support.clock import ManualWallClock

ROOT = Path(__file__).resolve().parents[2]
COMPLETION_VARS = ("_SEATCTL_COMPLETE", "COMP_WORDS", "COMP_CWORD", "_TYPER_COMPLETE_ARGS",
                   "_TYPER_COMPLETE_FISH_ACTION")
NAMES = ["Symphony Night", "Symphony Matinee", "Children's Concert", 'Say "Hi"',
         "Rock $HOME `x`", "Jazz: Live", "Two  Spaces", "Shared", "Shared"]


@pytest.fixture
def api() -> Iterator[socket.socket]:
    """The API's address: listening, never answering; completion must not connect to it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        yield listener
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected


@pytest.fixture
def base_url(api: socket.socket, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"http://127.0.0.1:{api.getsockname()[1]}"
    monkeypatch.setenv("SEATCTL_BASE_URL", url)
    return url


def events(*names: str) -> list[Event]:
    return [Event.model_validate({"id": f"evt{number:03d}", "name": name})
            for number, name in enumerate(names)]


def store(base_url: str, listed: list[Event], *, age: float = 0.0,
          complete: bool = True) -> None:
    now = time.time() - age
    Catalog.for_base_url(base_url, now=lambda: now).store_events(listed, complete=complete)


@pytest.fixture
def catalog(base_url: str) -> list[Event]:
    listed = events(*NAMES, "Bad\x1b[31mName")
    store(base_url, listed)
    return listed


def run(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in COMPLETION_VARS} | extra
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "seatctl"], env=env, capture_output=True,
                            text=True, timeout=30, cwd=ROOT)
    assert time.monotonic() - started < 10  # at once: nothing waited on a network
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return result


def bash(*words: str) -> list[str]:
    """The candidates for the last word, as bash's completion function gets them."""
    out = run({"_SEATCTL_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(words),
               "COMP_CWORD": str(len(words) - 1)}).stdout
    return [line for line in out.splitlines() if line]  # none: an empty line


def zsh(line: str) -> str:
    return run({"_SEATCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line}).stdout


def fish(line: str) -> list[str]:
    out = run({"_SEATCTL_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": line,
                "_TYPER_COMPLETE_FISH_ACTION": "get-args"}).stdout
    return [line for line in out.splitlines() if line]


# --- event names and ids ------------------------------------------------------------------


def test_event_names_complete_from_the_fresh_catalog(catalog: list[Event]) -> None:
    assert bash("seatctl", "seats", "Sym") == ["Symphony\\ Night", "Symphony\\ Matinee"]
    assert bash("seatctl", "book", "Jazz") == ["Jazz\\:\\ Live"]
    assert fish("seatctl book Sym") == ["Symphony Night\tevt000", "Symphony Matinee\tevt001"]


def test_every_name_is_offered_for_an_empty_word_and_ids_by_prefix(
    catalog: list[Event],
) -> None:
    offered = fish("seatctl seats ")
    assert [line.split("\t")[0] for line in offered] == [
        "Symphony Night", "Symphony Matinee", "Children's Concert", 'Say "Hi"',
        "Rock $HOME `x`", "Jazz: Live", "Two  Spaces", "Shared"]
    assert "Shared\t2 events: evt007, evt008" in offered  # a shared name: give the id
    assert fish("seatctl seats evt00") == [  # help on one line, its spaces single
        f"evt00{n}\t{' '.join(name.split())}" for n, name in enumerate(NAMES)] + ["evt009"]


def test_a_name_with_control_characters_is_not_offered_only_its_id(
    catalog: list[Event],
) -> None:
    assert bash("seatctl", "seats", "Bad") == []
    assert bash("seatctl", "seats", "evt009") == ["evt009"]


def test_without_a_fresh_catalog_nothing_is_offered(base_url: str) -> None:
    assert bash("seatctl", "seats", "") == []  # no catalog at all
    store(base_url, events("Symphony Night"), age=EVENTS_MAX_AGE + 1)
    assert bash("seatctl", "seats", "Sym") == []
    assert zsh("seatctl seats Sym") == "_files\n"  # the shell's own fallback


def test_only_the_catalog_of_the_server_in_use_is_read(
    base_url: str, config_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    store(base_url, events("Symphony Night"))
    store("https://other.example", events("Opera Gala"))
    assert bash("seatctl", "seats", "") == ["Symphony\\ Night"]
    assert bash("seatctl", "--base-url", "https://other.example/", "seats", "") == [
        "Opera\\ Gala"]
    # a global option after the command counts, as when the command runs
    assert bash("seatctl", "seats", "--base-url", "https://other.example", "") == [
        "Opera\\ Gala"]
    write_config(config_path, '[profiles.staging]\nbase_url = "https://other.example"\n')
    monkeypatch.delenv("SEATCTL_BASE_URL")
    assert bash("seatctl", "-p", "staging", "book", "") == ["Opera\\ Gala"]
    assert bash("seatctl", "book", "--profile=staging", "") == ["Opera\\ Gala"]


def test_a_partial_listing_still_offers_its_names(base_url: str) -> None:
    store(base_url, events("Symphony Night"), complete=False)
    assert bash("seatctl", "seats", "") == ["Symphony\\ Night"]


# --- quoting: what each shell inserts ---------------------------------------------------------


@pytest.mark.parametrize("name", NAMES[:7])
def test_bash_reads_each_candidate_back_as_the_name(name: str) -> None:
    for quote in (None, "'", '"'):
        typed = bash_word(name, quote)
        word = f"{quote}{typed}{quote}" if quote else typed  # readline closes the quote
        assert bash_reads(word) == [name]


def bash_reads(word: str) -> list[str]:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                          f'for word in {word}; do printf "%s\\0" "$word"; done'],
                         capture_output=True, text=True, check=True).stdout
    return out.split("\0")[:-1]


def test_bash_candidates_follow_an_opening_quote(catalog: list[Event]) -> None:
    assert bash("seatctl", "seats", '"Chil') == ["Children's Concert"]
    assert bash("seatctl", "seats", "'Chil") == ["Children'\\''s Concert"]
    assert bash("seatctl", "seats", "Chil") == ["Children\\'s\\ Concert"]
    assert bash("seatctl", "seats", "Symphony\\ N") == ["Symphony\\ Night"]


def test_open_quote_is_that_of_the_word_being_completed() -> None:
    assert open_quote('seatctl seats "Sym', 2) == '"'
    assert open_quote("seatctl seats 'Sym", 2) == "'"
    assert open_quote("seatctl seats Sym", 2) is None
    assert open_quote('seatctl seats "Symphony Night" --seat', 4) is None


def test_zsh_gets_every_space_and_quote_escaped_for_arguments(catalog: list[Event]) -> None:
    assert zsh("seatctl seats Sym") == (
        "_arguments '*: :((Symphony\\ Night:evt000 Symphony\\ Matinee:evt001))'\n")
    assert zsh_item("Jazz: Live", "evt005") == "Jazz\\\\\\:\\ Live:evt005"
    assert zsh_command([]) == "_files"


def test_zsh_evaluates_the_candidates_to_the_names(catalog: list[Event]) -> None:
    """What Typer's zsh script does with the output: split it at whitespace and evaluate
    it, then `_arguments` evaluates its ((...)) list and `_describe` splits each entry at
    its first unescaped colon (emulated: a real TAB needs a terminal)."""
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed")
    output = zsh("seatctl seats ")
    script = ('_arguments() { local action=${1#*: :}; local -a ws; '
              'eval "ws=( ${action[3,-3]} )"; print -rNC1 -- "${ws[@]}"; }; '
              'eval $(<&0)')
    entries = subprocess.run(["zsh", "-f", "-c", script], input=output, capture_output=True,
                             text=True, check=True).stdout.split("\0")[:-1]
    values = [re.split(r"(?<!\\):", entry, maxsplit=1)[0].replace("\\:", ":")
              for entry in entries]
    assert values == NAMES[:8]
    assert entries[0] == "Symphony Night:evt000"


def test_fish_runs_its_committed_script(catalog: list[Event], tmp_path: Path) -> None:
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed")
    seatctl = on_path(tmp_path)
    script = f"source {ROOT / 'completions/seatctl.fish'}; complete -C 'seatctl seats Chil'"
    env = {k: v for k, v in os.environ.items() if k not in COMPLETION_VARS}
    env["PATH"] = f"{seatctl.parent}{os.pathsep}{env['PATH']}"
    out = subprocess.run(["fish", "--no-config", "-c", script], env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.splitlines() == ["Children's Concert\tevt002"]


def test_bash_runs_its_committed_script(catalog: list[Event], tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    seatctl = on_path(tmp_path)
    script = (f"source {ROOT / 'completions/seatctl.bash'}; "
              "COMP_WORDS=(seatctl seats Chil); COMP_CWORD=2; "
              f"_seatctl_completion {seatctl}; "
              'for reply in "${COMPREPLY[@]}"; do eval "set -- $reply"; '
              'printf "%s|%s\\n" "$#" "$1"; done')
    env = {k: v for k, v in os.environ.items() if k not in COMPLETION_VARS}
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.splitlines() == ["1|Children's Concert"]  # one word, the whole name


def on_path(folder: Path) -> Path:
    seatctl = folder / "bin" / "seatctl"
    seatctl.parent.mkdir(exist_ok=True)
    seatctl.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m seatctl "$@"\n')
    seatctl.chmod(0o755)
    return seatctl


# --- job ids, profiles, keys ----------------------------------------------------------------


def journal_with_jobs(base_url: str) -> None:
    with Journal(Journal.default_path()) as journal:
        for number, profile in enumerate(["default", "staging", "default", "default"]):
            entry = journal.create(
                key=str(uuid.uuid4()), profile=profile, base_url=base_url, event_id="evt000",
                event_name="Symphony Night", seat_ids=[f"s{number}"],
                seat_labels=[f"Orchestra:A{number}"], quantity=None)
            if number < 3:
                journal.add_job(entry.key, f"job-{number}")
                journal.add_job(entry.key, f"job-{number}-again")  # the newest is offered


def test_job_ids_come_from_the_journal_newest_first_of_the_active_profile(
    base_url: str, config_path: Path,
) -> None:
    journal_with_jobs(base_url)
    write_config(config_path, "[profiles.staging]\n")
    assert bash("seatctl", "watch", "") == ["job-2-again", "job-0-again"]
    assert bash("seatctl", "watch", "job-0") == ["job-0-again"]
    assert bash("seatctl", "-p", "staging", "watch", "") == ["job-1-again"]
    assert bash("seatctl", "watch", "-p", "staging", "") == ["job-1-again"]
    assert fish("seatctl watch ")[0] == (
        "job-2-again\tSymphony Night: Orchestra:A2 (queued)")


def test_booking_ids_come_from_the_journal_for_every_command_that_takes_one(
    base_url: str, config_path: Path,
) -> None:
    journal_with_jobs(base_url)
    with Journal(Journal.default_path()) as journal:
        entries = journal.recent(limit=10, profile=None)
        for number, entry in enumerate(reversed(entries)):
            if number != 1:
                journal.update(entry.key, state="confirmed", booking_id=f"cbook{number}")
        journal.mark_cancelled("cbook0")
    write_config(config_path, "[profiles.staging]\n")
    for command in ("cancel", "ticket", "verify", "checkin"):
        assert bash("seatctl", command, "") == ["cbook3", "cbook2", "cbook0"], command
    assert bash("seatctl", "cancel", "cbook2", "cbook0") == ["cbook0"]
    assert bash("seatctl", "-p", "staging", "ticket", "") == []
    assert fish("seatctl ticket cbook0")[0] == (
        "cbook0\tSymphony Night: Orchestra:A0 (cancelled)")


def test_without_a_journal_no_job_is_offered_and_none_is_created(base_url: str) -> None:
    assert bash("seatctl", "watch", "") == []
    assert not Journal.default_path().exists()


def test_profiles_come_from_the_config_file(base_url: str, config_path: Path) -> None:
    write_config(config_path, 'base_url = "https://top.example"\n'
                              '[profiles.staging]\nbase_url = "https://staging.example"\n'
                              '[profiles.prod-eu]\n[profiles."not valid"]\n')
    assert bash("seatctl", "--profile", "") == ["default", "prod-eu", "staging"]
    assert bash("seatctl", "-p", "st") == ["staging"]
    assert fish("seatctl --profile ") == ["default\thttps://top.example",
                                          "prod-eu\thttps://top.example",
                                          "staging\thttps://staging.example"]
    # a global option after the command, still waiting for its value
    assert bash("seatctl", "events", "-p", "st") == ["staging"]
    assert bash("seatctl", "seats", "--profile", "") == ["default", "prod-eu", "staging"]


def test_without_a_config_file_the_default_profile_is_offered(base_url: str) -> None:
    assert bash("seatctl", "--profile", "") == ["default"]


def test_config_keys_complete(base_url: str) -> None:
    assert bash("seatctl", "config", "set", "") == list(KEYS)
    assert bash("seatctl", "config", "unset", "re") == [
        "read_timeout", "retries", "retry_deadline"]
    assert fish("seatctl config set ver") == ["verify_tls\tverify TLS certificates"]


def test_command_and_option_names_still_complete(base_url: str) -> None:
    assert bash("seatctl", "con") == ["config"]
    assert bash("seatctl", "events", "--li") == ["--limit"]


# --- cheap: no heavy import on any completion path ----------------------------------------------

HEAVY = ("pydantic", "httpx", "httpcore", "rich", "tomlkit", "tenacity", "seatctl.server",
         "seatctl.booking.catalog", "seatctl.booking.journal", "seatctl.config.settings")


@pytest.mark.parametrize("words", [
    ("seatctl", "seats", "Sym"), ("seatctl", "watch", ""), ("seatctl", "--profile", ""),
    ("seatctl", "config", "set", ""),
])
def test_completion_loads_no_heavy_module(catalog: list[Event], base_url: str,
                                          config_path: Path, words: tuple[str, ...]) -> None:
    journal_with_jobs(base_url)
    write_config(config_path, "[profiles.staging]\n")
    for shell in ("bash", "zsh"):
        env = {k: v for k, v in os.environ.items() if k not in COMPLETION_VARS}
        env.update({"_SEATCTL_COMPLETE": f"complete_{shell}", "COMP_WORDS": " ".join(words),
                    "COMP_CWORD": str(len(words) - 1),
                    "_TYPER_COMPLETE_ARGS": " ".join(words)})
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "seatctl"], env=env,
                              capture_output=True, text=True, timeout=60, check=True)
        assert proc.stdout.strip()  # something was offered
        modules = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
                   if line.startswith("import time:")}
        assert "seatctl.cli.completers" in modules
        assert [name for name in HEAVY if any(m == name or m.startswith(name + ".")
                                              for m in modules)] == []


# --- the light readers agree with the real ones ---------------------------------------------


def test_the_light_catalog_reader_reads_what_the_catalog_writes(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    now = 1_800_000_000.0
    catalog = Catalog.for_base_url("https://api.example", env, now=lambda: now)
    assert fresh_listing("https://api.example", env, now=lambda: now) is None
    catalog.store_events(events("Symphony Night", "Jazz"), complete=True)
    assert fresh_listing("https://api.example", env, now=lambda: now) == [
        ("evt000", "Symphony Night"), ("evt001", "Jazz")]
    later = now + EVENTS_MAX_AGE - 0.5
    assert fresh_listing("https://api.example", env, now=lambda: later) is not None
    assert catalog.path == catalog_path("https://api.example", env)
    for stale in (now + EVENTS_MAX_AGE, now - 1):  # too old; a clock set back
        clock = ManualWallClock(stale)
        assert fresh_listing("https://api.example", env, now=clock) is None
        assert Catalog.for_base_url("https://api.example", env, now=clock).events() is None
    assert fresh_listing("https://other.example", env, now=lambda: now) is None
    catalog.path.write_text("{not json")
    assert fresh_listing("https://api.example", env, now=lambda: now) is None


def test_the_light_journal_reader_reads_what_the_journal_writes(
    base_url: str, tmp_path: Path,
) -> None:
    journal_with_jobs(base_url)
    assert journal_path() == Journal.default_path()
    assert journal_path({"HOME": "/home/ada"}) == Journal.default_path({"HOME": "/home/ada"})
    with Journal(Journal.default_path()) as journal:
        for profile in ("default", "staging", "nobody"):
            expected = [entry.job_id for entry in journal.recent(limit=50, profile=profile)
                        if entry.job_id]
            assert [job["job_id"] for job in recent_jobs(journal.path, profile, 50)] == expected
    assert recent_jobs(journal.path, "default", 1)[0] == {
        "job_id": "job-2-again", "event_name": "Symphony Night", "event_id": "evt000",
        "seat_labels": ["Orchestra:A2"], "quantity": None, "state": "queued"}
    other = tmp_path / "other.db"
    other.write_bytes(b"not a database at all" * 100)
    assert recent_jobs(other, "default", 50) == []
    assert recent_jobs(tmp_path / "missing.db", "default", 50) == []


def test_config_keys_and_defaults_are_the_settings_own() -> None:
    assert tuple(completers.CONFIG_KEYS) == KEYS
    assert {key: field.description for key, field in Settings.model_fields.items()} == dict(
        completers.CONFIG_KEYS)
    assert Settings.model_fields["base_url"].default == active.DEFAULT_BASE_URL
    assert Settings.model_fields["profile"].default == active.DEFAULT_PROFILE


@pytest.mark.parametrize(("config", "env"), [
    ("", {}),
    ('base_url = "https://top.example/"\n', {}),
    ('profile = "staging"\n[profiles.staging]\nbase_url = "https://staging.example"\n', {}),
    ('[profiles.staging]\nbase_url = "https://staging.example"\n',
     {"SEATCTL_PROFILE": "staging"}),
    ('[profiles.staging]\nbase_url = "https://staging.example"\n',
     {"SEATCTL_PROFILE": "staging", "SEATCTL_BASE_URL": "https://env.example"}),
    ('base_url = "https://top.example"\n[profiles.staging]\n', {"seatctl_profile": "staging"}),
    ('base_url = "https://top.example"\n', {"SEATCTL_BASE_URL": ""}),
])
def test_the_active_profile_and_base_url_are_chosen_as_settings_choose_them(
    config_path: Path, config: str, env: dict[str, str],
) -> None:
    write_config(config_path, config)
    environ = {**os.environ, **env}
    loaded = load_settings(env=environ).settings
    assert active.active_settings({}, environ) == (loaded.profile, loaded.base_url)
