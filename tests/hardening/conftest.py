"""Fixtures for the hardening suite (issue 18): an attacker listener that must stay empty."""

from __future__ import annotations

import pytest

from sandbox import RecordingServer


@pytest.fixture(scope="module")
def attacker_listener():
    with RecordingServer() as attacker:
        yield attacker


@pytest.fixture
def attacker_server(attacker_listener):
    attacker_listener.clear()
    yield attacker_listener
