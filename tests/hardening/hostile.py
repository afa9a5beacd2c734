"""A hostile HTTP server on loopback: answers each request with whatever bytes a test scripts, as slowly
as it likes (a float in the script is a pause), so attacks on the client can be replayed for real."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import Self

Script = Callable[[bytes], Iterable[bytes | float]]


def response(status: str = "200 OK", body: bytes = b"{}", headers: dict[str, str] | None = None) -> bytes:
    """A whole HTTP/1.1 answer (Content-Length set, connection closed after it)."""
    lines = [
        f"HTTP/1.1 {status}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in (headers or {"Content-Type": "application/json"}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class HostileServer:
    def __init__(self, script: Script, tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _wrap(self, conn: socket.socket) -> socket.socket:
        if self.tls is None:
            return conn
        conn.settimeout(5)
        return self.tls.wrap_socket(conn, server_side=True)

    def _serve(self, raw: socket.socket) -> None:
        with raw:
            try:
                conn = self._wrap(raw)
                conn.settimeout(5)
                request = self._read_request(conn)
                self.requests.append(request)
                for step in self.script(request):
                    if self._stop.is_set():
                        return
                    if isinstance(step, float):
                        self._stop.wait(step)
                    else:
                        conn.sendall(step)
            except OSError:
                return

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
                while len(body) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
        return head + b"\r\n\r\n" + body


def always(raw: bytes) -> Script:
    """The same answer to every request."""
    return lambda request: [raw]


def trickle(raw: bytes, every: float, after: int = 0) -> Script:
    """Send ``raw`` one byte every ``every`` seconds (after the first ``after`` bytes at once)."""

    def script(request: bytes) -> Iterable[bytes | float]:
        yield raw[:after]
        for i in range(after, len(raw)):
            yield every
            yield raw[i : i + 1]

    return script


def elapsed(fn: Callable[[], object]) -> tuple[float, object]:
    """(seconds, result or the exception raised)."""
    start = time.monotonic()
    try:
        result: object = fn()
    except Exception as exc:
        result = exc
    return time.monotonic() - start, result
