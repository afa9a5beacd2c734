"""Test an authentication and say in plain words whether the URL or the key is wrong."""

from __future__ import annotations

from typing import Any

from engine.errors import AuthenticationError, ConnectionFailed, ConnectorError, NotFound, RedirectBlocked, Timeout

TEST_DEADLINE = 10.0  # a person is waiting


def explain(connector, auth) -> dict[str, Any]:
    try:
        output = connector.test_auth(auth, deadline=TEST_DEADLINE)
    except ConnectorError as exc:
        return _explained_failure(exc, auth)
    return _success(output, auth)


async def aexplain(connector, auth) -> dict[str, Any]:
    """The async twin, for the service: a slow account occupies no worker thread while it is tested."""
    try:
        output = await connector.arun(connector.spec.auth.test_operation, {}, auth, deadline=TEST_DEADLINE)
    except ConnectorError as exc:
        return _explained_failure(exc, auth)
    return _success(output, auth)


def _explained_failure(exc: ConnectorError, auth) -> dict[str, Any]:
    """Say which of the two the user got wrong, from the type of failure."""
    if isinstance(exc, AuthenticationError):
        return _failed(
            exc,
            "key",
            "The URL answered, but it refused the API key: copy the key again from "
            "Settings > Developer, and check the user's permissions.",
        )
    if isinstance(exc, (ConnectionFailed, Timeout)):
        return _failed(
            exc, "url", f"Nothing answered at {auth.base_url_origin}: check the URL (Settings > Developer) and your network."
        )
    if isinstance(exc, (NotFound, RedirectBlocked)):
        return _failed(
            exc,
            "url",
            f"{auth.base_url_origin} does not look like an ActiveCampaign API URL: copy the URL from Settings > Developer.",
        )
    return _failed(exc, "unknown", "The authentication could not be checked.")


def _success(output: Any, auth) -> dict[str, Any]:
    user = output.get("user", {}) if isinstance(output, dict) else {}
    return {
        "ok": True,
        "name": auth.name,
        "url": auth.base_url_origin,
        "user": {k: user.get(k) for k in ("id", "username", "email", "firstName", "lastName")},
    }


def _failed(exc: ConnectorError, culprit: str, advice: str) -> dict[str, Any]:
    return {"ok": False, "error": {**exc.to_dict(), "culprit": culprit, "advice": advice}}
