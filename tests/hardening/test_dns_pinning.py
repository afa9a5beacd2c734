"""Issue 18, point 3: in service mode the name is resolved once and the checked address is the address
connected to; IPv6 forms that embed an IPv4 address are judged by that address.

The name server is played by ``socket.getaddrinfo`` (the standard library's, replaced for one name):
the first answer is public (or none at all), the next ones loopback, where a listener counts connections.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from reliability.support import spec

from engine.auth import UrlPolicy
from engine.errors import ConnectorError, ValidationError
from engine.ratelimit import NoLimit
from engine.runtime import Connector

from .hostile import HostileServer, always, response

NAME = "rebind.example.com"
KEY = "pinning-test-key-0123456789"


@pytest.fixture
def rebinding_dns(monkeypatch):
    """Answers for NAME in turn (a list of addresses, or None for no answer); the last one repeats."""
    real = socket.getaddrinfo
    script: list[list[str] | None] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != NAME:
            return real(host, port, *args, **kwargs)
        answer = script.pop(0) if len(script) > 1 else script[0]
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port or 0) if ":" not in a else (a, port or 0, 0, 0),
            )
            for a in answer
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return script


def service_connector(**policy) -> Connector:
    return Connector(spec(), url_policy=UrlPolicy.service(**policy), limiter=NoLimit())


@pytest.mark.parametrize("first", [["93.184.216.34"], None], ids=["public-then-loopback", "none-then-loopback"])
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_rebinding_name_never_reaches_loopback(rebinding_dns, first, asynchronous):
    rebinding_dns.extend([first, ["127.0.0.1"]])
    c = service_connector(allow_unresolved=True)
    try:
        with HostileServer(always(response(body=b'{"user": {"id": "1"}}'))) as listener:
            auth = c.authentication({"api_url": f"https://{NAME}:{listener.port}", "api_key": KEY}, name="r")
            with pytest.raises(ConnectorError) as info:
                if asynchronous:
                    asyncio.run(c.arun("get_user", {"user_id": "1"}, auth, deadline=5))
                else:
                    c.run("get_user", {"user_id": "1"}, auth, deadline=5)
            assert listener.connections == 0, "the connection went to the loopback address"
        assert info.value.type == "credential_scope"
        assert "loopback" in info.value.message
    finally:
        c.close()


EMBEDDED = [
    "::127.0.0.1",
    "::ffff:127.0.0.1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::1",
    "64:ff9b::a00:1",
    "2002:c0a8:101::1",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
]


@pytest.mark.parametrize("address", EMBEDDED)
def test_ipv6_forms_are_judged_by_their_embedded_ipv4(address):
    policy = UrlPolicy.service(resolver=lambda host: [address])
    c = service_connector()
    try:
        with pytest.raises(ValidationError) as info:
            c.authentication({"api_url": "https://acct.example.com", "api_key": KEY}, url_policy=policy)
        assert info.value.errors[0]["pointer"] == "/api_url"
    finally:
        c.close()


def test_a_public_ipv6_address_is_still_accepted():
    policy = UrlPolicy.service(resolver=lambda host: ["2606:4700::6810:85e5"])
    c = service_connector()
    try:
        auth = c.authentication({"api_url": "https://acct.example.com", "api_key": KEY}, url_policy=policy)
        assert auth.base_url_origin == "https://acct.example.com"
    finally:
        c.close()


# -- a pinned connection still speaks TLS to the name -------------------------------------------------
def _self_signed(tmp_path, name: str):
    """A certificate for ``name`` (its own issuer), and the client context that trusts only it."""
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


@pytest.mark.parametrize("cert_name, ok", [(NAME, True), ("other.example.com", False)], ids=["right", "wrong"])
def test_a_pinned_connection_verifies_tls_against_the_name(tmp_path, cert_name, ok):
    """Connected to the checked address (the resolver's, never the system's), TLS still checks the name."""
    from engine.netguard import GuardedTransport

    server_tls, client_tls = _self_signed(tmp_path, cert_name)
    policy = UrlPolicy.service(allow_loopback=True, resolver=lambda host: ["127.0.0.1"])
    c = Connector(spec(), url_policy=policy, limiter=NoLimit(), transport=GuardedTransport(ssl_context=client_tls))
    try:
        with HostileServer(always(response(body=b'{"user": {"id": "7"}}')), tls=server_tls) as server:
            auth = c.authentication({"api_url": f"https://{NAME}:{server.port}", "api_key": KEY}, name="tls")
            if ok:
                assert c.run("get_user", {"user_id": "7"}, auth, deadline=5)["user"]["id"] == "7"
            else:
                with pytest.raises(ConnectorError) as info:
                    c.run("get_user", {"user_id": "7"}, auth, deadline=5)
                assert info.value.type == "connection" and server.requests == []
    finally:
        c.close()
