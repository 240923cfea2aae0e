"""What TAB offers for values: event names and ids, job and booking ids, profiles and config
keys.

The shell runs seatctl on every TAB, so these stay within the start-up budget
(bench/startup.py): the standard library only (no pydantic, httpx or rich), nothing written
and never a request. Event names come from the catalog's events listing while it is fresh
(`seatctl events`, `seats` and `book` keep it); without one nothing is offered. Job and
booking ids come from the journal, newest first, of the active profile. A completer that
cannot read what it needs offers nothing: it never prints an error into the user's shell.

The active profile and base URL are chosen as `seatctl.config.settings` chooses them
(--profile / --base-url, SEATCTL_*, the config file, the defaults), read here with tomllib
alone; tests keep the two, and CONFIG_KEYS and the settings' KEYS, in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import typer

from seatctl.config.paths import config_file

DEFAULT_PROFILE = "default"
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
JOBS_OFFERED = 50
# Every config key and what it sets (as `seatctl.config.settings.Settings` describes them).
CONFIG_KEYS: Mapping[str, str] = {
    "profile": "active profile",
    "base_url": "API base URL",
    "token": "bearer token (secret)",
    "connect_timeout": "TCP+TLS connect timeout, seconds",
    "read_timeout": "wait for response bytes, seconds",
    "write_timeout": "send the request, seconds",
    "pool_timeout": "wait for a pooled connection, seconds",
    "retries": "retries after the first attempt",
    "retry_deadline": "total time for all attempts of one request, seconds",
    "timeout": "overall deadline per command, seconds",
    "verify_tls": "verify TLS certificates",
    "ca_bundle": "extra CA bundle (PEM) to trust",
}

Candidates = list[tuple[str, str]]  # (value, help): zsh and fish show the help beside it


def complete_event(ctx: typer.Context, incomplete: str) -> Candidates:
    """EVENT: the names of the cached events that start with what is typed (each with its
    id, or the ids of the events that share it), and the ids that do."""
    from seatctl.booking.catalog_file import fresh_listing

    events = fresh_listing(active_settings(ctx, os.environ)[1])
    if not events:
        return []
    ids_by_name: dict[str, list[str]] = {}
    for event_id, name in events:
        if _typable(event_id):
            ids_by_name.setdefault(name.strip().casefold(), []).append(event_id)
    offered: dict[str, str] = {}
    for event_id, full_name in events:
        name = full_name.strip()
        ids = ids_by_name.get(name.casefold(), [])
        if event_id not in ids:
            continue
        if _typable(name) and name.startswith(incomplete):
            offered.setdefault(name, ids[0] if len(ids) == 1
                               else f"{len(ids)} events: {', '.join(ids[:3])}"
                                    + (", ..." if len(ids) > 3 else ""))
        if incomplete and event_id.startswith(incomplete):
            offered.setdefault(event_id, name if _typable(name) else "")
    return list(offered.items())


def complete_job_id(ctx: typer.Context, incomplete: str) -> Candidates:
    """JOB_ID: the newest job id of each booking of the active profile, newest first."""
    from seatctl.booking.journal_file import journal_path, recent_jobs

    path = journal_path(os.environ)
    if not path.is_file():
        return []
    offered: dict[str, str] = {}
    for job in recent_jobs(path, active_settings(ctx, os.environ)[0], JOBS_OFFERED):
        job_id = job["job_id"]
        if isinstance(job_id, str) and job_id.startswith(incomplete) and _typable(job_id):
            what = ", ".join(map(str, job["seat_labels"])) or f"{job['quantity']} tickets"
            about = f"{job['event_name'] or job['event_id']}: {what} ({job['state']})"
            offered.setdefault(job_id, about if _typable(about) else "")
    return list(offered.items())


def complete_booking_id(ctx: typer.Context, incomplete: str) -> Candidates:
    """BOOKING: the booking ids the journal knows of the active profile, newest first (a
    booking made elsewhere is not offered: that would take a request)."""
    from seatctl.booking.journal_file import journal_path, recent_bookings

    offered: dict[str, str] = {}
    profile = active_settings(ctx, os.environ)[0]
    for booking in recent_bookings(journal_path(os.environ), profile, JOBS_OFFERED):
        booking_id = booking["booking_id"]
        if isinstance(booking_id, str) and booking_id.startswith(incomplete) \
                and _typable(booking_id):
            what = ", ".join(map(str, booking["seat_labels"])) \
                or f"{booking['quantity']} tickets"
            about = f"{booking['event_name'] or booking['event_id']}: {what} " \
                    f"({booking['state']})"
            offered.setdefault(booking_id, about if _typable(about) else "")
    return list(offered.items())


def complete_profile(ctx: typer.Context, incomplete: str) -> Candidates:
    """--profile: the default profile and those the config file defines, with base URLs."""
    document = read_document(config_file(os.environ))
    offered: Candidates = []
    for name in profile_names(document):
        if name.startswith(incomplete):
            base_url = _text(_table(document, name).get("base_url")) \
                or _text(document.get("base_url")) or DEFAULT_BASE_URL
            offered.append((name, base_url if _typable(base_url) else ""))
    return offered


def complete_config_key(incomplete: str) -> Candidates:
    """KEY: the config keys."""
    return [(key, about) for key, about in CONFIG_KEYS.items() if key.startswith(incomplete)]


def active_settings(ctx: typer.Context | None, env: Mapping[str, str]) -> tuple[str, str]:
    """The active profile and base URL, as `load_settings` would choose them (unvalidated):
    --profile, SEATCTL_PROFILE, the file's `profile`, "default"; --base-url,
    SEATCTL_BASE_URL, the profile's table, the file's top level, the default."""
    flags: Mapping[str, Any] = ctx.find_root().params if ctx is not None else {}
    variables = {name.lower(): value for name, value in env.items() if value != ""}
    profile = _text(flags.get("profile")) or _text(variables.get("seatctl_profile"))
    base_url = _text(flags.get("base_url")) or _text(variables.get("seatctl_base_url"))
    if profile is None or base_url is None:  # the file is read only when it must be
        document = read_document(config_file(env))
        profile = profile or _text(document.get("profile")) or DEFAULT_PROFILE
        base_url = base_url or _text(_table(document, profile).get("base_url")) \
            or _text(document.get("base_url")) or DEFAULT_BASE_URL
    return profile, base_url.strip().rstrip("/")


def read_document(path: os.PathLike[str]) -> dict[str, Any]:
    """The config file's TOML; empty when it is missing or cannot be read."""
    try:
        with open(path, "rb") as handle:
            import tomllib  # only here: seatctl.cli.app imports this module on every start

            return tomllib.load(handle)
    except (OSError, ValueError):  # TOMLDecodeError and UnicodeDecodeError are ValueErrors
        return {}


def profile_names(document: Mapping[str, Any]) -> list[str]:
    profiles = document.get("profiles")
    defined = sorted(profiles) if isinstance(profiles, dict) else []
    return list(dict.fromkeys([DEFAULT_PROFILE, *(name for name in defined
                                                  if _profile_name(name))]))


def _table(document: Mapping[str, Any], profile: str) -> Mapping[str, Any]:
    profiles = document.get("profiles")
    table = profiles.get(profile) if isinstance(profiles, dict) else None
    return table if isinstance(table, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _profile_name(name: str) -> bool:
    """As `check_profile_name` accepts them: any other name fails as --profile."""
    return bool(name) and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in name)


def _typable(text: str) -> bool:
    """Whether `text` can be offered: no control characters, no bidi overrides (they would
    reach the terminal, or break the one-candidate-per-line protocol), not blank."""
    return bool(text.strip()) and text.isprintable()

