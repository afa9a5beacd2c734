"""R1: what is retried, how long it waits, and when it gives up; fault scripts in the sandbox, a fake clock."""

from __future__ import annotations

import email.utils
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import errors
from engine.clock import FakeClock
from engine.retry import RetryPolicy
from sandbox import Sandbox, SandboxServer

from .support import ServerStartingClock, connected, free_port

ME = "GET /api/3/users/me"


def attempts(sandbox, route: str = ME) -> int:
    method, path = route.split(" ", 1)
    return sandbox.log.count(method, path)


def test_429_retry_after_seconds_then_success(fc, fauth, sandbox, clock):
    sandbox.faults.add(ME, statuses=[429], headers={"Retry-After": "2"})
    assert fc.run("get_current_user", {}, fauth)["user"]["id"] == "1"
    assert attempts(sandbox) == 2
    assert clock.sleeps and sum(clock.sleeps) >= 2


def test_429_retry_after_http_date(fc, fauth, sandbox, clock):
    when = email.utils.formatdate(clock.time() + 7, usegmt=True)
    sandbox.faults.add(ME, statuses=[429], headers={"Retry-After": when})
    fc.run("get_current_user", {}, fauth)
    assert attempts(sandbox) == 2
    assert clock.sleeps == [pytest.approx(7, abs=1)]


def test_bulk_style_400_rate_limit_waits_a_minute(fc, fauth, sandbox, clock):
    sandbox.faults.add(ME, statuses=[400], body={"success": 0, "message": "Rate limit exceeded.", "failureReasons": []})
    fc.run("get_current_user", {}, fauth)
    assert attempts(sandbox) == 2
    assert clock.sleeps == [60]


def test_503_four_times_then_success_on_attempt_5(fc, fauth, sandbox):
    sandbox.faults.add(ME, statuses=[503, 503, 503, 503])
    assert fc.run("get_current_user", {}, fauth)["user"]["id"] == "1"
    assert attempts(sandbox) == 5


def test_503_five_times_is_a_server_error_after_exactly_5_attempts(fc, fauth, sandbox, clock):
    sandbox.faults.add(ME, statuses=[503] * 5)
    with pytest.raises(errors.ServerError) as info:
        fc.run("get_current_user", {}, fauth)
    assert attempts(sandbox) == 5
    assert info.value.details["attempts"] == 5 and info.value.status == 503 and info.value.retryable
    assert len(clock.sleeps) == 4  # backoff between attempts, none after the last


@pytest.mark.parametrize("status", [500, 502, 504, 408])
def test_other_transient_statuses_are_retried_for_a_read(fc, fauth, sandbox, status):
    sandbox.faults.add(ME, statuses=[status])
    fc.run("get_current_user", {}, fauth)
    assert attempts(sandbox) == 2


@pytest.mark.parametrize(
    "status,kind",
    [
        (400, errors.UpstreamValidation),
        (401, errors.AuthenticationError),
        (402, errors.AccountError),
        (403, errors.AuthenticationError),
        (404, errors.NotFound),
        (405, errors.UpstreamError),
        (409, errors.UpstreamValidation),
        (422, errors.UpstreamValidation),
    ],
)
def test_client_errors_are_never_retried(fc, fauth, sandbox, clock, status, kind):
    sandbox.faults.add(ME, statuses=[status], times=5)
    with pytest.raises(kind):
        fc.run("get_current_user", {}, fauth)
    assert attempts(sandbox) == 1
    assert clock.sleeps == []


def test_unsafe_post_with_a_read_timeout_is_outcome_unknown(fc, fauth, sandbox):
    sandbox.faults.add("POST /api/3/contacts", delay_headers=1.0)
    with pytest.raises(errors.OutcomeUnknown) as info:
        fc.run("create_contact", {"email": "slow@example.com"}, fauth, timeouts={"read": 0.2})
    assert attempts(sandbox, "POST /api/3/contacts") == 1
    assert info.value.details["cause"]["type"] == "timeout"
    assert len(sandbox.store["contacts"].where("email", "slow@example.com")) in (0, 1)


def test_unsafe_post_with_a_5xx_is_outcome_unknown_not_repeated(fc, fauth, sandbox):
    sandbox.faults.add("POST /api/3/contacts", statuses=[500, 500])
    with pytest.raises(errors.OutcomeUnknown):
        fc.run("create_contact", {"email": "five@example.com"}, fauth)
    assert attempts(sandbox, "POST /api/3/contacts") == 1


def test_unsafe_post_throttled_is_retried(fc, fauth, sandbox):
    """A 429 means nothing was done: even a create may be sent again."""
    sandbox.faults.add("POST /api/3/contacts", statuses=[429], headers={"Retry-After": "1"})
    fc.run("create_contact", {"email": "throttled@example.com"}, fauth)
    assert attempts(sandbox, "POST /api/3/contacts") == 2
    assert len(sandbox.store["contacts"].where("email", "throttled@example.com")) == 1


def test_post_with_connection_refused_then_the_server_comes_up(api_key):
    account = Sandbox(api_key=api_key, rate_limit=None)
    port = free_port()
    servers: list[SandboxServer] = []
    clock = ServerStartingClock(lambda: servers.append(SandboxServer(account, port=port).start()))
    try:
        with connected(clock=clock) as c:
            auth = c.authentication({"api_url": f"http://127.0.0.1:{port}", "api_key": api_key})
            out = c.run("create_contact", {"email": "late@example.com"}, auth)
        assert out["contact"]["email"] == "late@example.com"
        assert len(clock.sleeps) >= 1 and servers
        assert account.log.count("POST", "/api/3/contacts") == 1
    finally:
        for server in servers:
            server.stop()


