"""R6 service mode: a service shared by several people refuses authentications that point at loopback or
private addresses, by IP literal or by a DNS name that resolves there, unless started to allow them."""

from __future__ import annotations

import pytest
from reliability.support import connected

from engine import errors
from engine.auth import UrlPolicy, cached_resolver, normalise_account_url


def resolver(table: dict[str, list[str]]):
    """A stand-in DNS (the test machine has no network): name -> addresses."""

    def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError("unknown host")
        return table[host]

    return resolve


DNS = resolver(
    {
        "acme.api-us1.com": ["104.18.1.10"],
        "rebind.example.com": ["127.0.0.1"],
        "intranet.example.com": ["10.1.2.3"],
        "metadata.example.com": ["169.254.169.254"],
        "cgnat.example.com": ["100.64.0.7"],
        "mixed.example.com": ["104.18.1.10", "192.168.1.5"],
        "v6private.example.com": ["fd00::1"],
        "mapped.example.com": ["::ffff:127.0.0.1"],
    }
)


def url(raw: str, policy: UrlPolicy) -> str:
    return normalise_account_url(raw, policy=policy, strip_suffixes=("/api/3",))


def test_service_mode_accepts_a_public_account():
    assert url("https://acme.api-us1.com/api/3", UrlPolicy.service(resolver=DNS)) == "https://acme.api-us1.com"


@pytest.mark.parametrize(
    "raw",
    [
        "https://rebind.example.com",
        "https://intranet.example.com",
        "https://metadata.example.com",
        "https://cgnat.example.com",
        "https://mixed.example.com",
        "https://v6private.example.com",
        "https://mapped.example.com",
        "https://unknown.example.com",
        "http://127.0.0.1:8080",
        "https://localhost",
        "https://10.0.0.1",
        "https://[::1]",
        "https://2130706433",
        "https://0x7f.0.0.1",
        "https://127.1",
    ],
)
def test_service_mode_refuses_loopback_and_private_targets(raw):
    with pytest.raises(errors.ValidationError) as info:
        url(raw, UrlPolicy.service(resolver=DNS))
    assert info.value.errors[0]["keyword"] in ("host", "scheme", "format")


def test_service_mode_started_for_the_sandbox_allows_loopback_only():
    policy = UrlPolicy.service(allow_loopback=True, resolver=DNS)
    assert url("http://127.0.0.1:8765", policy) == "http://127.0.0.1:8765"
    assert url("https://rebind.example.com", policy) == "https://rebind.example.com"
    with pytest.raises(errors.ValidationError):
        url("https://intranet.example.com", policy)


def test_a_personal_cli_does_not_resolve_names():
    """Without service mode nothing is looked up (a VPN-only account host is the user's business)."""
    assert url("https://intranet.example.com", UrlPolicy()) == "https://intranet.example.com"


def test_the_connector_applies_its_policy(api_key):
    with connected(allow_loopback=False, url_policy=UrlPolicy.service(resolver=DNS)) as c:
        with pytest.raises(errors.ValidationError) as info:
            c.authentication({"api_url": "https://intranet.example.com", "api_key": api_key})
        assert info.value.errors[0]["pointer"] == "/api_url"
        assert "private" in info.value.errors[0]["message"]
        assert c.authentication({"api_url": "https://acme.api-us1.com", "api_key": api_key}).origin == (
            "https",
            "acme.api-us1.com",
            443,
        )


def test_a_cached_resolver_keeps_answers_for_a_while_but_not_failures():
    now, asked = [0.0], []

    def dns(host: str) -> list[str]:
        asked.append(host)
        return DNS(host)

    cached = cached_resolver(dns, seconds=60.0, clock=lambda: now[0])
    assert cached("acme.api-us1.com") == cached("acme.api-us1.com") == ["104.18.1.10"]
    now[0] = 61.0
    cached("acme.api-us1.com")
    for _ in range(2):
        with pytest.raises(OSError):
            cached("unknown.example.com")
    assert asked == ["acme.api-us1.com", "acme.api-us1.com", "unknown.example.com", "unknown.example.com"]
