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


@pytest.fixture(scope="session")
def redis_url():
    """A real redis-server on a free loopback port with its own temp dir, stopped at the end."""
    from tests.helpers.servers import ServerMissing, redis_server

    try:
        server = redis_server()
        url = server.__enter__()
    except ServerMissing as exc:
        _missing_server(exc)
    yield url
    server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL cluster (initdb in a temp dir, a free loopback port), shut down cleanly at the end."""
    pytest.importorskip("psycopg", reason="the celery extra (psycopg) is not installed")
    from tests.helpers.servers import ServerMissing, postgres_server

    try:
        server = postgres_server()
        url = server.__enter__()
    except ServerMissing as exc:
        _missing_server(exc)
    yield url
    server.__exit__(None, None, None)


@pytest.fixture
def pg_store_url(postgres_url):
    """A fresh, empty database on the session's PostgreSQL server, dropped after the test."""
    import psycopg

    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _missing_server(exc: Exception) -> None:
    """Skip on a developer's machine without the server; in CI (which installs it) that is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"{exc}: CI must install it (scripts/system-deps.sh)")
    pytest.skip(f"{exc}; scripts/system-deps.sh installs it")
