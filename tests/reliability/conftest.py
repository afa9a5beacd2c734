"""A connector on a fake clock per test: retry waits are recorded, not slept."""

from __future__ import annotations

import pytest

from engine.clock import FakeClock

from .support import connector


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fc(clock):
    """The real connector on the fake clock (retry and Retry-After waits cost nothing)."""
    c = connector(clock=clock)
    yield c
    c.close()


@pytest.fixture
def fauth(fc, sandbox_server, sandbox, api_key):
    return fc.authentication({"api_url": sandbox_server.url, "api_key": api_key}, name="retry-tests")
