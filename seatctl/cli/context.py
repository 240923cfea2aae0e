"""The one object every command receives (ctx.obj): options, streams, clock, lazy factories.

Like gh's Factory, nothing expensive is built until a command asks for it: settings (and
pydantic) load on first use, the HTTP client (and httpx) is built when a command calls
`client()`. Tests replace any of them: pass `streams`, `clock`, `env` or a `transport`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, overload

from seatctl.clock import Clock, Deadline, SystemClock

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import httpx

    from seatctl.booking.catalog import Catalog
    from seatctl.booking.journal import Journal
    from seatctl.config.settings import LoadedSettings, Settings
    from seatctl.http import ApiClient, RateBudget
    from seatctl.render.streams import IOStreams


@dataclass(frozen=True)
class GlobalOptions:
    """The root command's flags; None means "not given", so lower layers decide."""

    base_url: str | None = None
    token: str | None = None
    profile: str | None = None
    timeout: float | None = None
    json: bool = False
    verbose: int = 0
    trace: bool = False
    no_color: bool = False

    def settings_overrides(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "token": self.token, "profile": self.profile,
                "timeout": self.timeout}


@dataclass
class App:
    options: GlobalOptions = field(default_factory=GlobalOptions)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Clock = field(default_factory=SystemClock)
    transport: httpx.BaseTransport | None = None  # tests plug in a MockTransport
    _streams: IOStreams | None = None
    _json_flag: bool = False  # the command's own --json, remembered for the error handler
    _loaded: LoadedSettings | None = None  # settings loaded already (`as_profile`)

    def __post_init__(self) -> None:
        self.started = self.clock.monotonic()

    @cached_property
    def streams(self) -> IOStreams:
        from seatctl.render.streams import IOStreams

        streams = self._streams or IOStreams.system(no_color=self.options.no_color,
                                                    env=self.env)
        # Registered before settings load, so not even an error while loading them leaks it.
        streams.add_secret(self.options.token)
        streams.add_secret(self.env.get("SEATCTL_TOKEN"))
        return streams

    @property
    def json(self) -> bool:
        return self.options.json or self._json_flag

    def want_json(self, command_flag: bool) -> bool:
        """`--json` may be given to the root or to the command; errors honour either."""
        self._json_flag = self._json_flag or command_flag
        return self.json

    @cached_property
    def loaded(self) -> LoadedSettings:
        from seatctl.config.settings import load_settings

        loaded = self._loaded or load_settings(self.options.settings_overrides(), env=self.env)
        if loaded.settings.token is not None:
            self.streams.add_secret(loaded.settings.token.get_secret_value())
            if loaded.token_exposed():
                from seatctl.render import messages

                messages.warning(self.streams, f"{loaded.path} holds a token but others can "
                                               f"read it: chmod 600 {loaded.path}")
        return loaded

    @property
    def settings(self) -> Settings:
        return self.loaded.settings

    @property
    def deadline(self) -> Deadline:
        timeout = self.settings.timeout
        return Deadline(self.clock, None if timeout is None else self.started + timeout)

    def client(self, *, with_token: bool = True, retries: int | None = None,
               patience: float | None = None) -> ApiClient:
        """The HTTP core, configured from the settings; `retries` overrides the setting
        (0: one try each, for requests nobody asked for that must not wait out backoff),
        and `patience` bounds each request's phases and its whole attempt to that many
        seconds at most (requests nobody asked for must not hold up the command)."""
        from seatctl.http import ApiClient, ClientConfig
        from seatctl.render.trace import StderrObserver

        observer = StderrObserver(self.streams, verbose=self.options.verbose > 0,
                                  trace=self.options.trace)
        config = ClientConfig.from_settings(self.settings)
        if retries is not None:
            config = replace(config, retry=replace(config.retry, retries=retries))
        if patience is not None:
            config = replace(config, timeouts=config.timeouts.clipped(patience),
                             retry=replace(config.retry,
                                           deadline=min(config.retry.deadline, patience)))
        if not with_token or self.token_for(config.base_url) is None:
            config = replace(config, token=None)
        return ApiClient(config, clock=self.clock, deadline=self.deadline, observer=observer,
                         transport=self.transport, budget=self.budget(config.base_url))

    def token_for(self, url: str) -> str | None:
        """The token that may go to `url` (`LoadedSettings.token_for`); when a login
        token is kept from it, a note says why."""
        decision = self.loaded.token_for(url)
        if decision.issued_by is not None:
            from seatctl.render import messages

            messages.note(self.streams, f"the login of profile {self.settings.profile} is "
                                        f"for {decision.issued_by}: not sent to {url} (log in "
                                        "there with a profile of its own)")
        return decision.token

    def as_profile(self, profile: str) -> App | None:
        """This run as `profile` stored it (`load_stored_profile`), with these streams,
        clock and transport; None when its settings do not load."""
        from seatctl.config.settings import load_stored_profile, stored_profile_env

        loaded = load_stored_profile(profile, self.options.settings_overrides(), self.env)
        if loaded is None:
            return None
        options = replace(self.options, profile=profile, base_url=None, token=None)
        switched = App(options=options, env=stored_profile_env(self.env), clock=self.clock,
                       transport=self.transport, _streams=self.streams,
                       _json_flag=self.json, _loaded=loaded)
        _ = switched.loaded  # now, as before: registers its token as a secret, warns if exposed
        return switched

    def budget(self, base_url: str) -> RateBudget:
        """The rate-limit budget as the last command against this server left it, kept
        up to date as answers announce it."""
        from seatctl.booking.catalog import BudgetStore
        from seatctl.http import RateBudget

        store = BudgetStore.for_base_url(base_url, self.env)
        kept = store.load()
        known, seen_at = kept if kept is not None else (None, None)
        return RateBudget(self.clock, known=known, seen_at=seen_at, on_observe=store.save)

    @overload
    def journal(self) -> Journal: ...

    @overload
    def journal(self, *, create: bool) -> AbstractContextManager[Journal | None]: ...

    def journal(self, *, create: bool = True) -> AbstractContextManager[Journal | None]:
        """The local journal (`open_journal`), created when missing unless `create` is
        false: then None when there is none."""
        from seatctl.booking.journal import Journal, open_journal

        return open_journal(Journal.default_path(self.env), create=create)

    def catalog(self) -> Catalog:
        """The events and seat maps of the active server, cached between commands."""
        from seatctl.booking.catalog import Catalog

        return Catalog.for_base_url(self.settings.base_url, self.env)
