"""Who may talk to the service: checked on every request before any route runs.

- With an access token: every request must carry it (``Authorization: Bearer``, or the ``ac_token``
  cookie that opening any page once with ``?token=...`` sets); compared in constant time.
- Without one (loopback only): the Host header must name a loopback address, so that a web page
  cannot reach the service through DNS rebinding.
- Always: a state-changing request that carries an Origin must come from the service's own origin,
  so that another site open in the same browser cannot drive it (CSRF).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.auth import is_loopback_host

COOKIE = "ac_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def _hostname(host_header: str) -> str:
    host = host_header.strip()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


HOOKS_PREFIX = "/hooks/"


class AccessGuard:
    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self._token = _digest(token) if token else None

    def _valid(self, supplied: str | None) -> bool:
        # Compare digests: equal lengths, so neither the content nor the length leaks through timing.
        return self._token is not None and supplied is not None and hmac.compare_digest(_digest(supplied), self._token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(HOOKS_PREFIX):
            # ActiveCampaign's webhook deliveries carry no token: the secret in their path is checked there.
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method = scope["method"]
        host = headers.get("host", "")
        if self._token is None and not is_loopback_host(_hostname(host)):
            await _deny(
                send,
                403,
                "forbidden",
                "this service only answers requests addressed to localhost (start it with a token to share it)",
            )
            return
        if self._token is not None:
            query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            if "token" in query and method == "GET":
                if not self._valid(query["token"][0]):
                    await _deny(send, 401, "unauthorized", "wrong access token")
                    return
                rest = urllib.parse.urlencode([(k, v) for k, vs in query.items() if k != "token" for v in vs], doseq=True)
                await _redirect_with_cookie(send, own_path(scope["path"]) + (f"?{rest}" if rest else ""), query["token"][0])
                return
            if not self._valid(_bearer(headers) or _cookie(headers)):
                await _deny(
                    send,
                    401,
                    "unauthorized",
                    "this service requires its access token: send "
                    "'Authorization: Bearer <token>', or open the page once with ?token=<token>",
                )
                return
        origin = headers.get("origin")
        if method not in SAFE_METHODS and origin is not None:
            parsed = urllib.parse.urlsplit(origin)
            if parsed.netloc.lower() != host.lower():
                await _deny(send, 403, "forbidden", "cross-origin requests are refused")
                return
        await self.app(scope, receive, send)


OWN_PREFIXES = ("/api/", "/static/")


def own_path(path: str) -> str:
    """Where the token page may send the browser next: one of the service's own paths, else the page.

    The path comes from the request, so ``//evil.example/`` (a link someone was sent) must not become
    ``Location: //evil.example/``, which a browser follows to another site (an open redirect)."""
    if path == "/" or (path.startswith(OWN_PREFIXES) and "\\" not in path and "//" not in path and path.isprintable()):
        return urllib.parse.quote(path, safe="/-._~!$&'()*+,;=:@")
    return "/"


def _bearer(headers: Headers) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, credential = value.partition(" ")
    return credential.strip() if scheme.lower() == "bearer" and credential.strip() else None


def _cookie(headers: Headers) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return urllib.parse.unquote(value)
    return None


async def _deny(send: Send, status: int, kind: str, message: str) -> None:
    body = json.dumps({"error": {"type": kind, "message": message, "retryable": False}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="ac-connector"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect_with_cookie(send: Send, location: str, token: str) -> None:
    """Move the token from the URL (history, logs) into an HttpOnly, same-site cookie."""
    cookie = f"{COOKIE}={urllib.parse.quote(token, safe='')}; Path=/; HttpOnly; SameSite=Strict"
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", location.encode("latin-1")),
                (b"set-cookie", cookie.encode("latin-1")),
                (b"cache-control", b"no-store"),
                (b"content-length", b"0"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
