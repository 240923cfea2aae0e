"""API clients for tests, and the answers they get without a socket.

`make_client(base_url, **options)` builds ApiClients closed at teardown; `scripted(*steps)`
is an httpx transport that plays scripted answers (a response, an exception, a callable) in
order, on the test's fake `clock`. Both fixtures are registered by tests/http/conftest.py
(`scripted` needs the `clock` fixture of the conftest that registers it) and `make_client`
also by tests/api/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from seatctl.clock import Clock, Deadline, ManualClock
from seatctl.http import ApiClient, ClientConfig, Exchange, RetryPolicy, Timeouts

FAST = Timeouts(connect=0.5, read=0.5, write=0.5, pool=0.5)
"""Per-phase timeouts small enough that a hung test fails in well under a second."""


class RecordingObserver:
    """An Observer that keeps every exchange and every retry notice."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.retries: list[tuple[int, float, BaseException]] = []

    def exchange(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def retrying(self, attempt: int, wait: float, error: BaseException) -> None:
        self.retries.append((attempt, wait, error))


Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class ScriptedTransport(httpx.MockTransport):
    """A MockTransport that plays `steps` in order (a response, an exception to raise, or a
    callable) and records every request; running out of steps fails the test."""

    def __init__(self, *steps: Step, clock: ManualClock | None = None,
                 elapse: float = 0.0) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []
        self._clock, self._elapse = clock, elapse
        super().__init__(self._play)

    def _play(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self._clock is not None:
            self._clock.advance(self._elapse)
        assert self.steps, f"unexpected extra request: {request.method} {request.url}"
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)


Scripted = Callable[..., ScriptedTransport]
"""`scripted(*steps, elapse=0.0)`: see the fixture."""


@pytest.fixture
def scripted(clock: ManualClock) -> Scripted:
    """`scripted(*steps, elapse=0.0)`: a ScriptedTransport; each request advances the test's
    fake clock by `elapse` seconds (a slow server, without waiting)."""

    def build(*steps: Step, elapse: float = 0.0) -> ScriptedTransport:
        return ScriptedTransport(*steps, clock=clock, elapse=elapse)

    return build


MakeClient = Callable[..., ApiClient]
"""`make_client(base_url, **options)`: see the fixture."""


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """A factory of ApiClients, all closed at teardown.

    `make_client(base_url, retries=0, timeouts=FAST, policy=None, token=None,
    ca_bundle=None, clock=None, deadline=None, observer=None, transport=None)`.
    """
    clients: list[ApiClient] = []

    def build(
        base_url: str = "http://seatctl.test", *, retries: int = 0,
        timeouts: Timeouts = FAST, policy: RetryPolicy | None = None,
        token: str | None = None, ca_bundle: Path | None = None, verify_tls: bool = True,
        clock: Clock | None = None, deadline: Deadline | None = None,
        observer: RecordingObserver | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> ApiClient:
        config = ClientConfig(
            base_url=base_url, timeouts=timeouts, retry=policy or RetryPolicy(retries=retries),
            token=token, ca_bundle=ca_bundle, verify_tls=verify_tls,
        )
        client = ApiClient(config, clock=clock, deadline=deadline, observer=observer,
                           transport=transport)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
