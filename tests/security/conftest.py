"""The canary-key world: an account whose key is a fresh `AC-CANARY-<uuid4>`, and an attacker listener."""

from __future__ import annotations

import uuid

import pytest

from sandbox import RecordingServer, Sandbox, SandboxServer


@pytest.fixture(scope="session")
def canary() -> str:
    return f"AC-CANARY-{uuid.uuid4()}"


@pytest.fixture(scope="session")
def canary_account(canary):
    sb = Sandbox(api_key=canary, rate_limit=None, control=False)
    with SandboxServer(sb) as server:
        yield sb, server


@pytest.fixture(scope="session")
def attacker_server():
    with RecordingServer() as attacker:
        yield attacker


@pytest.fixture
def world(canary_account, attacker_server):
    """(sandbox, server, attacker), clean for each test; the attacker must stay empty."""
    sb, server = canary_account
    sb.reset()
    attacker_server.clear()
    yield sb, server, attacker_server
    assert attacker_server.requests == [], "the attacker listener received a request"


@pytest.fixture(scope="session")
def sec_connector():
    from reliability.support import connector

    c = connector()
    yield c
    c.close()


@pytest.fixture
def cauth(sec_connector, world, canary):
    _, server, _ = world
    return sec_connector.authentication({"api_url": server.url, "api_key": canary}, name="canary")
