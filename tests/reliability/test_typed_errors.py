"""R9: what a user sees. One test per row of the contract's table, driven by the sandbox (real endpoints, or a
fault with ActiveCampaign's documented status and body)."""

from __future__ import annotations

import json

import httpx
import pytest

from engine import errors

ME = "GET /api/3/users/me"


def shown(exc: errors.ConnectorError, kind: str, retryable: bool) -> dict:
    """The JSON a user or an orchestrator gets: stable type, plain message, retry hint."""
    body = exc.to_dict()
    assert body["type"] == kind == exc.type
    assert body["retryable"] is retryable
    message = body["message"]
    assert message and str(exc) == message and "Traceback" not in message and "object at 0x" not in message
    json.dumps(body)  # serialisable as it is
    return body


def test_schema_violation_is_validation_and_nothing_is_sent(fc, fauth, sandbox):
    with pytest.raises(errors.ValidationError) as info:
        fc.run("create_contact", {"email": "nope"}, fauth)
    body = shown(info.value, "validation", False)
    assert body["errors"][0]["pointer"] == "/email" and body["errors"][0]["keyword"] == "format"
    assert len(sandbox.log) == 0


def test_403_wrong_key_is_authentication(fc, sandbox_server, sandbox):
    auth = fc.authentication({"api_url": sandbox_server.url, "api_key": "wrong-key"})
    with pytest.raises(errors.AuthenticationError) as info:
        fc.run("get_current_user", {}, auth)
    body = shown(info.value, "authentication", False)
    assert body["status"] == 403 and "Check the API key" in body["message"]
    assert sandbox.log.count("GET", "/api/3/users/me") == 1


def test_401_is_authentication(fc, fauth, sandbox):
    sandbox.faults.add(ME, statuses=[401], body={"message": "Unauthorized"})
    with pytest.raises(errors.AuthenticationError) as info:
        fc.run("get_current_user", {}, fauth)
    assert shown(info.value, "authentication", False)["status"] == 401


def test_402_is_account(fc, fauth, sandbox):
    text = "The request could not be processed due to account payment issues."
    sandbox.faults.add(ME, statuses=[402], body={"message": text})
    with pytest.raises(errors.AccountError) as info:
        fc.run("get_current_user", {}, fauth)
    body = shown(info.value, "account", False)
    assert text in body["message"] and body["upstream"] == [{"title": text}]


def test_404_is_not_found_with_activecampaigns_words(fc, fauth, sandbox):
    with pytest.raises(errors.NotFound) as info:
        fc.run("get_contact", {"contact_id": "999"}, fauth)
    body = shown(info.value, "not_found", False)
    assert body["status"] == 404 and "999" in body["message"]


def test_403_no_result_found_is_not_found(fc, fauth, sandbox):
    sandbox.faults.add("DELETE /api/3/notes/5", statuses=[403], body={"message": "No Result found for Note with id 5"})
    with pytest.raises(errors.NotFound) as info:
        fc.run("delete_contact_note", {"note_id": "5"}, fauth)
    assert shown(info.value, "not_found", False)["status"] == 403


@pytest.mark.parametrize(
    "status,body,expected",
    [
        (
            422,
            {
                "errors": [
                    {
                        "title": "Missing attribute",
                        "detail": "",
                        "code": "field_missing",
                        "source": {"pointer": "/data/attributes/contact"},
                    }
                ]
            },
            {"title": "Missing attribute", "code": "field_missing", "pointer": "/data/attributes/contact"},
        ),
        (
            422,
            {"errors": "Bulk operation failed. Request must contain an array of fieldOption objects."},
            {"title": "Bulk operation failed. Request must contain an array of fieldOption objects."},
        ),
        (400, {"errors": ["Field name is required"]}, {"title": "Field name is required"}),
        (400, {}, None),
    ],
)
def test_422_and_400_are_upstream_validation_with_title_code_pointer(fc, fauth, sandbox, status, body, expected):
    sandbox.faults.add(ME, statuses=[status], body=body)
    with pytest.raises(errors.UpstreamValidation) as info:
        fc.run("get_current_user", {}, fauth)
    shown_body = shown(info.value, "upstream_validation", False)
    assert shown_body["status"] == status
    if expected:
        assert shown_body["upstream"] == [expected]
        assert expected["title"] in shown_body["message"]
    else:
        assert shown_body["message"] == f"HTTP {status} Bad Request"


def test_422_duplicate_is_already_exists(fc, fauth, sandbox):
    with pytest.raises(errors.AlreadyExists) as info:
        fc.run("create_contact", {"email": "jane.doe@example.com"}, fauth)
    body = shown(info.value, "already_exists", False)
    assert body["status"] == 422 and body["upstream"][0]["code"] == "duplicate"
    assert body["upstream"][0]["pointer"] and isinstance(info.value, errors.UpstreamValidation)


@pytest.mark.parametrize(
    "status,headers,body,retry_after",
    [
        (429, {"Retry-After": "300"}, None, 300),
        (503, {"Retry-After": "200"}, None, 200),
        (400, {}, {"success": 0, "message": "Rate limit exceeded.", "failureReasons": []}, 60),
    ],
)
def test_throttles_are_rate_limited_with_retry_after_once_past_the_deadline(
    fc, fauth, sandbox, clock, status, headers, body, retry_after
):
    sandbox.faults.add(ME, statuses=[status], headers=headers, body=body, times=5)
    with pytest.raises(errors.RateLimited) as info:
        fc.run("get_current_user", {}, fauth, deadline=30)
    shown_body = shown(info.value, "rate_limited", True)
    assert shown_body["retry_after"] == retry_after and clock.sleeps == []


def test_5xx_is_server_error_after_retries(fc, fauth, sandbox):
    sandbox.faults.add(ME, statuses=[502] * 5)
    with pytest.raises(errors.ServerError) as info:
        fc.run("get_current_user", {}, fauth)
    body = shown(info.value, "server_error", True)
    assert body["status"] == 502 and body["attempts"] == 5


def test_timeout_says_which_phase(fc, fauth, sandbox):
    sandbox.faults.add(ME, delay_headers=1.0, times=5)
    with pytest.raises(errors.Timeout) as info:
        fc.run("get_current_user", {}, fauth, timeouts={"read": 0.05})
    assert shown(info.value, "timeout", True)["phase"] == "read"


def test_unsafe_ambiguous_failure_is_outcome_unknown(fc, fauth, sandbox):
    sandbox.faults.add("POST /api/3/contacts", statuses=[504])
    with pytest.raises(errors.OutcomeUnknown) as info:
        fc.run("create_contact", {"email": "maybe@example.com"}, fauth)
    body = shown(info.value, "outcome_unknown", False)
    assert body["cause"]["type"] == "server_error" and body["cause"]["status"] == 504
    assert body["operation"] == "create_contact" and "may or may not" in body["message"]


def test_redirect_to_another_origin_is_redirect_blocked(fc, fauth, sandbox):
    sandbox.faults.add(ME, redirect="http://127.0.0.1:9/elsewhere", redirect_status=307)
    with pytest.raises(errors.RedirectBlocked) as info:
        fc.run("get_current_user", {}, fauth)
    body = shown(info.value, "redirect_blocked", False)
    assert body["status"] == 307 and body["target_host"] == "127.0.0.1"


def test_a_request_to_another_origin_is_credential_scope(fauth):
    with pytest.raises(errors.CredentialScopeError) as info:
        fauth.attach(httpx.Request("GET", "http://127.0.0.1:9/api/3/users/me"))
    body = shown(info.value, "credential_scope", False)
    assert "refused to send the credential" in body["message"]
