"""What TAB offers for values: event names and ids, job and booking ids, profiles and config
keys.

The shell runs seatctl on every TAB, so these stay within the start-up budget
(bench/startup.py): the standard library only (no pydantic, httpx or rich), nothing written
and never a request. Event names come from the catalog's events listing while it is fresh
(`seatctl events`, `seats` and `book` keep it); without one nothing is offered. Job and
booking ids come from the journal, newest first, of the active profile. A completer that
cannot read what it needs offers nothing: it never prints an error into the user's shell.

The active profile and base URL come from `seatctl.config.active` (the settings' choice,
read with tomllib alone); tests keep CONFIG_KEYS and the settings' KEYS in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import typer

from seatctl.config.active import (
    active_settings,
    profile_base_url,
    profile_names,
    read_document,
)
from seatctl.config.paths import config_file

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

    events = fresh_listing(active_settings(_flags(ctx), os.environ)[1])
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
    for job in recent_jobs(path, active_settings(_flags(ctx), os.environ)[0], JOBS_OFFERED):
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
    profile = active_settings(_flags(ctx), os.environ)[0]
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
            base_url = profile_base_url(document, name)
            offered.append((name, base_url if _typable(base_url) else ""))
    return offered


def complete_config_key(incomplete: str) -> Candidates:
    """KEY: the config keys."""
    return [(key, about) for key, about in CONFIG_KEYS.items() if key.startswith(incomplete)]


def _flags(ctx: typer.Context | None) -> Mapping[str, Any]:
    """The root command's parameters (--profile, --base-url), none without a context."""
    return ctx.find_root().params if ctx is not None else {}


def _typable(text: str) -> bool:
    """Whether `text` can be offered: no control characters, no bidi overrides (they would
    reach the terminal, or break the one-candidate-per-line protocol), not blank."""
    return bool(text.strip()) and text.isprintable()

