"""`seatctl login`, `logout` and `whoami`: who the token belongs to, and what was stored or
forgotten. The JSON document on stdout with --json; the lines for people on stderr (and
`whoami`'s answer on stdout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from seatctl.render import messages
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from seatctl.api.models import User
    from seatctl.render.streams import IOStreams

# Where a token that outlives `logout` comes from: it is not the stored login.
LOGOUT_LEAVES = ("environment", "command line", "config file")


def render_login(streams: IOStreams, user: User, *, profile: str, stored_in: Path,
                 as_json: bool) -> None:
    if as_json:
        streams.write_data(json.dumps({"user": user.model_dump(by_alias=True),
                                       "profile": profile, "credentials": str(stored_in)}))
    messages.success(streams, f"logged in as {user.email} (profile {profile}); token stored "
                              f"in {stored_in}")


def render_logout(streams: IOStreams, *, profile: str, removed: bool, token_source: str,
                  as_json: bool) -> None:
    """`token_source`: where the token in effect came from, said when logging out leaves
    one."""
    if as_json:
        streams.write_data(json.dumps({"profile": profile, "removed": removed}))
    if removed:
        messages.success(streams, f"logged out of profile {profile}")
    else:
        messages.warning(streams, f"profile {profile} had no stored token")
    if token_source.startswith(LOGOUT_LEAVES):
        messages.warning(streams, f"a token still comes from {token_source}")


def render_whoami(streams: IOStreams, user: User, *, profile: str, base_url: str,
                  token_source: str, as_json: bool) -> None:
    if as_json:
        streams.write_data(json.dumps({"user": user.model_dump(by_alias=True),
                                       "profile": profile, "base_url": base_url}))
        return
    name = f" ({printable(user.name)})" if user.name else ""
    role = f", role {printable(user.role)}" if user.role else ""
    streams.out.print(f"{printable(user.email)}{name}{role}", soft_wrap=True)
    streams.err.print(f"profile {profile} at {base_url}; token from {token_source}",
                      soft_wrap=True)
