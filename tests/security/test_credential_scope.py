"""R6: the key goes only to the account's origin. Fixed attacks plus 500 generated paths and URLs.

Every case either is refused with a typed error and nothing sent, or reaches only the account's
sandbox; the attacker listener on another loopback port must receive nothing (checked by the
`world` fixture after every test).
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import errors
from engine.redaction import Secret

RAW = "raw_http_request"


def api_requests(sb) -> list:
    return [e for e in sb.log if e.path.startswith("/api/3")]


def attempt(connector, auth, sb, path: str, **extra) -> errors.ConnectorError | None:
    """Run a raw request; return the typed error, or None when it went (only) to the account."""
    before = len(sb.log)
    try:
        connector.run(RAW, {"method": "GET", "path": path, **extra}, auth)
    except errors.ValidationError as exc:
        assert len(sb.log) == before, f"{path!r} was refused but something was sent"
        return exc
    except errors.ConnectorError as exc:  # sent to the account, which answered an error (404...)
        new = sb.log[before:]
        assert new and all(e.header("Api-Token") == "***" for e in new)
        return exc
    new = sb.log[before:]
    assert new and all(e.header("Api-Token") == "***" for e in new)
    return None


def fixed_cases(sandbox_url: str, attacker: str) -> list[tuple[str, str]]:
    """(name, path or URL) pairs: the attack list of R6."""
    host_port = attacker.split("//", 1)[1]
    port = sandbox_url.rsplit(":", 1)[1]
    return [
        ("prefix trick, longer port", f"{sandbox_url}0/api/3/users"),
        ("prefix trick, longer host", f"{sandbox_url.replace('127.0.0.1', '127.0.0.1.nip.example')}/api/3/users"),
        ("user-info @ in a full URL", f"{sandbox_url}/api/3@{host_port}/users"),
        ("user-info @ before the host", f"http://x:y@{host_port}/api/3/users"),
        ("@ in a relative path", f"@{host_port}/users"),
        ("@ inside the path", f"/users/@{host_port}"),
        ("protocol-relative //host", f"//{host_port}/api/3/users"),
        ("backslashes \\\\host", f"\\\\{host_port}\\api\\3\\users"),
        ("slash-backslash /\\host", f"/\\{host_port}/users"),
        ("full URL to another port", f"{attacker}/api/3/users"),
        ("full URL, other scheme", f"https://127.0.0.1:{port}/api/3/users"),
        ("full URL, ftp scheme", f"ftp://127.0.0.1:{port}/api/3/users"),
        ("%2e%2e traversal", "/%2e%2e/%2e%2e/__sandbox__/log"),
        ("double-encoded traversal", "/%252e%252e/users"),
        ("plain traversal", "/contacts/../../__sandbox__/log"),
        ("encoded slash", "/contacts%2f..%2f..%2fusers"),
        ("dot segment", "/./users"),
        ("same origin outside the API", f"{sandbox_url}/__sandbox__/log"),
        ("CRLF in the path", "/users\r\nHost: evil.example"),
        ("NUL in the path", "/users\x00"),
        ("no leading slash", "users"),
        ("javascript scheme", "javascript:alert(1)"),
        ("query in the path", "/users?api_key=leak"),
        ("fragment in the path", "/users#x"),
        ("tab and spaces", "/users\t/me"),
    ]


@pytest.fixture
def cases(world):
    sb, server, attacker = world
    return fixed_cases(server.url, attacker.url)


def test_at_least_twenty_fixed_cases(cases):
    assert len(cases) >= 20


def test_fixed_url_and_path_attacks(sec_connector, cauth, world, cases):
    sb = world[0]
    refused = []
    for name, path in cases:
        error = attempt(sec_connector, cauth, sb, path)
        assert error is None or isinstance(error, errors.ConnectorError), name
        if isinstance(error, errors.ValidationError):
            refused.append(name)
            assert error.errors[0]["pointer"] == "/path" and error.errors[0]["keyword"], name
    # Everything here is refused before sending except nothing: the list is made of attacks only.
    assert set(refused) == {name for name, _ in cases}
    assert api_requests(sb) == []


def test_a_full_url_into_the_same_account_is_allowed(sec_connector, cauth, world):
    sb, server, _ = world
    out = sec_connector.run(RAW, {"method": "GET", "path": f"{server.url}/api/3/users/me"}, cauth)
    assert out["status"] == 200 and out["body"]["user"]["id"] == "1"
    upper = server.url.replace("http://", "HTTP://")
    assert sec_connector.run(RAW, {"method": "GET", "path": f"{upper}/api/3/users/me"}, cauth)["status"] == 200
    assert len(api_requests(sb)) == 2


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_to_another_origin_are_not_followed(sec_connector, cauth, world, status):
    sb, _, attacker = world
    sb.faults.add("GET /api/3/users/me", redirect=f"{attacker.url}/steal", redirect_status=status)
    with pytest.raises(errors.RedirectBlocked) as info:
        sec_connector.run("get_current_user", {}, cauth)
    assert info.value.details["status"] == status and info.value.details["target_host"] == "127.0.0.1"
    assert "not followed" in info.value.message


@pytest.mark.parametrize(
    "target",
    [
        "http://user:pw@{host}/api/3/users/me",
        "https://{host}/api/3/users/me",
        "//{attacker}/x",
        "http://{attacker}/api/3/users/me",
    ],
)
def test_redirect_tricks_are_blocked(sec_connector, cauth, world, target):
    sb, server, attacker = world
    location = target.format(host=server.url.split("//")[1], attacker=attacker.url.split("//")[1])
    sb.faults.add("GET /api/3/users/me", redirect=location, redirect_status=307)
    with pytest.raises(errors.RedirectBlocked):
        sec_connector.run("get_current_user", {}, cauth)


def test_same_origin_redirects_are_followed_with_the_key(sec_connector, cauth, world):
    sb, server, _ = world
    sb.faults.add("GET /api/3/users/me", redirect=f"{server.url}/api/3/users/1", redirect_status=302)
    assert sec_connector.run("get_current_user", {}, cauth)["user"]["id"] == "1"
    followed = sb.log.matching("GET", "/api/3/users/1")
    assert len(followed) == 1 and followed[0].header("Api-Token") == "***"


def test_a_post_redirected_with_301_is_not_replayed(sec_connector, cauth, world):
    sb, server, _ = world
    sb.faults.add("POST /api/3/contacts", redirect=f"{server.url}/api/3/contacts", redirect_status=301)
    with pytest.raises(errors.RedirectBlocked):
        sec_connector.run("create_contact", {"email": "moved@example.com"}, cauth)
    assert sb.store["contacts"].where("email", "moved@example.com") == []


def test_too_many_same_origin_redirects(sec_connector, cauth, world):
    sb, server, _ = world
    sb.faults.add("GET /api/3/users/me", redirect=f"{server.url}/api/3/users/me", redirect_status=307, times=10)
    with pytest.raises(errors.RedirectBlocked):
        sec_connector.run("get_current_user", {}, cauth)
    assert len(api_requests(sb)) == 4  # the first answer and three hops


@pytest.mark.parametrize(
    "headers",
    [
        {"Api-Token": "attacker-chosen"},
        {"api-token": "x"},
        {"Host": "evil.example"},
        {"Authorization": "Bearer x"},
        {"Cookie": "a=b"},
        {"Proxy-Authorization": "Basic eA=="},
        {"Proxy-Anything": "1"},
        {"Transfer-Encoding": "chunked"},
        {"X-Test": "a\r\nApi-Token: injected"},
        {"X-Test\r\nApi-Token": "x"},
        {"X-Test": "line\nbreak"},
        {"X Space": "1"},
        {"X-Test": "caf\u00e9"},
    ],
)
def test_user_headers_that_touch_credentials_or_framing_are_refused(sec_connector, cauth, world, headers):
    sb = world[0]
    with pytest.raises(errors.ValidationError) as info:
        sec_connector.run(RAW, {"method": "GET", "path": "/users/me", "headers": headers}, cauth)
    assert info.value.errors[0]["pointer"].startswith("/headers")
    assert len(sb.log) == 0


def test_a_10_mb_path_is_refused(sec_connector, cauth, world):
    with pytest.raises(errors.ValidationError) as info:
        sec_connector.run(RAW, {"method": "GET", "path": "/" + "a" * (10 * 1024 * 1024)}, cauth)
    assert info.value.errors[0]["keyword"] == "maxLength"
    assert len(world[0].log) == 0


def test_a_path_traversal_id_is_refused(sec_connector, cauth, world):
    with pytest.raises(errors.ValidationError) as info:
        sec_connector.run("get_contact", {"contact_id": "1/../../users/me"}, cauth)
    assert (info.value.errors[0]["pointer"], info.value.errors[0]["keyword"]) == ("/contact_id", "pattern")
    assert len(world[0].log) == 0


def test_proxy_variables_are_ignored(monkeypatch, world, canary):
    """HTTP_PROXY pointing at the attacker: with trust_env=False nothing goes there."""
    sb, server, attacker = world
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, attacker.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    from reliability.support import connected

    with connected() as c:
        auth = c.authentication({"api_url": server.url, "api_key": canary})
        assert c.run("get_current_user", {}, auth)["user"]["id"] == "1"
    assert len(api_requests(sb)) == 1


def test_the_gate_refuses_another_origin(cauth, world):
    _, _, attacker = world
    for url in (
        f"{attacker.url}/api/3/users",
        cauth.base_url.replace("http://", "https://") + "/users",
        cauth.base_url.replace("127.0.0.1", "localhost") + "/users",
    ):
        request = httpx.Request("GET", url)
        with pytest.raises(errors.CredentialScopeError):
            cauth.attach(request)
        assert not any(k.lower() == "api-token" for k in request.headers)


def _https_auth(sec_connector, url: str):
    return sec_connector.authentication({"api_url": url, "api_key": "AC-CANARY-offline"})


@pytest.mark.parametrize(
    "account,target",
    [
        ("https://acme.api-us1.com", "http://acme.api-us1.com/api/3/users"),  # http downgrade
        ("https://acme.api-us1.com", "https://acme.api-us1.com.evil.example/api/3/users"),  # prefix trick
        ("https://acme.api-us1.com", "https://acme.api-us1.com:444/api/3/users"),  # another port
        ("https://\u0430cme.api-us1.com", "https://acme.api-us1.com/api/3/users"),  # IDN homoglyph account
        ("https://acme.api-us1.com", "https://\u0430cme.api-us1.com/api/3/users"),  # IDN homoglyph target
        ("https://acme.api-us1.com", "https://acme.api-us1.com/api/30/users"),  # outside the API root
    ],
)
def test_full_urls_on_public_hosts_must_match_the_origin(sec_connector, account, target):
    """No network here: each is refused before anything is sent."""
    auth = _https_auth(sec_connector, account)
    with pytest.raises(errors.ValidationError) as info:
        sec_connector.render_request(RAW, {"method": "GET", "path": target}, auth)
    assert info.value.errors[0]["keyword"] in ("origin", "format", "pattern")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("HTTPS://ACME.Api-Us1.com", "https://acme.api-us1.com"),
        ("https://acme.api-us1.com./api/3/", "https://acme.api-us1.com"),
        ("https://\u0430cme.api-us1.com", "https://xn--cme-5cd.api-us1.com"),
    ],
)
def test_account_urls_are_normalised(sec_connector, raw, expected):
    assert _https_auth(sec_connector, raw).base_url_origin == expected


@pytest.mark.parametrize(
    "raw",
    [
        "http://acme.api-us1.com",
        "https://user:pw@acme.api-us1.com",
        "https://acme.api-us1.com?x=1",
        "https://acme.api-us1.com/other",
        "https://10.0.0.1",
        "https://[fe80::1]",
        "https://127.1",
        "https://localhost",
        "https://printer.local",
        "https://intranet",
        "https://ex%61mple.com",
        "https://acme.api-us1.com\\@evil.example",
        "ftp://acme.api-us1.com",
        "https://acme.api-us1.com#x",
    ],
)
def test_bad_account_urls_are_refused(sec_connector, raw):
    from reliability.support import connected

    with connected(allow_loopback=False) as strict, pytest.raises(errors.ValidationError) as info:
        strict.authentication({"api_url": raw, "api_key": "AC-CANARY-offline"})
    assert info.value.errors[0]["pointer"] == "/api_url"


def test_the_key_is_a_secret_in_every_repr(cauth, canary):
    assert canary not in repr(cauth) and canary not in str(cauth)
    assert repr(Secret(canary)) == "Secret('***')" and str(Secret(canary)) == "***"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(Secret(canary))


# -- 500 generated paths and URLs ------------------------------------------------------------------
PIECES = [
    "/",
    "//",
    "\\",
    "@",
    ":",
    ".",
    "..",
    "%2e",
    "%2E",
    "%2f",
    "%5c",
    "%40",
    "%252e",
    "%00",
    "?",
    "#",
    "\r\n",
    "\x00",
    "\t",
    " ",
    "http:",
    "https:",
    "HTTP://",
    "users",
    "me",
    "api",
    "3",
    "contacts",
    "1",
    "__sandbox__",
    "log",
    "%",
    "~",
    "\u00fc",
    "\u0430",
    "127.0.0.1",
    "localhost",
    "[::1]",
    "evil.example",
]


@st.composite
def raw_targets(draw, sandbox_url: str, attacker_url: str):
    tail = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=10)))
    kind = draw(st.sampled_from(["relative", "relative", "sandbox", "attacker", "scheme-less", "text"]))
    if kind == "relative":
        return "/" + tail
    if kind == "sandbox":
        return sandbox_url + draw(st.sampled_from(["", "/api/3", "/api/3/", "/api"])) + tail
    if kind == "attacker":
        return attacker_url + draw(st.sampled_from(["", "/api/3/"])) + tail
    if kind == "scheme-less":
        return "//" + attacker_url.split("//")[1] + tail
    return draw(st.text(max_size=40))


@settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_generated_paths_never_reach_another_origin(sec_connector, canary_account, attacker_server, canary, data):
    sb, server = canary_account
    auth = sec_connector.authentication({"api_url": server.url, "api_key": canary})
    path = data.draw(raw_targets(server.url, attacker_server.url))
    method = data.draw(st.sampled_from(["GET", "DELETE", "HEAD"]))
    before = len(sb.log)
    try:
        sec_connector.run(RAW, {"method": method, "path": path}, auth, deadline=5)
    except errors.ValidationError:
        assert len(sb.log) == before
    except errors.ConnectorError:
        pass  # the account answered an error: fine, it is the account
    for entry in sb.log[before:]:
        assert entry.path.startswith("/api/3/") and entry.header("Api-Token") == "***"
    assert attacker_server.requests == []


def test_an_injected_client_that_reads_proxy_variables_is_refused(monkeypatch, world, canary):
    sb, server, attacker = world
    monkeypatch.setenv("HTTP_PROXY", attacker.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    from reliability.support import connected

    client = httpx.Client(trust_env=True)
    try:
        with connected(client=client) as c:
            auth = c.authentication({"api_url": server.url, "api_key": canary})
            with pytest.raises(errors.CredentialScopeError):
                c.run("get_current_user", {}, auth)
    finally:
        client.close()
    assert len(sb.log) == 0


def test_credentials_go_only_where_a_typed_scheme_says(tmp_path):
    """ActiveCampaign's key travels in the Api-Token header; an untyped place (ActiveCampaign's old v1 took
    api_key in the query) or an unknown scheme type fails to load."""
    import shutil

    from reliability.support import ROOT, spec

    from engine.auth_schemes import HeaderScheme
    from engine.loader import load_connector

    assert set(spec().auth.apply_headers) == {"Api-Token"}
    assert [type(s) for s in spec().auth.schemes] == [HeaderScheme]
    text = (ROOT / "connector.yaml").read_text()
    line = '  scheme: {type: header, name: Api-Token, value: "{{ auth.api_key }}"}\n'
    assert line in text
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    shutil.copytree(ROOT / "operations", tmp_path / "operations")
    for replacement, expected in (
        ('  apply:\n    query: {api_key: "{{ auth.api_key }}"}\n', "query"),
        ('  scheme: {type: cookie, name: key, value: "{{ auth.api_key }}"}\n', "unknown authentication scheme"),
        ('  scheme: {type: header, name: Api-Token, value: "{{ auth.api_key }}", body: x}\n', "takes name, value"),
    ):
        (tmp_path / "connector.yaml").write_text(text.replace(line, replacement))
        with pytest.raises(errors.SpecError) as info:
            load_connector(tmp_path)
        assert any(expected in p["message"] for p in info.value.problems), info.value.problems
