"""Shared fixtures: a real sandbox over loopback HTTP and the real connector pointed at it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from hypothesis import settings

from engine.ratelimit import NoLimit
from engine.runtime import Connector

ROOT = Path(__file__).resolve().parents[1]

settings.register_profile("ci", max_examples=50, derandomize=True, deadline=None, print_blob=True)
settings.register_profile("nightly", max_examples=1000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def make_key(prefix: str = "test") -> str:
    """An obviously fake key, new for every session."""
    return f"{prefix}-{secrets.token_hex(20)}"


@pytest.fixture(scope="session")
def api_key() -> str:
    return make_key()


@pytest.fixture(scope="session")
def sandbox_account(api_key):
    from sandbox import Sandbox

    return Sandbox(api_key=api_key, rate_limit=None, control=True)


@pytest.fixture(scope="session")
def sandbox_server(sandbox_account):
    from sandbox import SandboxServer

    with SandboxServer(sandbox_account) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_account, sandbox_server):
    """The sandbox account, reset to its seeded state for each test."""
    sandbox_account.reset()
    yield sandbox_account
    sandbox_account.faults.clear()


@pytest.fixture(scope="session")
def connector() -> Connector:
    """The real connector: strict output checks, loopback allowed for the sandbox, no client-side limit."""
    c = Connector.load(ROOT, strict_output=True, allow_loopback=True, limiter=NoLimit())
    yield c
    c.close()


@pytest.fixture
def auth(connector, sandbox_server, sandbox, api_key):
    return connector.authentication({"api_url": sandbox_server.url, "api_key": api_key}, name="test")


@pytest.fixture
def run(connector, auth):
    """Run an operation through the engine against the sandbox."""

    def _run(operation: str, data: dict | None = None):
        return connector.run(operation, data or {}, auth)

    return _run