def test_retry_after_past_the_deadline_fails_at_once(fc, fauth, sandbox, clock):
    sandbox.faults.add(ME, statuses=[429], headers={"Retry-After": "300"})
    with pytest.raises(errors.RateLimited) as info:
        fc.run("get_current_user", {}, fauth, deadline=120)
    assert info.value.retry_after == 300
    assert info.value.to_dict()["retry_after"] == 300 and info.value.retryable
    assert attempts(sandbox) == 1
    assert clock.sleeps == []


def test_retry_after_longer_than_60s_is_not_slept_even_within_the_deadline(fc, fauth, sandbox, clock):
    sandbox.faults.add(ME, statuses=[429], headers={"Retry-After": "90"})
    with pytest.raises(errors.RateLimited) as info:
        fc.run("get_current_user", {}, fauth, deadline=600)
    assert info.value.retry_after == 90 and clock.sleeps == []


def test_a_delete_whose_first_attempt_was_carried_out_counts_as_done(fc, fauth, sandbox):
    sandbox.faults.add("DELETE /api/3/contacts/2", drop_after_write=True)
    fc.run("delete_contact", {"contact_id": "2"}, fauth)
    assert attempts(sandbox, "DELETE /api/3/contacts/2") == 2
    assert sandbox.store["contacts"].get("2") is None


def test_a_delete_of_a_missing_record_is_still_not_found(fc, fauth, sandbox):
    with pytest.raises(errors.NotFound):
        fc.run("delete_contact", {"contact_id": "999"}, fauth)


def test_a_limiter_wait_past_the_deadline_is_rate_limited_without_sleeping(fauth, sandbox, api_key, sandbox_server):
    from engine.ratelimit import MovingWindowLimiter

    clock = FakeClock()
    limiter = MovingWindowLimiter(1, 1.0, clock)
    with connected(clock=clock, limiter=limiter) as c:
        auth = c.authentication({"api_url": sandbox_server.url, "api_key": api_key})
        c.run("get_current_user", {}, auth)
        with pytest.raises(errors.RateLimited):
            c.run("get_current_user", {}, auth, deadline=0.5)
    assert clock.sleeps == []


@given(seed=st.integers(0, 2**32), attempt=st.integers(1, 12), base=st.floats(0.01, 5), cap=st.floats(0.1, 60))
def test_backoff_is_full_jitter_within_its_cap(seed, attempt, base, cap):
    policy = RetryPolicy(backoff_base=base, backoff_cap=cap)
    delay = policy.backoff(attempt, random.Random(seed))
    assert 0 <= delay <= min(cap, base * 2 ** (attempt - 1))


@given(seed=st.integers(0, 2**16), deadline=st.floats(0.5, 200), failures=st.integers(1, 6))
def test_waits_never_run_past_the_deadline(sandbox_account, sandbox_server, api_key, seed, deadline, failures):
    """Whatever the jitter draws, the sum of the waits stays within the call's deadline."""
    sandbox_account.reset()
    sandbox_account.faults.add(ME, statuses=[503] * failures)
    clock = FakeClock()
    with connected(clock=clock, seed=seed) as c:
        auth = c.authentication({"api_url": sandbox_server.url, "api_key": api_key})
        try:
            c.run("get_current_user", {}, auth, deadline=deadline)
        except errors.ServerError as exc:
            assert exc.details["attempts"] <= 5
        assert sum(clock.sleeps) <= deadline
        assert all(0 <= s <= 30 for s in clock.sleeps)
    assert sandbox_account.log.count("GET", "/api/3/users/me") <= 5


def test_a_retried_delete_answered_403_no_result_found_counts_as_done(fc, fauth, sandbox):
    # ActiveCampaign answers a missing note with 403 "No Result found for Note with id N" (reference "Delete a
    # note", api-map 3.x); connector.yaml's rule makes it not_found, so after a cut-off first attempt the
    # retry's 403 means the note is gone, like a 404.
    sandbox.faults.add("DELETE /api/3/notes/1", drop_after_write=True)
    assert fc.run("delete_contact_note", {"note_id": "1"}, fauth)["deleted"] is True
    assert [e.status for e in sandbox.log if e.method == "DELETE"] == [200, 403]
    assert sandbox.store["notes"].get("1") is None


def test_a_first_403_no_result_found_on_delete_is_not_found(fc, fauth, sandbox):
    with pytest.raises(errors.NotFound) as info:
        fc.run("delete_contact_note", {"note_id": "999"}, fauth)
    assert info.value.status == 403 and "No Result found" in info.value.message


def test_a_retried_delete_answered_403_forbidden_is_still_an_authentication_error(fc, fauth, sandbox):
    # Only what the rules call not_found ends a retried DELETE quietly: a plain 403 is never swallowed.
    sandbox.faults.add("DELETE /api/3/notes/1", drop_after_write=True)
    sandbox.faults.add("DELETE /api/3/notes/1", statuses=[403], body={"message": "Forbidden"})
    with pytest.raises(errors.AuthenticationError):
        fc.run("delete_contact_note", {"note_id": "1"}, fauth)
