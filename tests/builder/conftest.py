"""Fixtures for the service and the builder: ``serve`` on a free loopback port with its own sandbox.

The service is the real one (uvicorn in a thread); the sandbox is offered by it, as a first-time user
would see it, but created here so tests can preload data with its fixture loader.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ac_connector.service.server import running
from ac_connector.service.settings import ServiceSettings
from engine.ratelimit import NoLimit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def fake_key(prefix: str) -> str:
    """An obviously fake key, new for every run."""
    return f"{prefix}-{secrets.token_hex(20)}"


class Served:
    """A running service: its base URL, the Service object and the sandbox it offers."""

    def __init__(self, service: Any, url: str) -> None:
        self.service = service
        self.url = url
        self.sandbox = service.offer.sandbox
        self.sandbox_url = service.offer.url
        self.secrets: set[str] = {self.sandbox.api_key}


@pytest.fixture(scope="session")
def service_connector() -> Iterator[Any]:
    """Loading every spec takes seconds: load once, share between the services of these tests."""
    from ac_connector import load

    connector = load(allow_loopback=True, limiter=NoLimit())
    yield connector
    connector.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, service_connector) -> Iterator[Served]:
    from sandbox import Sandbox

    sandbox = Sandbox(api_key=fake_key("sandbox"), rate_limit=None)
    settings = ServiceSettings(host="127.0.0.1", port=0, home=tmp_path_factory.mktemp("home"))
    with running(settings, sandbox=sandbox, connector=service_connector) as (service, url):
        yield Served(service, url)


class LeakCheckingClient(httpx.Client):
    """An httpx client that remembers every response, so a test can prove no key ever came back."""

    def __init__(self, served: Served, **kwargs: Any) -> None:
        super().__init__(base_url=served.url, timeout=30, event_hooks={"response": [self._record]}, **kwargs)
        self.served = served
        self.seen: list[str] = []

    def _record(self, response: httpx.Response) -> None:
        response.read()
        self.seen.append("\n".join(f"{k}: {v}" for k, v in response.headers.items()) + "\n" + response.text)

    def assert_no_secret(self) -> None:
        for text in self.seen:
            for secret in self.served.secrets:
                assert secret not in text, "a key came back in a response"


@pytest.fixture
def api(served) -> Iterator[LeakCheckingClient]:
    with LeakCheckingClient(served) as client:
        yield client
        client.assert_no_secret()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("chromium is not installed (Debian package `chromium`; scripts/system-deps.sh installs it)")
    from playwright.sync_api import sync_playwright  # in the test extra: missing means a broken set-up, not a skip

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
