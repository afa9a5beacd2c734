"""Issue 18, point 12: id patterns refuse a trailing newline, and the token page redirects only to the
service's own paths (the file rate limiter's corrupted window is in test_store_and_files.py)."""

from __future__ import annotations

import http.client
import re
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reliability.support import spec

from ac_connector.service.server import running
from ac_connector.service.settings import ServiceSettings
from engine.errors import ValidationError
from engine.ratelimit import NoLimit


def _patterns(value, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        if isinstance(value.get("pattern"), str):
            found.add(value["pattern"])
        for v in value.values():
            _patterns(v, found)
    elif isinstance(value, list):
        for v in value:
            _patterns(v, found)
    return found


PATTERNS = sorted(set().union(*(_patterns(op.input_schema, set()) for op in spec().operations.values())))
# A pattern that ends in $ says what the whole value looks like, so a trailing newline must not pass; an
# unanchored one (\S: "not blank", ^https?://: "starts with") only asks for a part, and a newline after it is data.
WHOLE_VALUE_PATTERNS = [p for p in PATTERNS if p.endswith("$")]


def test_the_specs_have_patterns_to_check():
    assert "^[0-9]+(?!\\n)$" in PATTERNS and len(PATTERNS) >= 5


@pytest.mark.parametrize("pattern", WHOLE_VALUE_PATTERNS)
def test_no_pattern_accepts_a_trailing_newline(pattern):
    @settings(max_examples=25, deadline=None)
    @given(st.from_regex(re.compile(pattern), fullmatch=True))
    def check(value: str) -> None:
        assert re.search(pattern, value)
        assert not re.search(pattern, value + "\n"), f"{pattern!r} accepts {value!r} + newline"

    check()


@pytest.mark.parametrize("value", ["2\n", "2\r\n", "\n2", "2\n\n"])
def test_an_id_with_a_newline_is_refused_and_nothing_is_sent(connector, auth, sandbox, value):
    before = len(sandbox.log)
    with pytest.raises(ValidationError) as info:
        connector.run("get_contact", {"contact_id": value}, auth)
    assert info.value.errors[0]["pointer"] == "/contact_id"
    assert len(sandbox.log) == before


TOKEN = "a-long-enough-access-token-0123456789"


@pytest.fixture(scope="module")
def token_service(tmp_path_factory):
    settings = ServiceSettings(port=0, home=tmp_path_factory.mktemp("home"), token=TOKEN, offer_sandbox=False)
    with running(settings, limiter=NoLimit()) as (_, url):
        yield urllib.parse.urlsplit(url)


def _location(service, raw_path: str) -> str:
    conn = http.client.HTTPConnection(service.hostname, service.port, timeout=10)
    try:
        conn.request("GET", raw_path)
        answer = conn.getresponse()
        assert answer.status == 303
        return answer.getheader("location")
    finally:
        conn.close()


@pytest.mark.parametrize(
    "path",
    [
        "//evil.example/",
        "/%2F%2Fevil.example/",
        "/\\evil.example/",
        "/%5Cevil.example/",
        "/api//evil.example",
        "/nowhere",
        "/%E2%80%AE/x",
    ],
)
def test_the_token_page_redirects_only_to_the_services_own_paths(token_service, path):
    location = _location(token_service, f"{path}?token={TOKEN}")
    assert location == "/"


@pytest.mark.parametrize("path", ["/", "/api/operations", "/static/app.js"])
def test_the_token_page_keeps_own_paths(token_service, path):
    assert _location(token_service, f"{path}?token={TOKEN}&x=1") == f"{path}?x=1"
