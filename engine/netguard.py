"""The connector's own network backend: every socket operation within the call's deadline, and, in
service mode, the address checked by the URL policy is the address connected to.

httpx bounds each socket operation (a read timeout per read), not an exchange: a server that sends
its headers one byte a second never trips a 30 s read timeout, and the sync client has nothing like
the async driver's ``wait_for``. Here each connect, read and write is given at most the time left
until the call's deadline, so both drivers stop on time in every phase.

A URL policy that resolves names (``UrlPolicy.service()``) checks the addresses when an authentication
is made, but the connection would resolve the name again, and a name can answer a public address
first and loopback next (DNS rebinding). Here the name is resolved once, every address is checked,
and the socket connects to that very address (TLS still verifies the host name).

The call's deadline and policy reach the backend through context variables set by the drivers.
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
import typing
from collections.abc import Iterator

import anyio.to_thread
import httpcore
import httpx

from .auth import UrlPolicy, address_problem, system_resolver
from .errors import CredentialScopeError

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("connector_deadline", default=None)
_policy: contextvars.ContextVar[UrlPolicy | None] = contextvars.ContextVar("connector_policy", default=None)

SocketOption = typing.Any
T = typing.TypeVar("T")


@contextlib.contextmanager
def call_scope(deadline_at: float | None, policy: UrlPolicy | None) -> Iterator[None]:
    """Within this block, network operations end by ``deadline_at`` (time.monotonic) and connect
    only to addresses ``policy`` allows."""
    deadline_token = _deadline.set(deadline_at)
    policy_token = _policy.set(policy)
    try:
        yield
    finally:
        _policy.reset(policy_token)
        _deadline.reset(deadline_token)


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    ends = _deadline.get()
    if ends is None:
        return timeout
    left = ends - time.monotonic()
    if left <= 0:
        raise expired("the call's deadline passed")
    return left if timeout is None else min(timeout, left)


def pinned_addresses(
    host: str, port: int, policy: UrlPolicy | None, resolve: typing.Callable[[str], list[str]] | None = None
) -> list[str]:
    """The addresses to try for ``host``: the name itself when nothing is checked, else the checked ones."""
    if policy is None or not policy.resolve:
        return [host]
    if any(host == h and port == p for _, h, p in policy.allowed_origins):
        return [host]  # an origin trusted as such (the service's own sandbox)
    try:
        addresses = (resolve or policy.resolver or system_resolver)(host)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise httpcore.ConnectError(f"{host} could not be resolved")
    for address in addresses:
        problem = address_problem(address, policy)
        if problem:
            raise CredentialScopeError(
                f"refused to connect to {host}: it now resolves to a {problem} address, which this service does not reach"
            )
    return addresses


def _first_that_connects(addresses: list[str], connect: typing.Callable[[str], T]) -> T:
    """Like socket.create_connection: each address in turn, the last failure if none answers."""
    for address in addresses[:-1]:
        try:
            return connect(address)
        except (httpcore.ConnectError, httpcore.ConnectTimeout):
            continue
    return connect(addresses[-1])


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = pinned_addresses(host, port, _policy.get())
        options = list(socket_options or ())
        return _Stream(
            _first_that_connects(
                addresses,
                lambda address: self._backend.connect_tcp(
                    address, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, options
                ),
            )
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Iterable[SocketOption] | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._backend.connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _AsyncStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _AsyncStream(
            await self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        )

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        policy = _policy.get()
        addresses = [host]
        if policy is not None and policy.resolve:  # resolving blocks: off the event loop
            addresses = await anyio.to_thread.run_sync(pinned_addresses, host, port, policy)
        options = list(socket_options or ())
        for address in addresses[:-1]:
            try:
                return _AsyncStream(
                    await self._backend.connect_tcp(
                        address, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, options
                    )
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue
        return _AsyncStream(
            await self._backend.connect_tcp(
                addresses[-1], port, _bounded(timeout, httpcore.ConnectTimeout), local_address, options
            )
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _AsyncStream(
            await self._backend.connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout), socket_options)
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=20, keepalive_expiry=5.0)
"""No pool-wide cap: the in-flight limits (inflight.py, 10 per account, 50 in all) bound connections, so
no call waits for the pool (a pool timeout is retried as "never sent"). httpx's 20 kept alive: httpcore
checks every idle connection on each request, and more of them cost more CPU than reconnecting saves."""


def _pool_options(context: ssl.SSLContext, limits: httpx.Limits) -> dict[str, typing.Any]:
    """What both guarded transports give their httpcore pool: httpx's limits and the one SSL context."""
    return {
        "ssl_context": context,
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport on :class:`GuardedBackend` (HTTP/1.1, no proxy). ``ssl_context`` defaults to one
    that verifies against the system's certificates (built once here: it takes tens of milliseconds)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, limits: httpx.Limits = LIMITS) -> None:
        context = ssl_context or httpx.create_ssl_context(verify=True, trust_env=False)
        super().__init__(verify=context, trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(**_pool_options(context, limits), network_backend=GuardedBackend())


class AsyncGuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, ssl_context: ssl.SSLContext | None = None, limits: httpx.Limits = LIMITS) -> None:
        context = ssl_context or httpx.create_ssl_context(verify=True, trust_env=False)
        super().__init__(verify=context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(**_pool_options(context, limits), network_backend=AsyncGuardedBackend())
