"""Shared fixtures: one loopback sandbox for the session, reset before every test.

The shared account runs without a rate limit so state tests stay fast; rate-limit tests build
their own accounts with `make_server`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from sandbox import Sandbox, SandboxServer

API_KEY = "test-key-not-a-secret"


@pytest.fixture(scope="session")
def key() -> str:
    """The shared account's (fake) API key."""
    return API_KEY


@pytest.fixture(scope="session")
def sb() -> Sandbox:
    return Sandbox(api_key=API_KEY, rate_limit=None, control=True)


@pytest.fixture(scope="session")
def server(sb: Sandbox) -> Iterator[SandboxServer]:
    with SandboxServer(sb) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> Iterator[None]:
    """Reset the shared account (data, log, faults, limits) before each test that uses it."""
    if "sb" in request.fixturenames:
        account: Sandbox = request.getfixturevalue("sb")
        account.reset()
        account.rate_limit, account.rate_window, account.throttle_status = None, 1.0, 429
        account.bulk_import_limit, account.bulk_import_window = 100, 60.0
        account.import_delay, account.interrupt_imports = 0.0, 0
    yield


@pytest.fixture(scope="session")
def client(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + "/api/3", headers={"Api-Token": API_KEY}, timeout=10, trust_env=False) as http:
        yield http


@pytest.fixture
def make_server() -> Iterator[Callable[..., tuple[Sandbox, SandboxServer]]]:
    """Start extra accounts (own key, limit, state); all stopped after the test."""
    started: list[SandboxServer] = []

    def make(**options) -> tuple[Sandbox, SandboxServer]:
        options.setdefault("api_key", API_KEY)
        account = Sandbox(**options)
        running = SandboxServer(account).start()
        started.append(running)
        return account, running

    yield make
    for running in started:
        running.stop()


@pytest.fixture
def connect() -> Iterator[Callable[..., httpx.Client]]:
    """httpx clients for other accounts' API roots, closed after the test."""
    opened: list[httpx.Client] = []

    def make(running: SandboxServer, key: str = API_KEY, **options) -> httpx.Client:
        http = httpx.Client(base_url=running.url + "/api/3", headers={"Api-Token": key}, timeout=10, trust_env=False, **options)
        opened.append(http)
        return http

    yield make
    for http in opened:
        http.close()
