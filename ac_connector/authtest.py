"""Test an authentication and say in plain words whether the URL or the key is wrong."""

from __future__ import annotations

from typing import Any

from engine.errors import AuthenticationError, ConnectionFailed, ConnectorError, NotFound, RedirectBlocked, Timeout


def explain(connector, auth) -> dict[str, Any]:
    try:
        output = connector.test_auth(auth)
    except AuthenticationError as exc:
        return _failed(exc, "key", "The URL answered, but it refused the API key: copy the key again from "
                               "Settings > Developer, and check the user's permissions.")
    except (ConnectionFailed, Timeout) as exc:
        return _failed(exc, "url", f"Nothing answered at {auth.base_url_origin}: check the URL "
                               "(Settings > Developer) and your network.")
    except (NotFound, RedirectBlocked) as exc:
        return _failed(exc, "url", f"{auth.base_url_origin} does not look like an ActiveCampaign API URL: "
                               "copy the URL from Settings > Developer.")
    except ConnectorError as exc:
        return _failed(exc, "unknown", "The authentication could not be checked.")
    user = output.get("user", {}) if isinstance(output, dict) else {}
    return {"ok": True, "name": auth.name, "url": auth.base_url_origin,
            "user": {k: user.get(k) for k in ("id", "username", "email", "firstName", "lastName")}}


def _failed(exc: ConnectorError, culprit: str, advice: str) -> dict[str, Any]:
    return {"ok": False, "error": {**exc.to_dict(), "culprit": culprit, "advice": advice}}
