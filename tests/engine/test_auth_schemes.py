"""Authentication schemes: each typed entry of connector.yaml puts the key where it says, and only same-origin."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from helpers.specs import minimal_connector

from engine.errors import CredentialScopeError
from engine.loader import load_connector
from engine.runtime import Connector

SCHEMES = {
    "header": '{type: header, name: Authorization, value: "Bearer {{ auth.api_key }}"}',
    "query": '{type: query, name: api_key, value: "{{ auth.api_key }}"}',
    "basic": '{type: basic, username: "{{ auth.api_key }}", password: ""}',
}


def _connector(tmp_path: Path, scheme: str) -> Connector:
    folder = minimal_connector(tmp_path)
    manifest = folder / "connector.yaml"
    text = manifest.read_text()
    line = '  scheme: {type: header, name: Api-Token, value: "{{ auth.api_key }}"}\n'
    assert line in text
    manifest.write_text(text.replace(line, f"  scheme: {SCHEMES[scheme]}\n"))
    return Connector(load_connector(folder), allow_loopback=True)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_each_scheme_attaches_its_credential_to_the_account_only(tmp_path: Path, scheme: str) -> None:
    connector = _connector(tmp_path, scheme)
    auth = connector.authentication({"api_url": "http://127.0.0.1:9", "api_key": "k-123"})
    request = httpx.Request("GET", "http://127.0.0.1:9/api/3/users/me?x=1")
    auth.attach(request)
    if scheme == "header":
        assert request.headers["Authorization"] == "Bearer k-123"
    elif scheme == "query":
        assert request.url.params["api_key"] == "k-123" and request.url.params["x"] == "1"
    else:
        assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"k-123:").decode()
    assert "k-123" not in repr(auth)
    elsewhere = httpx.Request("GET", "http://127.0.0.2:9/api/3/users/me")
    with pytest.raises(CredentialScopeError):
        auth.attach(elsewhere)
    assert "k-123" not in str(elsewhere.url) and "authorization" not in elsewhere.headers
