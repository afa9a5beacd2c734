"""R3: every attempt has timeouts, every call a deadline; real clock, small delays from the sandbox."""

from __future__ import annotations

import asyncio
import shutil
import time

import pytest

from engine import errors
from engine.loader import load_connector
from engine.model import Timeouts
from engine.retry import RetryPolicy
from engine.runtime import Connector

from .support import ROOT, connected

ME = "GET /api/3/users/me"


@pytest.fixture
def auth_of(sandbox_server, api_key):
    return lambda c: c.authentication({"api_url": sandbox_server.url, "api_key": api_key})


def test_defaults_come_from_connector_yaml():
    with connected() as c:
        assert c.timeouts == Timeouts(connect=5, read=30, write=30, pool=5)
        assert c.retry.deadline == 120 and c.retry.max_attempts == 5


def test_headers_delayed_past_the_read_timeout(sandbox, auth_of):
    sandbox.faults.add(ME, delay_headers=2.0)
    with connected(timeouts={"read": 0.5}, retry=RetryPolicy(max_attempts=1)) as c:
        started = time.monotonic()
        with pytest.raises(errors.Timeout) as info:
            c.run("get_current_user", {}, auth_of(c))
        elapsed = time.monotonic() - started
    assert info.value.phase == "read" and info.value.retryable
    assert elapsed <= 0.5 + 0.3


def test_timeouts_per_call_override_the_connector(sandbox, auth_of):
    sandbox.faults.add(ME, delay_headers=2.0)
    with connected(retry=RetryPolicy(max_attempts=1)) as c:
        started = time.monotonic()
        with pytest.raises(errors.Timeout):
            c.run("get_current_user", {}, auth_of(c), timeouts={"read": 0.3})
        assert time.monotonic() - started <= 0.3 + 0.3


def test_timeouts_in_connector_yaml_are_used(tmp_path, sandbox, auth_of):
    text = (ROOT / "connector.yaml").read_text()
    assert "timeout: {connect: 5, read: 30, write: 30, pool: 5}" in text
    text = text.replace("read: 30,", "read: 0.4,").replace("max_attempts: 5", "max_attempts: 1")
    (tmp_path / "connector.yaml").write_text(text)
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    (tmp_path / "operations").mkdir()
    shutil.copy(ROOT / "operations" / "get_current_user.yaml", tmp_path / "operations")
    c = Connector(load_connector(tmp_path), allow_loopback=True)
    try:
        assert c.timeouts.read == 0.4
        sandbox.faults.add(ME, delay_headers=2.0)
        started = time.monotonic()
        with pytest.raises(errors.Timeout):
            c.run("get_current_user", {}, auth_of(c))
        assert time.monotonic() - started <= 0.4 + 0.3
    finally:
        c.close()


def test_slow_answers_with_retries_end_within_the_deadline(sandbox, auth_of):
    sandbox.faults.add(ME, delay_headers=1.0, times=20)
    with connected(timeouts={"read": 0.4}) as c:
        started = time.monotonic()
        with pytest.raises(errors.Timeout):
            c.run("get_current_user", {}, auth_of(c), deadline=1.5)
        elapsed = time.monotonic() - started
    assert elapsed <= 1.5 * 1.1
    assert sandbox.log.count("GET", "/api/3/users/me") >= 2  # it did retry while time was left


def test_a_deadline_shorter_than_the_read_timeout_wins(sandbox, auth_of):
    sandbox.faults.add(ME, delay_headers=3.0, times=20)
    with connected() as c:  # read timeout 30 s from connector.yaml
        started = time.monotonic()
        with pytest.raises(errors.Timeout):
            c.run("get_current_user", {}, auth_of(c), deadline=0.8)
        assert time.monotonic() - started <= 0.8 * 1.1 + 0.05


def test_a_stalled_body_is_a_timeout_not_a_hang(sandbox, auth_of):
    sandbox.faults.add(ME, delay_body=3.0)
    with connected(timeouts={"read": 0.5}, retry=RetryPolicy(max_attempts=1)) as c:
        started = time.monotonic()
        with pytest.raises(errors.Timeout) as info:
            c.run("get_current_user", {}, auth_of(c))
        assert time.monotonic() - started <= 0.5 + 0.3
    assert info.value.phase == "read"


def test_a_stalled_body_on_a_create_is_outcome_unknown(sandbox, auth_of):
    sandbox.faults.add("POST /api/3/contacts", delay_body=3.0)
    with connected(timeouts={"read": 0.4}) as c:
        started = time.monotonic()
        with pytest.raises(errors.OutcomeUnknown) as info:
            c.run("create_contact", {"email": "stall@example.com"}, auth_of(c))
        assert time.monotonic() - started <= 0.4 + 0.3
    assert info.value.details["cause"]["type"] == "timeout"
    assert len(sandbox.store["contacts"].where("email", "stall@example.com")) == 1


def test_async_calls_keep_the_deadline_too(sandbox, auth_of):
    sandbox.faults.add(ME, delay_headers=2.0, times=20)

    async def main() -> float:
        with connected(timeouts={"read": 10}) as c:
            started = time.monotonic()
            with pytest.raises(errors.Timeout):
                await c.arun("get_current_user", {}, auth_of(c), deadline=0.7)
            elapsed = time.monotonic() - started
            await c.aclose()
            return elapsed

    assert asyncio.run(main()) <= 0.7 * 1.1 + 0.05


def test_bad_timeouts_are_refused():
    with pytest.raises(ValueError):
        connected(timeouts={"read": 0}).__enter__()
    with pytest.raises(ValueError):
        connected(timeouts={"reed": 1}).__enter__()
